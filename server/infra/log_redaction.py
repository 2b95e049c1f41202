"""Keeps secrets out of logs: buyer link tokens in paths, the ICE passwords of SDP
(aiortc logs whole descriptions at DEBUG), and TURN usernames (``<unix expiry>:<name>``,
which aioice logs in its STUN messages at DEBUG) are replaced before logging, and so
would a webhook signing secret (``whsec_...``) and the password in a Redis URL
(``redis://:PASSWORD@host``) be."""

from __future__ import annotations

import logging
import re

_LINK_PATH = re.compile(r"/j/[^?#\s\"]+")  # everything up to the query, even a "/" in it
REDACTED_LINK_PATH = "/j/[redacted]"
_ICE_PWD = re.compile(r"(a=ice-pwd:)\S+")
_TURN_USERNAME = re.compile(r"\b(\d{9,12}):[A-Za-z0-9_.-]+")  # coturn's use-auth-secret names
_WEBHOOK_SECRET = re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+")  # never logged; redacted if it were
_REDIS_URL_PASSWORD = re.compile(r"\b(rediss?://[^:@/\s]*:)[^@\s]+@")  # never logged either
# Loggers whose records can carry a secret: the access log, and aiortc's SDP at DEBUG.
# (A logger's filters see only records made on that logger, so each one is named.)
REDACTED_LOGGERS = (
    "uvicorn.access",
    "uvicorn.error",
    "showdesk",
    "aiortc.rtcpeerconnection",
    "aioice.ice",
    "aioice.turn",
)


def redact(text: str) -> str:
    """``text`` with every ``/j/<token>`` replaced by ``/j/[redacted]``, every SDP ICE
    password by ``[redacted]`` and the name part of every TURN username
    (``1767225600:[redacted]``), every webhook signing secret (``whsec_[redacted]``) and
    the password of every Redis URL (``redis://:[redacted]@host:6379/0``)."""
    text = _ICE_PWD.sub(r"\1[redacted]", _LINK_PATH.sub(REDACTED_LINK_PATH, text))
    text = _TURN_USERNAME.sub(r"\1:[redacted]", text)
    text = _REDIS_URL_PASSWORD.sub(r"\1[redacted]@", text)
    return _WEBHOOK_SECRET.sub("whsec_[redacted]", text)


class RedactLinkTokens(logging.Filter):
    """A logging filter that redacts link tokens and ICE passwords from a record's message
    and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            not isinstance(a, str | int | float) for a in record.args
        ):
            # an object (aioice's STUN message) is formatted now, so its text is redacted
            try:
                record.msg, record.args = record.getMessage(), ()
            except Exception:  # noqa: BLE001  (left as it is: logging reports it)
                return True
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
