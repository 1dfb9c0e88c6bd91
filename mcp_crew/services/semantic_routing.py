"""The router's semantic step: how close a request is to each crew, by embeddings.

A crew is embedded once per text (its name, description and example requests)
and kept in a bounded process-wide cache, so a request costs one embedding call
for the message alone. Any failure of the endpoint means "no opinion": the
router then keeps its lexical choice or the default crew.
"""

import collections
import logging
import threading

from .errors import EmbeddingsUnavailable
from .knowledge.embeddings import cosine

_logger = logging.getLogger(__name__)

_CACHE_SIZE = 512


def crew_text(target):
    """What a crew is about, as one passage to embed."""
    return "\n".join(filter(None, (target.name, target.description, *target.examples)))


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


class EmbeddingScorer:
    """``scorer(message, crew_targets)`` → one cosine per crew, or ``None``.

    ``client``: an :class:`~.knowledge.embeddings.EmbeddingClient`. ``last_error``
    keeps why the last call had no opinion, for the adapter to log.
    """

    def __init__(self, client, cache=_CREW_VECTORS):
        self.client = client
        self.cache = cache
        self.last_error = None

    def __call__(self, message, crews):
        texts = [crew_text(crew) for crew in crews]
        keys = [(self.client.url, self.client.model, passage) for passage in texts]
        missing = [key for key in dict.fromkeys(keys) if self.cache.get(key) is None]
        try:
            vectors = self.client.embed([message] + [key[2] for key in missing])
        except EmbeddingsUnavailable as err:
            self.last_error = err
            _logger.warning("mcp_crew: routing without its semantic step: %s", err)
            return None
        for key, vector in zip(missing, vectors[1:], strict=True):
            self.cache.put(key, vector)
        query = vectors[0]
        return [cosine(query, self.cache.get(key)) for key in keys]
