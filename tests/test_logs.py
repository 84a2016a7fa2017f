"""Logs: secrets scrubbed from messages, arguments, extras and tracebacks."""

from __future__ import annotations

import io
import logging

from bot.logs import JsonFormatter, KeyValueFormatter, RedactingFilter

TOKEN = "1000001:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def _render(formatter: logging.Formatter, emit) -> str:  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter([TOKEN, "hook-secret-1", "x"]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_secrets_are_scrubbed_everywhere() -> None:
    def emit(logger: logging.Logger) -> None:
        logger.warning("calling https://api/bot%s/getMe", TOKEN, extra={"secret": "hook-secret-1"})
        try:
            raise RuntimeError(f"failed with {TOKEN}")
        except RuntimeError:
            logger.exception("boom")

    for formatter in (KeyValueFormatter(), JsonFormatter()):
        out = _render(formatter, emit)
        assert TOKEN not in out and "hook-secret-1" not in out
        assert out.count("***") >= 3
        assert "RuntimeError" in out  # the traceback is kept, only scrubbed


def test_short_values_are_not_treated_as_secrets() -> None:
    out = _render(KeyValueFormatter(), lambda logger: logger.warning("exit code x"))
    assert "exit code x" in out
