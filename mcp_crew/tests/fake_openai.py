"""A scripted OpenAI-compatible HTTP server on loopback.

This is the only fake in the test suites: Redis, PostgreSQL and the MCP
servers are real, but a language model and an embeddings model cannot be, so
tests talk over real HTTP to this stand-in instead. It imports nothing from
Odoo, so both the engine tests and the Odoo tests use it.

Endpoints (under ``/v1``):

* ``POST /v1/embeddings``: one vector per input, in order; scripted with
  :meth:`FakeOpenAI.script_embedding`, otherwise a deterministic
  bag-of-words vector (hashed words, L2-normalised, ``dimensions`` long), so
  texts sharing words are close and unrelated texts are not;
* ``POST /v1/chat/completions``: the next reply queued with
  :meth:`FakeOpenAI.queue_chat` (an assistant message, possibly with
  ``tool_calls``), with ``usage``; an empty queue answers HTTP 500. The router's
  LLM classifications (a user message ending with :data:`CLASSIFICATION_MARKER`)
  have their own queue, :meth:`FakeOpenAI.queue_classification`, so that routing
  never takes a reply scripted for a crew; with none queued the model has no
  opinion (an empty reply);
* ``GET /v1/models``: the model names seen so far.

:meth:`FakeOpenAI.set_failure` makes every following answer misbehave: late
(``delay``), not JSON (``garbage``), an HTTP error (``status``) or short of
vectors (``missing_vectors``). Failure bodies echo the request's
``Authorization`` header, as some proxies do, so a client that quotes response
bodies in its errors would leak its API key — tests can check it does not.

Every request is recorded in :attr:`FakeOpenAI.requests` (method, path,
lower-cased headers, decoded JSON body).

Usage::

    with FakeOpenAI() as fake:
        fake.script_embedding("hello", [1.0, 0.0])
        fake.queue_chat({"role": "assistant", "content": "Hi"})
        client = SomeClient(base_url=fake.base_url)

As a script (``python fake_openai.py --port 8999``) it serves the default
embeddings and answers chat requests with an echo of the last user message.
"""

import argparse
import copy
import hashlib
import json
import math
import re
import sys
import threading
import time
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_DIMENSIONS = 64
# How the router's classification prompt ends (services/semantic_routing.py; a
# test keeps the two in step).
CLASSIFICATION_MARKER = "Team code:"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def bag_of_words_vector(text, dimensions=DEFAULT_DIMENSIONS):
    """Deterministic embedding: hashed, accent-free, lower-case words, L2-normalised.

    Each word adds 1 to one coordinate (chosen by a stable hash) with a
    stable sign, so cosine similarity grows with the words two texts share.
    Text without words gets a fixed unit vector (never a zero vector).
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    vector = [0.0] * dimensions
    for word in _WORD.findall(plain):
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "big")
        vector[value % dimensions] += 1.0 if (value >> 32) & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if not norm:
        vector[0] = 1.0
        return vector
    return [x / norm for x in vector]


def _tokens(text):
    return len(_WORD.findall(text or "")) or 1


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeOpenAI/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's name
        pass  # keep test output clean

    @property
    def fake(self):
        return self.server.fake

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._handle(None)

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self._handle(body)

    def _handle(self, body):
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.fake._record(self.command, self.path, headers, body)
        failure = self.fake._failure()
        try:
            if failure["delay"]:
                time.sleep(failure["delay"])
            auth = headers.get("authorization", "")
            if failure["status"]:
                error = {
                    "error": {
                        "message": "scripted failure (request authorization: %s)" % auth,
                        "type": "server_error",
                        "code": failure["status"],
                    }
                }
                return self._send(failure["status"], json.dumps(error).encode())
            if failure["garbage"]:
                page = "<html><body>502 Bad Gateway (%s)</body></html>" % auth
                return self._send(200, page.encode(), "text/html")
            path = self.path.split("?", 1)[0].rstrip("/")
            if self.command == "POST" and path == "/v1/embeddings":
                return self._send_json(200, self.fake._embeddings_reply(body, failure))
            if self.command == "POST" and path == "/v1/chat/completions":
                reply = self.fake._chat_reply(body)
                if reply is None:
                    message = "fake_openai: no scripted chat reply queued"
                    return self._send_json(500, {"error": {"message": message}})
                return self._send_json(200, reply)
            if self.command == "GET" and path == "/v1/models":
                return self._send_json(200, self.fake._models_reply())
            return self._send_json(404, {"error": {"message": "no route %s" % path}})
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout ran out during a delay).
            self.close_connection = True
            return None

    def _send_json(self, status, payload):
        self._send(status, json.dumps(payload).encode())

    def _send(self, status, data, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class FakeOpenAI:
    """The scripted server; a context manager that starts and stops it."""

    def __init__(self, host="127.0.0.1", port=0, dimensions=DEFAULT_DIMENSIONS, echo_chat=False):
        self.host = host
        self.port = port
        self.dimensions = dimensions
        # Without a queued reply: echo the last user message (script mode)
        # rather than answer 500 (tests, where a missing script is a mistake).
        self.echo_chat = echo_chat
        self.requests = []
        self._vectors = {}
        self._chat_queue = []
        self._classification_queue = []
        self._models = []
        self._failure_settings = {
            "delay": None,
            "garbage": False,
            "status": None,
            "missing_vectors": 0,
        }
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        self._server = _Server((self.host, self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai-%d" % self.port,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def base_url(self):
        return "http://%s:%d/v1" % (self.host, self.port)

    # -- scripting ---------------------------------------------------------

    def script_embedding(self, text, vector):
        """Answer ``vector`` for exactly ``text``."""
        with self._lock:
            self._vectors[text] = [float(x) for x in vector]

    def queue_chat(self, message, usage=None, finish_reason=None):
        """Queue the next chat reply: an assistant message dict in OpenAI format.

        ``message`` may carry ``tool_calls``
        (``[{"id", "type": "function", "function": {"name", "arguments"}}]``,
        ``arguments`` a JSON string); ``usage`` defaults to word counts.
        """
        message = dict(copy.deepcopy(message))
        message.setdefault("role", "assistant")
        message.setdefault("content", None)
        with self._lock:
            self._chat_queue.append((message, usage, finish_reason))

    def queue_classification(self, reply):
        """Queue the router's next classification answer (text, e.g. ``"3"``)."""
        with self._lock:
            self._classification_queue.append(({"role": "assistant", "content": reply}, None, None))

    def set_failure(self, delay=None, garbage=False, status=None, missing_vectors=0):
        """Misbehave on every following request; ``set_failure()`` restores normal answers."""
        with self._lock:
            self._failure_settings = {
                "delay": delay,
                "garbage": garbage,
                "status": status,
                "missing_vectors": missing_vectors,
            }

    def reset(self):
        """Forget recorded requests, queued replies and failures (between tests)."""
        with self._lock:
            self.requests.clear()
            self._chat_queue.clear()
            self._classification_queue.clear()
        self.set_failure()

    def requests_to(self, path):
        """The recorded requests whose path ends with ``path``."""
        with self._lock:
            return [r for r in self.requests if r["path"].split("?", 1)[0].endswith(path)]

    @property
    def pending_chat(self):
        with self._lock:
            return len(self._chat_queue)

    # -- server side -------------------------------------------------------

    def _record(self, method, path, headers, body):
        with self._lock:
            self.requests.append({"method": method, "path": path, "headers": headers, "json": body})
            model = body.get("model") if isinstance(body, dict) else None
            if model and model not in self._models:
                self._models.append(model)

    def _failure(self):
        with self._lock:
            return dict(self._failure_settings)

    def _embeddings_reply(self, body, failure):
        body = body if isinstance(body, dict) else {}
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        inputs = [str(text) for text in inputs or []]
        with self._lock:
            vectors = [
                self._vectors[text]
                if text in self._vectors
                else bag_of_words_vector(text, self.dimensions)
                for text in inputs
            ]
        if failure["missing_vectors"]:
            vectors = vectors[: max(0, len(vectors) - failure["missing_vectors"])]
        tokens = sum(_tokens(text) for text in inputs)
        return {
            "object": "list",
            "data": [
                {"object": "embedding", "index": index, "embedding": vector}
                for index, vector in enumerate(vectors)
            ],
            "model": body.get("model", "fake-embedding"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    def _chat_reply(self, body):
        body = body if isinstance(body, dict) else {}
        messages = body.get("messages") or []
        last = next((m for m in reversed(messages) if m.get("role") == "user"), {})
        classifying = str(last.get("content") or "").endswith(CLASSIFICATION_MARKER)
        with self._lock:
            queue = self._classification_queue if classifying else self._chat_queue
            queued = queue.pop(0) if queue else None
        if queued is None and classifying:
            queued = ({"role": "assistant", "content": ""}, None, None)
        if queued is None:
            if not self.echo_chat:
                return None
            queued = ({"role": "assistant", "content": str(last.get("content") or "")}, None, None)
        message, usage, finish_reason = queued
        if usage is None:
            prompt = sum(_tokens(json.dumps(m.get("content"))) for m in messages)
            completion = _tokens(json.dumps(message))
            usage = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        with self._lock:
            serial = len(self.requests)
        return {
            "id": "chatcmpl-fake-%d" % serial,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-chat"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": finish_reason
                    or ("tool_calls" if message.get("tool_calls") else "stop"),
                }
            ],
            "usage": usage,
        }

    def _models_reply(self):
        with self._lock:
            names = list(self._models) or ["fake-chat", "fake-embedding"]
        return {
            "object": "list",
            "data": [{"id": name, "object": "model", "owned_by": "fake"} for name in names],
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dimensions", type=int, default=DEFAULT_DIMENSIONS)
    parser.add_argument("--delay", type=float, default=None)
    parser.add_argument("--status", type=int, default=None)
    parser.add_argument("--garbage", action="store_true")
    options = parser.parse_args(argv)
    fake = FakeOpenAI(options.host, options.port, options.dimensions, echo_chat=True)
    fake.set_failure(delay=options.delay, garbage=options.garbage, status=options.status)
    fake.start()
    sys.stdout.write("%s\n" % fake.base_url)
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sys.stdout.write("stopped\n")
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
