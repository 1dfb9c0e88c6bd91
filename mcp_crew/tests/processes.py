"""Real processes for tests: free ports, waiting for them, MCP servers, a
private Redis.

Shared by the Odoo tests, the plain-pytest engine tests and the benches; no
Odoo import.
"""

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

# The SDK-built MCP server every suite talks to.
CATALOG_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalog_server.py")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=20.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError("process exited with %s before listening" % process.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("nothing listens on port %d after %.0f s" % (port, timeout))


class ServerProcess:
    """A real server in a subprocess, killable (and restartable) from the test."""

    def __init__(self, argv, port=None, env=None):
        self.argv = argv
        self.port = port
        self.env = env
        self.process = None

    def start(self):
        env = dict(os.environ, **(self.env or {}))
        self.process = subprocess.Popen(
            self.argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if self.port:
            wait_for_port(self.port, process=self.process)
        return self

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def start_catalog_server(*options, transport="http"):
    """``catalog_server.py`` over streamable HTTP (or SSE): ``(url, ServerProcess)``."""
    port = free_port()
    server = ServerProcess(
        [sys.executable, CATALOG_SERVER, transport, "--port", str(port), *options], port=port
    ).start()
    path = "/mcp" if transport == "http" else "/sse"
    return "http://127.0.0.1:%d%s" % (port, path), server


class PrivateRedis(ServerProcess):
    """A redis-server owned by one test, so the test can stop and restart it."""

    def __init__(self):
        super().__init__(None, port=free_port())

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port

    def start(self):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; the README's test command does it")
        self.argv = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        return super().start()

    def stop(self):
        self.kill()


class Listener:
    """A loopback HTTP server that records each request's headers.

    ``reply``: ``(status, headers, body)``, or a callable taking the request's
    headers and returning one (e.g. to echo a header back).
    """

    def __init__(self, reply=(404, {}, b"")):
        self.requests = []
        self.reply = reply
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers)
                listener.requests.append(headers)
                reply = listener.reply
                status, reply_headers, body = reply(headers) if callable(reply) else reply
                self.send_response(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/mcp" % self.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, text):
        """Whether any request carried ``text`` in a header."""
        return any(text in value for headers in self.requests for value in headers.values())

    def close(self):
        self.server.shutdown()
        self.server.server_close()
