"""The router's semantic step: which crew a request is closest to, by a model.

Two scorers, both ``scorer(message, crew_targets)`` → one share per crew (they
sum to 1), or ``None`` for "no opinion"; the router averages their shares with
what the crews' example requests say (:mod:`.example_evidence`):

* :class:`EmbeddingScorer`: how close the request is to each crew's nearest
  passages (its name and description, each of its example requests), by the
  knowledge base's embeddings endpoint. A passage is embedded once and kept in
  a bounded process-wide cache, so a request costs one embedding call for the
  message.
* :class:`LlmClassifier`: a short classification by the crews' own LLM — the
  crews listed with their descriptions, their example requests shown answered,
  the model answers with one crew's code.
  It understands what no word list foresees ("faturamento" is revenue), at the
  price of one small completion, and only when words were not enough.
"""

import array
import collections
import logging
import math
import operator
import re
import threading
import time

from . import text
from .errors import EmbeddingsUnavailable, LlmUnavailable
from .example_evidence import softmax
from .router import ASKED_WHEN_UNCLEAR

_logger = logging.getLogger(__name__)

# Vectors kept per process: each crew's description and example requests (some
# 130 per shipped crew), the tools' texts and recent requests; 384 doubles are 3 KB.
_CACHE_SIZE = 4096


def crew_passages(target):
    """What a crew is about, as passages to embed one by one: its name and
    description, and each example request on its own. A request is compared
    with requests like it: one passage of all the examples blurs them (measured
    on the labelled set, below in :class:`EmbeddingScorer`)."""
    about = ": ".join(filter(None, (target.name, " ".join(target.description.split()))))
    return [about, *target.examples] if about else list(target.examples)


class _VectorCache:
    def __init__(self, size=_CACHE_SIZE):
        self._size = size
        self._lock = threading.Lock()
        self._vectors = collections.OrderedDict()

    def get(self, key):
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def put(self, key, vector):
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)


_CREW_VECTORS = _VectorCache()


def _unit(vector):
    """``vector`` scaled to length 1 (as compact doubles): cosines become dot products."""
    norm = math.sqrt(sum(x * x for x in vector))
    return array.array("d", (x / norm for x in vector) if norm else vector)


class EmbeddingScorer:
    """``scorer(message, crew_targets)`` → one cosine per crew, or ``None``.

    ``client``: an :class:`~.knowledge.embeddings.EmbeddingClient`. ``last_error``
    keeps why the last call had no opinion, for the adapter to log.
    """

    label = "embeddings"
    # Compared with each crew's many example requests, the nearest ones place a
    # request better than words that do not claim it clearly (measured: see
    # ASKED_WHEN_UNSURE in router).
    asked_when = ASKED_WHEN_UNCLEAR
    NEAREST = 2
    # Cosines of one request to the crews sit in a narrow band (0.85-0.93 with
    # multilingual-e5-small): a crew 0.02 closer is e times as likely. Measured
    # with the example requests' evidence (router): 0.01, 0.02 and 0.05 within
    # two requests of 372.
    TEMPERATURE = 0.02
    # Texts per endpoint call, and seconds of calls per request (None: the
    # client's timeout); see _embed.
    BATCH = 64
    budget = None

    def __init__(self, client, cache=_CREW_VECTORS):
        self.client = client
        self.cache = cache
        self.last_error = None

    def __call__(self, message, crews):
        """Each crew's share (they sum to 1), from the mean cosine of its
        ``NEAREST`` passages closest to the request (nearest neighbours; one stray
        example is not a match)."""
        passages = [crew_passages(crew) for crew in crews]
        scores = self.scores(message, [passage for group in passages for passage in group])
        if scores is None:
            return None
        by_crew, start = [], 0
        for group in passages:
            nearest = sorted(scores[start : start + len(group)], reverse=True)[: self.NEAREST]
            by_crew.append(sum(nearest) / len(nearest) if nearest else 0.0)
            start += len(group)
        return softmax(by_crew, self.TEMPERATURE)

    def scores(self, message, texts):
        """One cosine of ``message`` to each passage of ``texts``, or ``None``.

        Vectors are cached unit-length, so a cosine is one dot product; the
        message's too: a crew run ranks its tools against the request routing
        just embedded."""
        query_key, *keys = [(self.client.url, self.client.model, t) for t in (message, *texts)]
        # Read once: the shared cache may evict a vector before this call uses it.
        known = {key: self.cache.get(key) for key in dict.fromkeys((query_key, *keys))}
        missing = [key for key, vector in known.items() if vector is None]
        if missing and not self._embed(missing, known):
            return None
        query = known[query_key]
        return [sum(map(operator.mul, query, known[key])) for key in keys]

    def _embed(self, keys, known):
        """Embeds the texts of ``keys`` (``(url, model, text)``) into ``known`` and
        the cache, a batch per call; ``False`` when the endpoint fails or the calls
        take longer than ``budget`` seconds (the client's timeout by default).

        The shipped crews list some 700 example requests, which a local endpoint
        on a small CPU embeds in about 15 s: one call for all would outlast any
        sane timeout and, failing, cache nothing, request after request. Batch by
        batch, what is embedded stays cached, so a cold process warms over its
        first few requests (those get no opinion: the default crew or the words
        decide) and none waits for the whole."""
        budget = self.client.timeout if self.budget is None else self.budget
        started = time.monotonic()
        for start in range(0, len(keys), self.BATCH):
            if start and time.monotonic() - started > budget:
                self.last_error = EmbeddingsUnavailable(
                    "still embedding the crews' passages: %d of %d done" % (start, len(keys))
                )
                _logger.info("mcp_crew: no semantic scores yet (embeddings): %s", self.last_error)
                return False
            batch = keys[start : start + self.BATCH]
            try:
                vectors = self.client.embed([key[2] for key in batch])
            except EmbeddingsUnavailable as err:
                self.last_error = err
                _logger.warning("mcp_crew: no semantic scores (embeddings): %s", err)
                return False
            for key, vector in zip(batch, vectors, strict=True):
                known[key] = _unit(vector)
                self.cache.put(key, known[key])
        return True


def by_relevance(scorer, message, items, text_of):
    """``items`` most relevant to ``message`` first (``scorer``: an
    :class:`EmbeddingScorer`; ``text_of(item)``: the passage that says what an
    item is). Equal scores, and every item when the scorer has no opinion, keep
    their order.

    Crews hand their agents the tools in this order: small models tend to call
    the first tool offered (a 1.5B model asked for the best supplier offer called
    the exchange rate, listed first), and larger ones read a short list better.
    """
    items = list(items)
    scores = scorer.scores(message, [text_of(item) for item in items]) if len(items) > 1 else None
    if scores is None:
        return items
    ranked = sorted(range(len(items)), key=lambda index: -scores[index])
    return [items[index] for index in ranked]


CLASSIFICATION_INSTRUCTIONS = (
    "You route the requests typed in a company's ERP chat box to the team that "
    "should handle them. Teams:\n%s\nReply with the code of one team and nothing else."
)
# The longest request quoted in the classification prompt (its start says enough).
_QUOTED_REQUEST = 600
# Example requests of each crew shown as earlier turns of the conversation.
_EXAMPLES_PER_CREW = 4
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


def crew_codes(crews):
    """One short code per crew for the model to answer with: its name as a slug
    (``Product research`` → ``product_research``), numbered when two crews share one."""
    codes = []
    for crew in crews:
        base = _SLUG_UNSAFE.sub("_", text.strip_accents(crew.name).lower()).strip("_") or "crew"
        code, number = base, 2
        while code in codes:
            code, number = "%s_%d" % (base, number), number + 1
        codes.append(code)
    return codes


def classification_messages(message, crews):
    """The chat asking which of ``crews`` takes ``message``.

    The crews' example requests come first as earlier turns answered with the
    right code: small local models that ignore a list of descriptions follow
    examples (measured with Qwen2.5-Coder 1.5B: 21/72 right from descriptions
    alone, 67/72 with the examples). The conversation so far is the same for
    every request, so a server with a prompt cache reads only the new request.
    """
    codes = crew_codes(crews)
    teams = "\n".join(
        "- %s: %s" % (code, " ".join(crew.description.split()))
        for code, crew in zip(codes, crews, strict=True)
    )
    messages = [{"role": "system", "content": CLASSIFICATION_INSTRUCTIONS % teams}]
    for index in range(_EXAMPLES_PER_CREW):
        for code, crew in zip(codes, crews, strict=True):
            if index < len(crew.examples):
                messages.append({"role": "user", "content": _request(crew.examples[index])})
                messages.append({"role": "assistant", "content": code})
    messages.append({"role": "user", "content": _request(message)})
    return messages


def _request(message):
    return "Request: %s\nTeam code:" % " ".join(message.split())[:_QUOTED_REQUEST]


def chosen_crew(reply, crews):
    """The index in ``crews`` the model's ``reply`` names, by code or by name; ``None``
    when it names none or several (a model that hedges has no opinion)."""
    folded = text.strip_accents(reply or "").lower()
    named = {
        index
        for index, (code, crew) in enumerate(zip(crew_codes(crews), crews, strict=True))
        if re.search(r"(?<![a-z0-9_])%s(?![a-z0-9_])" % re.escape(code), folded)
        or text.strip_accents(crew.name).lower() in folded
    }
    return named.pop() if len(named) == 1 else None


class LlmClassifier:
    """``scorer(message, crew_targets)`` → 1 for the crew the LLM picks, 0 for the
    others, or ``None``.

    ``complete(messages)`` returns ``(reply text, usage dict)`` and raises
    :class:`~.errors.LlmUnavailable` on failure; ``on_usage(usage)``, if given,
    hears what each classification cost (the adapter counts it on the run).
    ``last_error`` keeps why the last call had no opinion.
    """

    label = "LLM classification"

    def __init__(self, complete, on_usage=None):
        self.complete = complete
        self.on_usage = on_usage
        self.last_error = None

    def __call__(self, message, crews):
        if not crews:
            return None
        try:
            reply, usage = self.complete(classification_messages(message, crews))
        except LlmUnavailable as err:
            self.last_error = err
            _logger.warning("mcp_crew: routing without its LLM classification: %s", err)
            return None
        if usage and self.on_usage is not None:
            self.on_usage(usage)
        index = chosen_crew(reply, crews)
        if index is None:
            _logger.info("mcp_crew: the LLM named no single crew for routing: %r", reply[:200])
            return None
        return [1.0 if position == index else 0.0 for position in range(len(crews))]
