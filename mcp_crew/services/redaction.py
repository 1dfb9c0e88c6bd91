"""Log lines: secrets never in them, the run and company always on them.

Third-party libraries log what they please: CrewAI and the OpenAI client log
failed responses verbatim, and a proxy that echoes the request's
``Authorization`` header puts the API key in that body. Every secret the
addon handles (MCP headers and environment values, LLM and embeddings keys,
API keys, the metrics token) is registered here with :func:`protect`.

The hook is the logging record factory, which every logger of the process
goes through when it creates a record, whatever handlers exist: it replaces
registered secrets with ``***`` (message, arguments, traceback) and prefixes
the message with the current :func:`log_context` (``run=12 company=1``), which
follows the run into the threads CrewAI starts (they copy context variables).
"""

import contextlib
import contextvars
import logging
import threading

MASK = "***"
# Shorter values would mask ordinary words; real keys are far longer.
MIN_SECRET_LENGTH = 8

_context = contextvars.ContextVar("mcp_crew_log_context", default="")
_install_lock = threading.Lock()
_installed = False


class SecretRedactor:
    def __init__(self):
        self._secrets = frozenset()
        self._lock = threading.Lock()

    def add(self, secret):
        if secret and len(secret) >= MIN_SECRET_LENGTH and secret not in self._secrets:
            with self._lock:
                self._secrets = self._secrets | {secret}

    def redact(self, text):
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __bool__(self):
        return bool(self._secrets)


REDACTOR = SecretRedactor()


def protect(secret):
    """Register ``secret``: from now on no log line of this process shows it."""
    REDACTOR.add(secret)
    install()


def protect_credential(value):
    """:func:`protect` a credential and, for ``"Bearer <token>"``, the token alone."""
    protect(value)
    protect((value or "").split(" ", 1)[-1])


@contextlib.contextmanager
def log_context(**fields):
    """Prefix every log line emitted inside the block (and its threads) with ``fields``."""
    token = _context.set(" ".join("%s=%s" % item for item in fields.items()))
    try:
        yield
    finally:
        _context.reset(token)


def install():
    """Put the redacting record factory in place once per process."""
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs):
            return _clean(previous(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _installed = True


def _clean(record):
    context = _context.get()
    if not REDACTOR and not context:
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed log call is the caller's; leave it to logging
        return record
    message = REDACTOR.redact(message)
    if context:
        message = "[%s] %s" % (context, message)
    record.msg, record.args = message, None
    if record.exc_info and REDACTOR:
        # Format the traceback now, redacted: handlers reuse exc_text.
        record.exc_text = REDACTOR.redact(logging.Formatter().formatException(record.exc_info))
    return record
