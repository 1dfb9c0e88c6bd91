"""Secrets never reach a log line, whoever logs them.

Third-party libraries log what they please: CrewAI and the OpenAI client log
failed responses verbatim, and a proxy that echoes the request's
``Authorization`` header puts the API key in that body. Every secret the
engine hands to such a library is registered here first; a filter on the
root logger's handlers (which see every propagated record) replaces it with
``***`` in the message, its arguments and the formatted traceback.
"""

import logging
import threading

MASK = "***"
# Shorter values would mask ordinary words; real keys are far longer.
MIN_SECRET_LENGTH = 8


class SecretRedactor(logging.Filter):
    def __init__(self):
        super().__init__()
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

    def filter(self, record):
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


REDACTOR = SecretRedactor()


def protect(secret):
    """Register ``secret`` and make sure every root handler filters it out."""
    REDACTOR.add(secret)
    for handler in logging.getLogger().handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
