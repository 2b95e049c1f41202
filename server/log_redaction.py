"""Keeps secrets out of logs: buyer link tokens in paths are replaced before logging."""

from __future__ import annotations

import logging
import re

_LINK_PATH = re.compile(r"/j/[^?#\s\"]+")  # everything up to the query, even a "/" in it
REDACTED_LINK_PATH = "/j/[redacted]"


def redact(text: str) -> str:
    """``text`` with every ``/j/<token>`` replaced by ``/j/[redacted]``."""
    return _LINK_PATH.sub(REDACTED_LINK_PATH, text)


class RedactLinkTokens(logging.Filter):
    """A logging filter that redacts link tokens from a record's message arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install() -> None:
    """Attach the filter to the access log and to Showdesk's own loggers."""
    for name in ("uvicorn.access", "uvicorn.error", "showdesk"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())
