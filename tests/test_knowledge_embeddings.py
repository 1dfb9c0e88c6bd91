"""Embeddings client and re-ranking over real HTTP, against the scripted fake server."""

import logging
import math
import time

import pytest
import requests

from mcp_crew.services.errors import EmbeddingsUnavailable
from mcp_crew.services.knowledge.embeddings import EmbeddingClient, cosine, rerank
from mcp_crew.tests import fake_openai

API_KEY = "sk-test-5ecret-d0-not-leak"
MODEL = "text-embedding-3-small"


@pytest.fixture
def fake():
    with fake_openai.FakeOpenAI() as server:
        yield server


@pytest.fixture
def client(fake):
    return EmbeddingClient(fake.base_url, MODEL, api_key=API_KEY, timeout=2.0)


def assert_no_secret(err, caplog):
    assert API_KEY not in str(err)
    assert API_KEY not in repr(err)
    assert all(API_KEY not in record.getMessage() for record in caplog.records)


def test_fake_server_is_on_loopback(fake):
    assert fake.base_url.startswith("http://127.0.0.1:") and fake.base_url.endswith("/v1")
    assert fake.port > 0


def test_fake_server_replays_queued_chat_replies(fake):
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "knowledge_search", "arguments": '{"query": "frete"}'},
    }
    fake.queue_chat({"role": "assistant", "content": None, "tool_calls": [call]})
    fake.queue_chat({"content": "Frete grátis acima de R$ 1.000."}, usage={"total_tokens": 7})
    url = fake.base_url + "/chat/completions"
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": "Frete?"}]}

    first = requests.post(url, json=body, timeout=5).json()
    assert first["object"] == "chat.completion" and first["model"] == "gpt-test"
    (choice,) = first["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"] == [call]
    assert first["usage"]["total_tokens"] == (
        first["usage"]["prompt_tokens"] + first["usage"]["completion_tokens"]
    )
    second = requests.post(url, json=body, timeout=5).json()
    assert second["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Frete grátis acima de R$ 1.000.",
    }
    assert second["choices"][0]["finish_reason"] == "stop"
    assert second["usage"] == {"total_tokens": 7}
    assert fake.pending_chat == 0
    # Nothing queued: a loud failure, not an invented answer.
    assert requests.post(url, json=body, timeout=5).status_code == 500
    assert [r["json"] for r in fake.requests_to("/chat/completions")] == [body] * 3


def test_embed_returns_scripted_vectors_in_order(fake, client):
    fake.script_embedding("alpha", [1.0, 0.0, 0.0])
    fake.script_embedding("beta", [0.0, 1.0, 0.0])
    fake.script_embedding("gamma", [0.0, 0.0, 1.0])
    vectors = client.embed(["gamma", "alpha", "beta", "alpha"])
    assert vectors == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]

    (request,) = fake.requests
    assert request["method"] == "POST" and request["path"] == "/v1/embeddings"
    assert request["json"] == {"model": MODEL, "input": ["gamma", "alpha", "beta", "alpha"]}
    assert request["headers"]["authorization"] == "Bearer %s" % API_KEY


def test_unscripted_texts_get_deterministic_vectors(fake, client):
    first, again, other = client.embed(["prazo de entrega", "prazo de entrega", "nota fiscal"])
    assert first == again == fake_openai.bag_of_words_vector("prazo de entrega")
    assert len(first) == fake_openai.DEFAULT_DIMENSIONS
    assert math.isclose(sum(x * x for x in first), 1.0)
    assert cosine(first, other) < 0.9


def test_embed_without_texts_sends_nothing(fake, client):
    assert client.embed([]) == []
    assert fake.requests == []


def test_embed_without_api_key_sends_no_authorization(fake):
    client = EmbeddingClient(fake.base_url + "/", MODEL, timeout=2.0)
    assert len(client.embed(["x"])) == 1
    assert "authorization" not in fake.requests[0]["headers"]
    assert fake.requests[0]["path"] == "/v1/embeddings"


def test_timeout_raises_embeddings_unavailable(fake, caplog):
    caplog.set_level(logging.DEBUG)
    client = EmbeddingClient(fake.base_url, MODEL, api_key=API_KEY, timeout=0.3)
    fake.set_failure(delay=20.0)
    started = time.monotonic()
    with pytest.raises(EmbeddingsUnavailable, match="no answer within 0.3 s") as info:
        client.embed(["slow"])
    # Cut by the 0.3 s timeout, not the 20 s delay (room for a busy machine).
    assert time.monotonic() - started < 10
    assert_no_secret(info.value, caplog)


def test_garbage_raises_without_leaking_the_key(fake, client, caplog):
    caplog.set_level(logging.DEBUG)
    fake.set_failure(garbage=True)
    with pytest.raises(EmbeddingsUnavailable) as info:
        client.embed(["a", "b"])
    assert_no_secret(info.value, caplog)
    assert API_KEY in fake.requests[0]["headers"]["authorization"]


@pytest.mark.parametrize("status", [500, 401, 429])
def test_http_errors_raise_without_leaking_the_key(fake, client, caplog, status):
    caplog.set_level(logging.DEBUG)
    fake.set_failure(status=status)
    with pytest.raises(EmbeddingsUnavailable, match="HTTP %d" % status) as info:
        client.embed(["a"])
    assert_no_secret(info.value, caplog)
    # The server recovers, and so does the client.
    fake.set_failure()
    assert len(client.embed(["a"])) == 1


def test_wrong_vector_count_raises(fake, client):
    fake.set_failure(missing_vectors=1)
    with pytest.raises(EmbeddingsUnavailable, match="returned 2 vectors for 3 texts"):
        client.embed(["a", "b", "c"])


def test_unreachable_endpoint_raises(fake):
    url = fake.base_url
    fake.stop()
    client = EmbeddingClient(url, MODEL, api_key=API_KEY, timeout=1.0)
    with pytest.raises(EmbeddingsUnavailable, match="failed") as info:
        client.embed(["a"])
    assert API_KEY not in str(info.value)


def test_cosine_basics():
    assert cosine([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == pytest.approx(1.0)
    assert cosine([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]) == pytest.approx(1.0)
    assert cosine([1.0, 0.0], [0.0, 5.0]) == pytest.approx(0.0)
    assert cosine([1.0, -1.0], [-1.0, 1.0]) == pytest.approx(-1.0)
    assert cosine([1.0, 1.0], [1.0, 0.0]) == pytest.approx(1 / math.sqrt(2))
    assert cosine([], [1.0]) == 0.0
    assert cosine(None, [1.0]) == 0.0
    assert cosine([1.0, 2.0], [1.0, 2.0, 3.0]) == 0.0
    assert cosine([0.0, 0.0], [1.0, 1.0]) == 0.0


def _result(item_id, score):
    scores = {"text": score, "trigram": 0.0, "confidence": 0.5, "recency": 1.0}
    return {"id": item_id, "score": score, "scores": scores, "snippet": "item %d" % item_id}


def test_rerank_moves_semantically_close_items_up(fake, client):
    query = "devolução de produtos com defeito"
    texts = {
        1: "horário de funcionamento da loja aos sábados",
        2: "troca e devolução de produtos com defeito de fábrica",
        3: "tabela de preços para revendedores",
    }
    results = [_result(1, 0.5), _result(4, 0.45), _result(3, 0.42), _result(2, 0.4)]
    original = [dict(result, scores=dict(result["scores"])) for result in results]
    query_vector, *item_vectors = client.embed([query, *texts.values()])
    vectors = dict(zip(texts, item_vectors, strict=True))  # item 4 has no vector

    reranked = rerank(results, query_vector, vectors, weight=0.5)

    assert [r["id"] for r in reranked][0] == 2
    by_id = {r["id"]: r for r in reranked}
    assert by_id[2]["scores"]["vector"] > by_id[1]["scores"]["vector"]
    assert by_id[2]["score"] == pytest.approx(
        0.5 * 0.4 + 0.5 * cosine(query_vector, vectors[2]), abs=1e-6
    )
    assert by_id[4]["score"] == 0.45 and by_id[4]["scores"]["vector"] is None
    assert [r["score"] for r in reranked] == sorted((r["score"] for r in reranked), reverse=True)
    assert results == original, "the input list is left alone"
    # Every other component is kept.
    assert all(r["scores"]["confidence"] == 0.5 for r in reranked)


def test_rerank_with_scripted_vectors(fake, client):
    fake.script_embedding("query", [1.0, 0.0])
    fake.script_embedding("close", [0.9, 0.1])
    fake.script_embedding("far", [0.0, 1.0])
    query_vector, close, far = client.embed(["query", "close", "far"])
    results = [_result(10, 0.6), _result(11, 0.3), _result(12, 0.5)]
    reranked = rerank(results, query_vector, {10: far, 11: close}, weight=0.5)
    assert [r["id"] for r in reranked] == [11, 12, 10]
    assert reranked[0]["scores"]["vector"] == pytest.approx(cosine([1, 0], [0.9, 0.1]), abs=1e-6)
    assert reranked[1]["score"] == 0.5 and reranked[1]["scores"]["vector"] is None
    assert reranked[2]["score"] == pytest.approx(0.3, abs=1e-6)
    assert rerank(results, query_vector, {}, weight=0.5)[0]["id"] == 10
