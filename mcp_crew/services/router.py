"""Request routing: which crew, tool, business intent or knowledge answers a
message — decided without an LLM, ranked and explained.

The router reads the message the way a search engine reads a query: language
(Portuguese or English), content words folded and stemmed in that language,
entities (e-mails, quantities, record references, quoted names). It scores
every target the adapter describes — crews (description, routing keywords,
example requests), MCP tools (name and description), fixed business intents
(patterns) — with three signals:

* ``bm25``: Okapi BM25 of the message against the target's text, with the
  inverse document frequencies of this set of targets, so words every target
  uses count for little;
* ``keywords``: share of the target's routing keywords (stemmed phrases)
  found in the message;
* ``examples``: best word overlap with one of the target's example requests.

Explicit tool commands (``/tool server.name {"arg": 1}``) and intents whose
pattern matches win outright. A knowledge answer wins when the adapter's
knowledge search found a strong match for a question. Crews need an LLM: with
none configured the decision says so (``llm_required``) and names the crew
that would have answered. Every decision carries the ranked candidates and
the signals behind each score.
"""

import collections
import dataclasses
import json
import math
import re

import snowballstemmer

from . import errors
from .knowledge import text

_STEMMERS = {
    "pt": snowballstemmer.stemmer("portuguese"),
    "en": snowballstemmer.stemmer("english"),
}
# Words that carry no routing signal in a request, beyond the usual stop words.
_REQUEST_FILLER = frozenset(
    (
        "por favor favor quero queria preciso gostaria pode poderia podes me mim voce "
        "voces eu nos nosso nossa meu minha fazer faz faca tem ter sobre isso esse essa "
        "please want need would like could can you your i me my we our us do make "
        "tell show give get let lets just also some any all foram sera seria estava"
    ).split()
)
_STOPWORDS = frozenset().union(*text.STOPWORDS.values()) | _REQUEST_FILLER

_TOOL_COMMAND = re.compile(r"^\s*/(?:tool|ferramenta)\s+(?P<name>[\w.:-]+)(?P<args>.*)$", re.S)
_KEY_VALUE = re.compile(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S+)")
_QUESTION_START = re.compile(
    r"^\s*(qual|quais|quanto|quantos|quantas|quando|onde|como|por que|porque|o que|"
    r"existe|tem|what|which|how|when|where|why|who|is|are|does|do|can)\b",
    re.I,
)
_ENTITY_PATTERNS = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "quantity": re.compile(
        r"\b(\d+(?:[.,]\d+)?)\s*(unidades?|unid|un|pe[çc]as?|caixas?|kg|units?|pieces?|"
        r"boxes?|pcs)\b",
        re.I,
    ),
    "reference": re.compile(r"\b(?:[A-Z]{1,5}[/-]?\d{2,}(?:[/-]\d+)*)\b"),
    "quoted": re.compile(r"[\"“']([^\"”']{2,80})[\"”']"),
    "date": re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\b"),
}


@dataclasses.dataclass(frozen=True)
class Target:
    """Something a request can be routed to, as the adapter describes it.

    ``kind`` is ``crew``, ``tool`` or ``intent``; ``ident`` what the adapter
    needs to run it (a crew id, ``"<server_id>:<tool>"``, an intent name);
    ``patterns`` (intents only) are regular expressions that trigger it.
    """

    kind: str
    ident: str
    name: str
    description: str = ""
    keywords: tuple = ()
    examples: tuple = ()
    patterns: tuple = ()


@dataclasses.dataclass(frozen=True)
class Candidate:
    kind: str
    ident: str
    name: str
    score: float
    signals: dict


@dataclasses.dataclass(frozen=True, kw_only=True)
class Decision:
    """Where a message goes, with everything that explains it (keywords only:
    ten fields read wrongly by position are a silent misroute)."""

    kind: str
    ident: str
    name: str
    confidence: float
    language: str
    reason: str
    terms: tuple = ()
    entities: dict = dataclasses.field(default_factory=dict)
    arguments: dict = dataclasses.field(default_factory=dict)
    candidates: tuple = ()

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class RouterSettings:
    # Below this a crew is not a confident match (a crew still needs an LLM).
    crew_threshold: float = 0.12
    # A tool chosen from plain language (not a /tool command) needs more: its
    # arguments must then come from the message, which the adapter checks.
    tool_threshold: float = 0.45
    # A knowledge hit at least this good answers a question directly.
    knowledge_threshold: float = 0.45
    bm25_k1: float = 1.2
    bm25_b: float = 0.5
    weights: tuple = (("bm25", 0.45), ("keywords", 0.35), ("examples", 0.20))


def detect_language(message):
    """The language routing uses for ``message``: ``pt``, ``en`` or ``simple``."""
    return text.detect_language(message, default="simple")


def analyse(message):
    """Language, routing terms (stems) and entities of ``message``."""
    detected = detect_language(message)
    return detected, terms(message, detected), entities(message)


def terms(message, language="simple"):
    """Content-word stems; a message of unknown language gets both stemmers' stems."""
    # Stemmed with their accents (the Portuguese stemmer knows "-ções"), folded after.
    words = [
        word
        for word in text.tokens(message)
        if len(word) > 1 and text.strip_accents(word) not in _STOPWORDS
    ]
    stemmers = [_STEMMERS[language]] if language in _STEMMERS else list(_STEMMERS.values())
    stems = []
    for stemmer in stemmers:
        stems.extend(text.strip_accents(stem) for stem in stemmer.stemWords(words))
    return tuple(stems)


def entities(message):
    """Entities by kind; a pattern's first group, when it has groups, is the value."""
    found = {}
    for name, pattern in _ENTITY_PATTERNS.items():
        matches = [_entity_value(name, match) for match in pattern.finditer(message)]
        if matches:
            found[name] = matches
    return found


def _entity_value(name, match):
    if name == "quantity":  # "3 unidades": number and unit
        return " ".join(match.groups())
    return match.group(1) if match.groups() else match.group(0)


def parse_tool_command(message):
    """``(tool name, arguments)`` of a ``/tool name {json}`` or ``key=value`` command, or None."""
    match = _TOOL_COMMAND.match(message)
    if not match:
        return None
    raw = match.group("args").strip()
    if not raw:
        return match.group("name"), {}
    if raw.startswith(("{", "[")):
        try:
            arguments = json.loads(raw)
        except ValueError as err:
            raise errors.InvalidRequest("tool arguments are not valid JSON: %s" % err) from err
        if not isinstance(arguments, dict):
            raise errors.InvalidRequest("tool arguments must be a JSON object")
        return match.group("name"), arguments
    pairs = _KEY_VALUE.findall(raw)
    if not pairs:
        raise errors.InvalidRequest(
            'tool arguments must be JSON or key=value pairs, got "%s"' % raw
        )
    return match.group("name"), {key: _scalar(value.strip("\"'")) for key, value in pairs}


def _scalar(value):
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            continue
    return {"true": True, "false": False}.get(value.lower(), value)


class Router:
    """Routes messages among a fixed set of targets; build one per catalog change."""

    def __init__(self, targets, settings=RouterSettings()):
        self.targets = tuple(targets)
        self.settings = settings
        documents = [self._document(target) for target in self.targets]
        # Term frequencies and lengths once: every request scores every target.
        self._counts = [collections.Counter(document) for document in documents]
        self._lengths = [len(document) for document in documents]
        self._keywords = [self._phrases(target.keywords) for target in self.targets]
        self._examples = [self._phrases(target.examples) for target in self.targets]
        self._patterns = [
            [re.compile(pattern, re.I) for pattern in target.patterns] for target in self.targets
        ]
        count = len(documents) or 1
        self._average_length = sum(self._lengths) / count
        frequency = collections.Counter()
        for counts in self._counts:
            frequency.update(counts.keys())
        self._idf = {
            term: math.log(1 + (count - seen + 0.5) / (seen + 0.5))
            for term, seen in frequency.items()
        }

    @staticmethod
    def _document(target):
        body = " ".join(
            (target.name, target.description, " ".join(target.keywords), " ".join(target.examples))
        )
        return list(terms(body.replace("_", " ")))

    @staticmethod
    def _phrases(phrases):
        """Each phrase stemmed in each language: a message matches either spelling."""
        stemmed = []
        for phrase in phrases:
            variants = {frozenset(terms(phrase, lang)) for lang in _STEMMERS}
            variants.discard(frozenset())
            if variants:
                stemmed.append(variants)
        return stemmed

    def route(self, message, knowledge_score=0.0, llm_available=False):
        """The :class:`Decision` for ``message``.

        ``knowledge_score``: the best knowledge search score for the message
        (the adapter searched); ``llm_available``: whether crews can run.
        """
        if not isinstance(message, str) or not message.strip():
            raise errors.InvalidRequest("the message is empty")
        language, message_terms, found = analyse(message)
        command = parse_tool_command(message)
        if command:
            return self._tool_command(command, language, message_terms, found)
        term_set = frozenset(message_terms)
        candidates = sorted(
            (self._score(index, message, term_set) for index in range(len(self.targets))),
            key=lambda candidate: (-candidate.score, candidate.kind, candidate.name),
        )
        decide = dict(language=language, terms=message_terms, entities=found, arguments={})
        decide["candidates"] = tuple(candidates[:5])
        best = candidates[0] if candidates else None
        if best and best.signals.get("pattern"):
            return Decision(
                kind=best.kind,
                ident=best.ident,
                name=best.name,
                confidence=1.0,
                reason="pattern of intent %s" % best.name,
                **decide,
            )
        is_question = message.strip().endswith("?") or bool(_QUESTION_START.match(message))
        if knowledge_score >= self.settings.knowledge_threshold and (
            is_question or not best or not self._qualifies(best)
        ):
            return Decision(
                kind="knowledge",
                ident="",
                name="knowledge base",
                confidence=round(knowledge_score, 4),
                reason="the knowledge base has a strong match (%.2f)" % knowledge_score,
                **decide,
            )
        if best and self._qualifies(best):
            if best.kind == "crew" and not llm_available:
                return Decision(
                    kind="llm_required",
                    ident=best.ident,
                    name=best.name,
                    confidence=best.score,
                    reason="crew %s would answer, but no LLM is configured" % best.name,
                    **decide,
                )
            return Decision(
                kind=best.kind,
                ident=best.ident,
                name=best.name,
                confidence=best.score,
                reason="best match: %s %s" % (best.kind, best.name),
                **decide,
            )
        return Decision(
            kind="llm_required",
            ident="",
            name="",
            confidence=best.score if best else 0.0,
            reason="no crew, tool or knowledge matches well enough; an LLM would be needed",
            **decide,
        )

    def _tool_command(self, command, language, message_terms, found):
        name, arguments = command
        tools = [t for t in self.targets if t.kind == "tool"]
        wanted = [t for t in tools if name in (t.ident, t.name, t.ident.split(":", 1)[-1])]
        if not wanted:
            raise errors.ToolNotFound("no tool named %s is available" % name)
        if len(wanted) > 1:
            raise errors.InvalidRequest(
                "tool name %s is ambiguous: %s" % (name, ", ".join(t.ident for t in wanted))
            )
        tool = wanted[0]
        return Decision(
            kind="tool",
            ident=tool.ident,
            name=tool.name,
            confidence=1.0,
            language=language,
            terms=message_terms,
            entities=found,
            arguments=arguments,
            candidates=(Candidate("tool", tool.ident, tool.name, 1.0, {"command": True}),),
            reason="explicit tool command",
        )

    def _score(self, index, message, message_terms):
        target = self.targets[index]
        if any(pattern.search(message) for pattern in self._patterns[index]):
            return Candidate(target.kind, target.ident, target.name, 1.0, {"pattern": True})
        signals = {
            "bm25": round(self._bm25(index, message_terms), 4),
            "keywords": round(self._keyword_share(index, message_terms), 4),
            "examples": round(self._example_overlap(index, message_terms), 4),
        }
        score = sum(weight * signals[name] for name, weight in self.settings.weights)
        # Evidence count, not weighed: one stray shared word is not a match.
        signals["matched_terms"] = sum(1 for term in message_terms if term in self._counts[index])
        return Candidate(target.kind, target.ident, target.name, round(score, 4), signals)

    def _qualifies(self, candidate):
        threshold = (
            self.settings.tool_threshold
            if candidate.kind == "tool"
            else self.settings.crew_threshold
        )
        signals = candidate.signals
        return candidate.score >= threshold and (
            signals.get("keywords", 0) > 0 or signals.get("matched_terms", 0) >= 2
        )

    def _bm25(self, index, message_terms):
        counts, length = self._counts[index], self._lengths[index]
        if not length or not message_terms:
            return 0.0
        k1, b = self.settings.bm25_k1, self.settings.bm25_b
        length_norm = k1 * (1 - b + b * length / (self._average_length or 1))
        raw = 0.0
        for term in message_terms:
            frequency = counts[term]
            if frequency:
                raw += self._idf[term] * frequency * (k1 + 1) / (frequency + length_norm)
        # Saturate into 0-1 so it can be weighed with the other signals.
        return raw / (raw + 3.0)

    def _keyword_share(self, index, message_terms):
        covered = set()
        for variants in self._keywords[index]:
            for variant in variants:
                if variant <= message_terms:
                    covered |= variant
        # Distinct message words, so "criar" and "crie" count once; two already
        # make a strong case.
        return min(1.0, len(covered) / 2.0)

    def _example_overlap(self, index, message_terms):
        best = 0.0
        for variants in self._examples[index]:
            for example in variants:
                best = max(best, len(example & message_terms) / len(example | message_terms))
        return best
