"""Sale orders from plain words, without an LLM.

* :func:`parse_order_request` reads "criar uma ordem de venda para o cliente
  ABC com 3 unidades do produto XYZ e 2 caixas de DEF" (or the English "create
  a sale order for customer ABC with 3 units of product XYZ and 2 boxes of
  DEF") into the customer's name and the lines. What it cannot find is left
  ``None`` / empty, so the caller asks instead of guessing.
* :func:`rank_matches` scores ``(id, name, code)`` candidates against a name
  the user wrote — exact code, exact name, the same words, containment, then
  trigram similarity (pg_trgm's, so thresholds mean the same as in SQL) — and
  :func:`resolve` says whether the best one is ``unique``, ``ambiguous``
  (close runner-up or a weak best) or ``unknown``.
* :func:`explain` says what the caller did (or needs to know) as message
  keys and values; the Odoo adapter words them in the request's language.

How a request is read: quoted names (``"…"``, ``“…”``, ``'…'``, ``«…»``) are
masked first so nothing inside them is taken for a keyword; the order phrase
("uma ordem de venda", "a sale order") is dropped; the customer is the name
after *cliente/customer/client* (or, right after the order phrase, after
*para/for* when followed by *com/with*, a colon or a line); the rest splits into
items at commas, semicolons, new lines and at *e/and/com/with* followed by a
quantity; each item is a quantity (digits, a decimal comma, or a small number
word), an optional unit (``x``, *unidades*, *caixas*, *kg*, *boxes*…) and the
product. "o produto XYZ" without a number means one.
"""

import dataclasses
import re

from . import core

MAX_TEXT = 4000
# rank_matches keeps candidates scoring at least this (pg_trgm's default threshold).
MATCH_THRESHOLD = 0.3
# resolve: a best match below this is only a suggestion, never taken as is...
ACCEPT_SCORE = 0.55
# ...and one whose runner-up is closer than this is ambiguous.
AMBIGUITY_MARGIN = 0.1

NUMBER_WORDS = {
    # Portuguese
    "um": 1,
    "uma": 1,
    "dois": 2,
    "duas": 2,
    "tres": 3,
    "quatro": 4,
    "cinco": 5,
    "seis": 6,
    "sete": 7,
    "oito": 8,
    "nove": 9,
    "dez": 10,
    "onze": 11,
    "doze": 12,
    "quinze": 15,
    "vinte": 20,
    "trinta": 30,
    "cinquenta": 50,
    "cem": 100,
    # English ("a"/"an" count only before a unit: "a box of")
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
}
_ARTICLE_NUMBERS = ("a", "an")

# Unit words by canonical hint. "unit" means the product's own unit.
UOM_WORDS = {
    "unit": "unidades unidade unid und un units unit pecas peca pcs pc pieces piece",
    "box": "caixas caixa cxs cx boxes box cases case",
    "pack": "pacotes pacote pcts pct packs pack packages package",
    "dozen": "duzias duzia dz dozens dozen",
    "kg": "kg kgs quilos quilo quilogramas quilograma kilos kilo kilograms kilogram",
    "g": "g gramas grama grams gram",
    "l": "l litros litro liters liter litres litre",
    "m": "m metros metro meters meter metres metre",
}
_UOM_BY_WORD = {word: hint for hint, text in UOM_WORDS.items() for word in text.split()}


def _alternatives(words_):
    """A regex alternation of ``words_`` (longest first), accents optional."""
    accents = {"a": "[aáâãà]", "e": "[eéê]", "i": "[ií]", "o": "[oóôõ]", "u": "[uú]", "c": "[cç]"}
    patterns = sorted(
        {"".join(accents.get(char, re.escape(char)) for char in word) for word in words_},
        key=len,
        reverse=True,
    )
    return "(?:%s)" % "|".join(patterns)


_NUMBER_WORD = _alternatives(NUMBER_WORDS)
_UOM = _alternatives(_UOM_BY_WORD)
_DIGITS = r"(?<![\w.,/-])\d+(?:[.,]\d+)*"
_QTY = r"(?P<qty>%s|\b%s\b)" % (_DIGITS, _NUMBER_WORD)
# Where a quantity begins (a split point after "e"/"and"/"com"/"with").
_QTY_AHEAD = r"(?:\d|\b(?!(?:a|an)\b)%s\b|\b(?:a|an)\s+%s\b)" % (_NUMBER_WORD, _UOM)
# A quantity that is surely an item: followed by "x", a unit or "de/of".
_ITEM_START = r"(?:%s|\b%s\b)\s*(?:[x×*](?=\s)|%s\b|(?:de|do|da|dos|das|of)\b)" % (
    _DIGITS,
    _NUMBER_WORD,
    _UOM,
)
_PLACEHOLDER = r"\x00\d+\x00"
_CONNECTORS = r"(?:com|with|contendo|containing|incluindo|including)"

_QUOTES = re.compile(
    r"\"([^\"]+)\"|“([^”]+)”|«([^»]+)»|(?:(?<=\s)|^)['‘]([^'’]+)['’](?=[\s,;:.!?]|$)"
)
_ORDER_PHRASE = re.compile(
    r"(?:\b(?:um|uma|o|a|nov[oa]s?|an?|the|new)\s+)*\b(?:"
    r"(?:ordem|ordens|pedidos?)\s+de\s+vendas?|cota[çc](?:[ãa]o|[õo]es)(?:\s+de\s+vendas?)?|"
    r"or[çc]amentos?(?:\s+de\s+vendas?)?|pedidos?|sales?\s+orders?|quotations?|quotes?|orders?"
    r")\b",
    re.I,
)
# Where an unquoted customer name stops.
_NAME_END = r"(?=\s*[,;:]|[.!?]+(?:\s|$)|\s*$|\s+%s\b|\s+(?:e|and|&)\s+%s|\s+%s)" % (
    _CONNECTORS,
    _QTY_AHEAD,
    _ITEM_START,
)
_NAME = r"(?P<name>%s|[^\s,;:.!?][^,;]*?%s)" % (_PLACEHOLDER, _NAME_END)
_CUSTOMER = re.compile(
    r"(?:\b(?:para|pra|pro|for|to)\s+)?(?:\b(?:o|a|os|as|the|our|nosso|nossa)\s+)?"
    r"\b(?:cliente|customer|client)\b\s*:?\s*" + _NAME,
    re.I,
)
# Without the keyword: "<order phrase> para ABC com …" / "… for ABC: …".
_CUSTOMER_AFTER_ORDER = re.compile(
    r"(?:^|;)\s*(?:para|pra|pro|for)\s+(?:(?:o|a|the)\s+)?(?!%s)%s(?=\s+%s\s|\s*:|\s+%s)"
    % (_ITEM_START, _NAME, _CONNECTORS, _ITEM_START),
    re.I,
)
_SPLIT = re.compile(
    r"\s*(?:(?<!\d),|,(?!\d)|[;:+])\s*|\s+(?:e|and|&|mais|plus|%s)\s+(?=%s)"
    % (_CONNECTORS, _QTY_AHEAD),
    re.I,
)
_ITEM = re.compile(
    _QTY + r"\s*(?:[x×*](?=\s|\x00|$)\s*)?(?:(?P<uom>%s)\.?(?:\s+|(?=\x00)))?"
    r"(?:(?:de|do|da|dos|das|of)\s+)?(?:(?:the|o|a|os|as)\s+)?"
    r"(?:(?:produtos?|products?|itens|items?|artigos?|sku|c[óo]digos?|codes?|ref\.?)\s+)?"
    r"(?P<product>\S.*)$" % _UOM,
    re.I,
)
_ITEM_TRAILING_QTY = re.compile(
    r"^(?P<product>.*?\w.*?)\s*[x×*]\s*(?P<qty>\d+(?:[.,]\d+)?)\s*(?P<uom>%s)?$" % _UOM, re.I
)
_ITEM_ONE_PRODUCT = re.compile(
    r"(?:^|\s)(?:(?:o|a|the)\s+)?\b(?:produto|product|item|artigo)\s+(?P<product>\S.*)$", re.I
)
_TRAILING_FILLER = re.compile(
    r"(?:[\s.!?]+|\s+(?:e|and|&|por\s+favor|please|pls|obrigad[oa]|thanks?|thank\s+you))+$",
    re.I,
)

# Order words that tell the request's language beside the function words the
# core's detector counts (accent-free, as it compares them).
LANGUAGE_MARKERS = {
    "pt": frozenset(
        "e cliente clientes unidade unidades produto produtos criar crie ordem pedido venda "
        "caixa caixas dois duas tres".split()
    ),
    "en": frozenset(
        "customer client unit units product products create make sale sales order quotation "
        "box boxes one two three".split()
    ),
}


@dataclasses.dataclass(frozen=True)
class OrderLine:
    product: str
    quantity: float
    uom_hint: str | None = None

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class OrderRequest:
    """What a request asks for; ``None``/empty where the text did not say."""

    customer: str | None
    lines: tuple
    language: str

    @property
    def missing(self):
        """What the caller has to ask for: ``customer`` and/or ``lines``."""
        return tuple(
            name
            for name, value in (("customer", self.customer), ("lines", self.lines))
            if not value
        )

    def as_dict(self):
        return {
            "customer": self.customer,
            "lines": [line.as_dict() for line in self.lines],
            "language": self.language,
        }


@dataclasses.dataclass(frozen=True)
class Match:
    id: object
    name: str
    code: str | None
    score: float
    reason: str  # code | name | words | contains | similar


@dataclasses.dataclass(frozen=True)
class Resolution:
    """``status``: unique / ambiguous / unknown; ``reason``: clear, close_scores,
    weak_match or no_match; ``match`` the one to use when unique."""

    status: str
    reason: str
    match: Match | None
    candidates: tuple


# -- reading a request -------------------------------------------------------------


def parse_order_request(text):
    """The :class:`OrderRequest` in ``text`` (Portuguese or English)."""
    if not isinstance(text, str):
        raise core.InvalidRequest("the order request must be text")
    if len(text) > MAX_TEXT:
        raise core.InvalidRequest(
            "the order request is too long (%d characters; at most %d)" % (len(text), MAX_TEXT)
        )
    # New lines separate items; everything else is plain spacing.
    flat = " ".join(re.sub(r"[\r\n]+", " ; ", text).split())
    if not flat.strip(" ;"):
        raise core.InvalidRequest("the order request is empty")
    language = detect_language(flat)
    masked, quoted = _mask_quotes(flat)
    masked = _ORDER_PHRASE.sub(" ; ", masked)
    customer, masked = _take_customer(masked, quoted)
    lines = []
    for chunk in _SPLIT.split(masked):
        line = _parse_item(chunk, quoted, language)
        if line:
            lines.append(line)
    return OrderRequest(customer, tuple(lines), language)


def detect_language(text):
    """``pt``, ``en`` or ``simple`` (undecided): the core's detector with the order words."""
    return core.detect_language(text, markers=LANGUAGE_MARKERS)


def parse_quantity(token, language="simple"):
    """``token`` (digits or a number word) as a float, or ``None``.

    Thousands separators follow the language: "1.500" is 1500 in Portuguese,
    1.5 in English; "1,500" the other way round. A lone comma is a decimal comma.
    """
    plain = core.strip_accents(token.strip().lower())
    if plain in NUMBER_WORDS:
        return float(NUMBER_WORDS[plain])
    if language != "en" and re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", plain):
        plain = plain.replace(".", "").replace(",", ".")
    elif language == "en" and re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", plain):
        plain = plain.replace(",", "")
    elif plain.count(",") == 1 and "." not in plain:
        plain = plain.replace(",", ".")
    try:
        return float(plain)
    except ValueError:
        return None


def _mask_quotes(text):
    """Quoted names become ``\\x00<n>\\x00`` so no keyword inside them is read."""
    quoted = []

    def mask(match):
        quoted.append(next(group for group in match.groups() if group is not None).strip())
        return "\x00%d\x00" % (len(quoted) - 1)

    return _QUOTES.sub(mask, text), quoted


def _unmask(text, quoted):
    return re.sub(r"\x00(\d+)\x00", lambda match: quoted[int(match.group(1))], text)


def _clean_name(raw, quoted):
    """A name as written, quotes restored, trailing punctuation and fillers off."""
    if re.fullmatch(r"\s*%s\s*" % _PLACEHOLDER, raw):
        return _unmask(raw.strip(), quoted)  # quoted: exactly as given
    name = _TRAILING_FILLER.sub("", _unmask(raw, quoted)).strip(" ,;:-")
    return name if re.search(r"\w", name) else None


def _take_customer(masked, quoted):
    """``(customer name or None, the text without it)``."""
    for pattern in (_CUSTOMER, _CUSTOMER_AFTER_ORDER):
        match = pattern.search(masked)
        if match:
            name = _clean_name(match.group("name"), quoted)
            if name:
                return name, masked[: match.start()] + " ; " + masked[match.end() :]
    return None, masked


def _parse_item(chunk, quoted, language):
    """The :class:`OrderLine` of one comma/"and"-separated piece, or ``None``."""
    chunk = chunk.strip()
    if not chunk:
        return None
    trailing = _ITEM_TRAILING_QTY.match(chunk)
    if trailing and not _ITEM.match(chunk):  # "XYZ x 3"
        return _line(trailing.group("product"), trailing.group("qty"), trailing, quoted, language)
    for start in re.finditer(_QTY, chunk, re.I):
        match = _ITEM.match(chunk, start.start())
        if not match:
            continue
        article = core.strip_accents(match.group("qty").lower()) in _ARTICLE_NUMBERS
        if article and not match.group("uom"):
            continue  # "a" is a number only in "a box of"
        line = _line(match.group("product"), match.group("qty"), match, quoted, language)
        if line:
            return line
    single = _ITEM_ONE_PRODUCT.search(chunk)
    if single:  # "o produto XYZ": one
        return _line(single.group("product"), "1", None, quoted, language)
    return None


def _line(product, qty, match, quoted, language):
    name = _clean_name(product, quoted)
    quantity = parse_quantity(qty, language)
    if not name or not quantity or quantity <= 0:
        return None
    uom = match.group("uom") if match is not None else None
    hint = _UOM_BY_WORD.get(core.strip_accents(uom.lower())) if uom else None
    return OrderLine(name, quantity, hint)


def uom_hint_matches(hint, uom_name):
    """Whether a unit of measure named ``uom_name`` ("Dozens", "kg") is ``hint``."""
    if not hint:
        return False
    name = " ".join(core.words(uom_name))
    return name in UOM_WORDS.get(hint, "").split() or name == hint


# -- matching names to records ----------------------------------------------------------


# Lower case, no accents, words of letters and digits: "Ação-2" -> "acao 2".
normalize_name = core.normalize_text


def search_fragments(query, limit=6):
    """Pieces of ``query`` to look candidates up with (``ilike``) before ranking.

    The query itself, plus each word's first and last four letters, so a typo
    or an accent inside a word still finds it; at most ``limit`` words count.
    """
    fragments = {query.strip()} if query and query.strip() else set()
    normalized = normalize_name(query)
    if normalized:
        fragments.add(normalized)
    for word in normalized.split()[:limit]:
        if len(word) >= 3:
            fragments.update((word[:4], word[-4:]))
    return sorted(fragment for fragment in fragments if fragment)


def rank_matches(query, candidates, threshold=MATCH_THRESHOLD, limit=None):
    """``candidates`` (``(id, name, code)``) scored against ``query``, best first.

    Scores: exact code 1.0; exact name 0.99; the query's words all in the name
    0.7-0.95 by how much of it they cover (the name's all in the query: 0.5-0.8;
    a plural "s" ignored); the query inside the name 0.55-0.85 likewise; else
    the trigram similarity of the names (or of the query and the code). Accents,
    case and punctuation never matter. Only scores of at least ``threshold``
    are kept.
    """
    normalized = normalize_name(query)
    if not normalized:
        return []
    ranked = []
    for ident, name, code in candidates:
        score, reason = _score(normalized, normalize_name(name), normalize_name(code))
        if score >= threshold:
            ranked.append(Match(ident, name, code or None, round(score, 4), reason))
    ranked.sort(key=lambda match: (-match.score, (match.name or "").lower(), str(match.id)))
    return ranked[:limit] if limit else ranked


def _score(query, name, code):
    if code and query == code:
        return 1.0, "code"
    if name and query == name:
        return 0.99, "name"
    signals = [(core.trigram_similarity(query, name), "similar")]
    if code:
        signals.append((core.trigram_similarity(query, code), "similar"))
    query_words, name_words = _singular_words(query), _singular_words(name)
    if name_words and query_words <= name_words:
        signals.append((0.7 + 0.25 * len(query_words) / len(name_words), "words"))
    elif name_words and name_words <= query_words:
        # The query says more than the name: a weaker hint (its extra words
        # may well name another record).
        signals.append((0.5 + 0.3 * len(name_words) / len(query_words), "words"))
    if name and query in name:
        signals.append((0.55 + 0.3 * len(query) / len(name), "contains"))
    return max(signals, key=lambda signal: signal[0])


def _singular_words(normalized):
    """The words, a plural "s" off ("parafusos" ~ "parafuso", "bolts" ~ "bolt")."""
    return {
        word[:-1] if len(word) > 3 and word.endswith("s") else word for word in normalized.split()
    }


def resolve(matches, margin=AMBIGUITY_MARGIN, accept=ACCEPT_SCORE, limit=5):
    """The :class:`Resolution` of ranked ``matches`` (best first)."""
    candidates = tuple(matches[:limit])
    if not candidates:
        return Resolution("unknown", "no_match", None, ())
    best = candidates[0]
    if best.score < accept:
        return Resolution("ambiguous", "weak_match", None, candidates)
    if len(matches) > 1 and best.score - matches[1].score < margin:
        return Resolution("ambiguous", "close_scores", None, candidates)
    return Resolution("unique", "clear", best, candidates)


# -- telling the user -----------------------------------------------------------------


def explain(outcome):
    """What to tell the user about ``outcome``: :class:`core.Message` values, in order.

    The sentences are the Odoo adapter's (``mcp.sale.agent``, translated with
    ``_()``); each message's ``values`` are already formatted text. A created
    order gives ``created``, then per line ``uom_unknown`` (a unit the request
    named that the product lacks) and ``short`` (stock short of the
    quantity), then ``review``. Anything else gives ``not_created``, then one
    message per problem: ``missing_customer``, ``missing_lines`` and, for a
    name not resolved to one record, ``<reason>_<kind>`` (reason ``unknown``,
    ``close_scores`` or ``weak_match``; kind ``customer`` or ``product``).

    ``outcome`` is the glue's result: ``status`` (``created`` / ``needs_input``),
    ``missing`` (from :attr:`OrderRequest.missing`), ``customer`` and each of
    ``lines`` as ``{query, status, reason, match, candidates}`` (matches as
    dicts with ``id``, ``name``, ``code``), lines also with ``quantity``,
    ``uom``, ``uom_hint``, ``uom_matched`` and ``stock`` (``enough``,
    ``available``), and ``order`` (``name``, ``amount_total``, ``currency``).
    """
    if outcome["status"] == "created":
        return _created_messages(outcome)
    messages = [core.Message("not_created")]
    messages += [core.Message("missing_%s" % name) for name in outcome.get("missing", ())]
    if outcome.get("customer"):
        messages.append(_entity_problem("customer", outcome["customer"]))
    messages += [_entity_problem("product", line) for line in outcome.get("lines", ())]
    return [message for message in messages if message]


def _created_messages(outcome):
    order = outcome["order"]
    messages = [
        core.Message(
            "created",
            {
                "order": order["name"],
                "customer": outcome["customer"]["match"]["name"],
                "lines": "; ".join(_line_label(line) for line in outcome["lines"]),
                "total": _with_unit("%.2f" % order["amount_total"], order.get("currency")),
            },
        )
    ]
    for line in outcome["lines"]:
        messages.extend(_line_warnings(line))
    messages.append(core.Message("review"))
    return messages


def _line_warnings(line):
    """A unit the request named but the product lacks; stock short of the quantity."""
    product = line["match"]["name"]
    if line.get("uom_hint") not in (None, "unit") and not line.get("uom_matched"):
        yield core.Message(
            "uom_unknown", {"unit": line["uom_hint"], "product": product, "used": line["uom"]}
        )
    stock = line.get("stock") or {}
    if not stock.get("enough", True):
        yield core.Message(
            "short",
            {
                "product": product,
                "ordered": _number(stock["quantity"]),
                "available": _with_unit(_number(stock["available"]), stock.get("uom")),
            },
        )


def _with_unit(amount, unit):
    return "%s %s" % (amount, unit) if unit else amount


def _line_label(line):
    """ "3 × Bolt", or "2 Dozens × Bolt" when the request named another unit."""
    quantity = _number(line["quantity"])
    if line.get("uom_matched") and line.get("uom_hint") not in (None, "unit"):
        quantity = "%s %s" % (quantity, line["uom"])
    return "%s × %s" % (quantity, line["match"]["name"])


def _entity_problem(kind, entity):
    if entity["status"] == "unique":
        return None
    values = {"query": entity["query"]}
    if entity["status"] == "unknown":
        return core.Message("unknown_%s" % kind, values)
    values["candidates"] = ", ".join(_candidate_label(c) for c in entity["candidates"])
    return core.Message("%s_%s" % (entity["reason"], kind), values)


def _candidate_label(candidate):
    code = "[%s] " % candidate["code"] if candidate.get("code") else ""
    return "%s%s (id %s)" % (code, candidate["name"], candidate["id"])


def _number(value):
    return ("%.3f" % value).rstrip("0").rstrip(".") if value is not None else ""
