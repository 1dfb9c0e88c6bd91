"""Optional re-ranking of knowledge candidates by embedding similarity.

Talks to any OpenAI-compatible ``POST {base_url}/embeddings`` (OpenAI, a local
Ollama or vLLM, ...). Everything here is optional: without an endpoint, or when
it fails, search keeps its lexical ranking and says so in ``scores``.
"""

import logging
import math

import requests

from .. import redaction
from ..errors import EmbeddingsUnavailable

_logger = logging.getLogger(__name__)


class EmbeddingClient:
    def __init__(self, base_url, model, api_key=None, timeout=5.0, session=None):
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.api_key = api_key
        redaction.protect(api_key)
        self.timeout = timeout
        self.session = session or requests.Session()

    def embed(self, texts):
        """One vector per text, in order."""
        if not texts:
            return []
        headers = {"Authorization": "Bearer %s" % self.api_key} if self.api_key else {}
        _logger.info(
            "mcp_crew: embedding %d text(s) with %s at %s", len(texts), self.model, self.url
        )
        try:
            response = self.session.post(
                self.url,
                json={"model": self.model, "input": list(texts)},
                headers=headers,
                timeout=self.timeout,
            )
            response.raise_for_status()
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = [[float(x) for x in item["embedding"]] for item in data]
        except requests.JSONDecodeError as err:
            raise EmbeddingsUnavailable("embeddings endpoint answered garbage: not JSON") from err
        except requests.Timeout as err:
            raise EmbeddingsUnavailable(
                "embeddings endpoint gave no answer within %.1f s" % self.timeout
            ) from err
        except requests.RequestException as err:
            raise EmbeddingsUnavailable("embeddings endpoint failed: %s" % _short(err)) from err
        except (ValueError, KeyError, TypeError) as err:
            raise EmbeddingsUnavailable("embeddings endpoint answered garbage: %s" % err) from err
        if len(vectors) != len(texts):
            raise EmbeddingsUnavailable(
                "embeddings endpoint returned %d vectors for %d texts" % (len(vectors), len(texts))
            )
        return vectors


def _short(err):
    # requests' messages can embed the whole URL; the class and status suffice.
    response = getattr(err, "response", None)
    if response is not None:
        return "HTTP %s" % response.status_code
    return type(err).__name__


def cosine(left, right):
    if not left or not right or len(left) != len(right):
        return 0.0
    dot = sum(a * b for a, b in zip(left, right, strict=True))
    norm = math.sqrt(sum(a * a for a in left)) * math.sqrt(sum(b * b for b in right))
    return dot / norm if norm else 0.0


def rerank(results, query_vector, vectors, weight=0.5):
    """Blend each result's score with the cosine of its vector to the query's.

    ``vectors`` maps result id → vector; a result without one keeps its score
    (its ``scores["vector"]`` is ``None``). Returns a new list, best first.
    """
    reranked = []
    for result in results:
        vector = vectors.get(result["id"])
        similarity = cosine(query_vector, vector) if vector else None
        scores = dict(result["scores"], vector=None if similarity is None else round(similarity, 6))
        score = result["score"]
        if similarity is not None:
            score = (1 - weight) * score + weight * similarity
        reranked.append(dict(result, scores=scores, score=round(score, 6)))
    reranked.sort(key=lambda r: (-r["score"], -r["id"]))
    return reranked
