"""Secrets out of every log line; the run and company on every line of a run."""

import contextvars
import logging
import threading

from mcp_crew.services import redaction

SECRET = "sk-redaction-test-5d1e0c77"


def formatted(caplog):
    return "\n".join(caplog.handler.format(record) for record in caplog.records)


def test_secrets_are_masked_in_messages_arguments_and_tracebacks(caplog):
    caplog.set_level(logging.INFO)
    redaction.protect(SECRET)
    logger = logging.getLogger("third.party.library")
    logger.info("calling with key %s", SECRET)
    logger.warning("body: {'authorization': 'Bearer %s'}" % SECRET)
    try:
        raise RuntimeError("server said: %s" % SECRET)
    except RuntimeError:
        logger.exception("request failed")
    text = formatted(caplog)
    assert SECRET not in text
    assert text.count(redaction.MASK) == 3  # the argument, the message, the exception text
    assert "request failed" in text and "RuntimeError" in text


def test_short_values_are_not_treated_as_secrets(caplog):
    caplog.set_level(logging.INFO)
    redaction.protect("json")
    logging.getLogger("x").info("content type json")
    assert "content type json" in formatted(caplog)


def test_run_context_prefixes_lines_here_and_in_threads_that_copy_context(caplog):
    caplog.set_level(logging.INFO)
    redaction.install()
    logger = logging.getLogger("crew.work")
    with redaction.log_context(run=12, company=3):
        logger.info("step one")
        worker = threading.Thread(
            target=contextvars.copy_context().run,
            args=(logger.info, "tool call in a worker thread"),
        )
        worker.start()
        worker.join()
    logger.info("after the run")
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "[run=12 company=3] step one",
        "[run=12 company=3] tool call in a worker thread",
        "after the run",
    ]
