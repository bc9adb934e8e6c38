"""Logging set-up: credentials never reach a log line.

The agent websocket carries its token in the query string (browsers cannot set headers on a
websocket), and uvicorn logs request lines with their query; the WeChat API takes its access token and
the app secret in the query too, and httpx logs every request's URL (as an object, not a string): the
filter masks every ``token=`` and ``secret=`` in a record's message and in its arguments.
"""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"((?:token|secret)=)[^&\s\"']+")
_MARKS = ("token=", "secret=")


def redact(text: str) -> str:
    return _SECRET.sub(r"\1[redacted]", text)


def _redacted(value: object) -> object:
    if isinstance(value, (int, float)) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    return redact(text) if any(mark in text for mark in _MARKS) else value


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and any(mark in record.msg for mark in _MARKS):
            record.msg = redact(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_redacted(a) for a in args)
        return True


def install_redaction(names: tuple[str, ...] = ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx")) -> None:
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
