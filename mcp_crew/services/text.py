"""Text helpers every engine shares: words, accents, similarity, language, e-mails.

Part of the core's public engine interface (:mod:`.public`): the glue addons'
engines (``mcp_crew_crm``, ``mcp_crew_sale``) use these, so there is one
definition of a word, of an e-mail address and of "is this Portuguese or
English" in the whole project.

Guarantees:

* :func:`trigram_similarity` is pg_trgm's ``similarity()``, so a threshold
  means the same here and in SQL;
* :data:`EMAIL` is the one e-mail address pattern: :func:`is_valid_email`
  validates with it, :func:`find_emails` (the router's entities, the
  knowledge masking) finds addresses in text with it;
* :func:`detect_language` is the one language guess (routing, knowledge
  stemming, order requests): ``pt``, ``en`` or the default.
"""

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Function words that tell Portuguese from English; overlap-free on purpose.
STOPWORDS = {
    "pt": frozenset(
        "o os as um uma uns umas de do da dos das em no na nos nas por para com "
        "não nao que se ao aos à às é são sao foi ser está esta estão mais muito "
        "seu sua seus suas ele ela eles elas isso este essa esse também tambem "
        "quando onde como qual quais porque pelo pela pelos pelas entre sobre".split()
    ),
    "en": frozenset(
        "the of and to in is are was were be been it its this that these those "
        "with for on at by from an or not no which who what when where how why "
        "has have had will would can could should about into than then there".split()
    ),
}
LANGUAGES = ("pt", "en", "simple")
# Fewer telling words than this say nothing about the language.
MIN_LANGUAGE_EVIDENCE = 2

# One e-mail address: a dot-atom local part (letters of any script allowed, as
# RFC 6531 does) and a domain of at least two labels ending in a letters-only
# top-level label; labels are letters/digits/hyphens, never hyphen-bounded.
# No capturing groups: a match is the whole address (split it at the last "@").
_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
EMAIL = re.compile(
    r"%s(?:\.%s)*@(?:[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?\.)+[^\W\d_]{2,63}" % (_ATOM, _ATOM),
    re.IGNORECASE,
)
# RFC 5321 limits.
MAX_EMAIL, MAX_EMAIL_LOCAL_PART = 254, 64


def strip_accents(text):
    if text.isascii():  # no character of it decomposes: most words, often whole texts
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def tokens(text):
    """Lower-case words of ``text``, accents kept (what stemmers want)."""
    return _WORD.findall((text or "").lower())


def words(text):
    """Lower-case, accent-free words of ``text``."""
    return tokens(strip_accents(text or ""))


def normalize_text(text):
    """Lower case, no accents, words of letters and digits: "Ação-2" -> "acao 2"."""
    return " ".join(words(text))


def detect_language(text, default="simple", markers=None):
    """``pt``, ``en`` or ``default`` by counting the words that tell them apart.

    The words are the function words of :data:`STOPWORDS`, plus ``markers``
    (``{"pt": words, "en": words}``, accent-free) for a caller whose texts are
    short and domain-bound ("criar pedido cliente ABC"). A language wins with at
    least :data:`MIN_LANGUAGE_EVIDENCE` telling words and more than the other;
    a short title without them keeps the default.
    """
    found = tokens(text)
    counts = {}
    for language, stop in STOPWORDS.items():
        extra = frozenset((markers or {}).get(language, ()))
        counts[language] = sum(token in stop or strip_accents(token) in extra for token in found)
    best = max(counts, key=counts.get)
    others = [count for language, count in counts.items() if language != best]
    if counts[best] >= MIN_LANGUAGE_EVIDENCE and counts[best] > max(others):
        return best
    return default


def is_valid_email(email):
    """Whether ``email`` is exactly one address of :data:`EMAIL`, within RFC 5321's lengths."""
    if not isinstance(email, str) or len(email) > MAX_EMAIL:
        return False
    local = email.rpartition("@")[0]
    return len(local) <= MAX_EMAIL_LOCAL_PART and bool(EMAIL.fullmatch(email))


def find_emails(text):
    """The e-mail addresses in ``text``, as :data:`EMAIL` matches, in order."""
    return list(EMAIL.finditer(text or ""))


def _trigrams(text):
    # pg_trgm: lower-case words of alphanumerics, each padded "  w ".
    grams = set()
    # Lower-cased character by character, as PostgreSQL does: Python's "İ".lower()
    # is two characters, PostgreSQL's one.
    lowered = "".join(char.lower()[0] for char in text or "")
    for word in _WORD.findall(lowered):
        padded = "  %s " % word
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(left, right):
    """pg_trgm ``similarity(left, right)``: shared trigrams over all trigrams."""
    a, b = _trigrams(left), _trigrams(right)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
