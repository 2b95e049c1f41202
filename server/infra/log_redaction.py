"""Keeps secrets out of logs: buyer link tokens in paths, and the ICE passwords of SDP
(aiortc logs whole descriptions at DEBUG), are replaced before logging."""

from __future__ import annotations

import logging
import re

_LINK_PATH = re.compile(r"/j/[^?#\s\"]+")  # everything up to the query, even a "/" in it
REDACTED_LINK_PATH = "/j/[redacted]"
_ICE_PWD = re.compile(r"(a=ice-pwd:)\S+")
# Loggers whose records can carry a secret: the access log, and aiortc's SDP at DEBUG.
# (A logger's filters see only records made on that logger, so each one is named.)
REDACTED_LOGGERS = (
    "uvicorn.access",
    "uvicorn.error",
    "showdesk",
    "aiortc.rtcpeerconnection",
    "aioice.ice",
)


def redact(text: str) -> str:
    """``text`` with every ``/j/<token>`` replaced by ``/j/[redacted]`` and every SDP ICE
    password by ``[redacted]``."""
    return _ICE_PWD.sub(r"\1[redacted]", _LINK_PATH.sub(REDACTED_LINK_PATH, text))


class RedactLinkTokens(logging.Filter):
    """A logging filter that redacts link tokens and ICE passwords from a record's message
    and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install() -> None:
    """Attach the filter to the access log, aiortc's SDP logger and Showdesk's own loggers
    (each ``showdesk.*`` logger that exists by now: the app imports them all first)."""
    own = [n for n in logging.root.manager.loggerDict if n.startswith("showdesk.")]
    for name in (*REDACTED_LOGGERS, *own):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())
