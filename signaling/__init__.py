"""Showdesk signaling: the pure, sans-I/O core of the WebSocket protocol.

* :mod:`signaling.messages` — versioned wire messages, :func:`parse_client_message`.
* :mod:`signaling.call` — the call state machine and its timeline.
* :mod:`signaling.switchboard` — queue, presence and calls; inputs in, :class:`Effects` out.
* :mod:`signaling.errors` — :class:`SignalingError` and its subclasses, each with a code.

PROTOCOL.md (next to this file) documents the protocol for client authors.
"""

from .call import (
    LEGAL_TRANSITIONS,
    Call,
    CallSnapshot,
    CallState,
    EndReason,
    EventKind,
    LinkInfo,
    TimelineEvent,
)
from .errors import (
    Conflict,
    Forbidden,
    IllegalTransition,
    InvalidState,
    NotFound,
    ProtocolError,
    SignalingError,
    UnsupportedVersion,
)
from .messages import (
    MAX_CHAT_CHARS,
    MAX_MESSAGE_BYTES,
    MAX_SESSION_ID_CHARS,
    PROTOCOL_VERSION,
    Accept,
    AcceptNext,
    AvailabilityUpdate,
    CallUpdate,
    CallView,
    ChatPosted,
    ClientMessage,
    Consent,
    End,
    ErrorReply,
    Hello,
    Moved,
    Ping,
    Pong,
    PositionUpdate,
    QueueItem,
    QueueUpdate,
    SendChat,
    ServerMessage,
    SetAvailability,
    Welcome,
    dump,
    parse_client_message,
    require_hello,
)
from .switchboard import (
    CLOSE_MOVED,
    CLOSE_NORMAL,
    CLOSE_POLICY,
    CLOSE_REVOKED,
    CLOSE_SUPERSEDED,
    CLOSE_TOO_BIG,
    HELLO_TIMEOUT_S,
    CallEvent,
    Effects,
    StaffView,
    Switchboard,
)


def error_reply(exc: SignalingError, in_reply_to: str | None = None) -> ErrorReply:
    """The ``error`` message for ``exc``; ``in_reply_to`` defaults to the type a
    :class:`ProtocolError` could read from the refused message."""
    if in_reply_to is None and isinstance(exc, ProtocolError):
        in_reply_to = exc.message_type
    return ErrorReply(code=exc.code, message=exc.message, in_reply_to=in_reply_to)


__all__ = [
    "CLOSE_MOVED",
    "CLOSE_NORMAL",
    "CLOSE_POLICY",
    "CLOSE_REVOKED",
    "CLOSE_SUPERSEDED",
    "CLOSE_TOO_BIG",
    "HELLO_TIMEOUT_S",
    "LEGAL_TRANSITIONS",
    "MAX_CHAT_CHARS",
    "MAX_MESSAGE_BYTES",
    "MAX_SESSION_ID_CHARS",
    "PROTOCOL_VERSION",
    "Accept",
    "AcceptNext",
    "AvailabilityUpdate",
    "Call",
    "CallEvent",
    "CallSnapshot",
    "CallState",
    "CallUpdate",
    "CallView",
    "ChatPosted",
    "ClientMessage",
    "Conflict",
    "Consent",
    "Effects",
    "End",
    "EndReason",
    "ErrorReply",
    "EventKind",
    "Forbidden",
    "Hello",
    "IllegalTransition",
    "InvalidState",
    "LinkInfo",
    "Moved",
    "NotFound",
    "Ping",
    "Pong",
    "PositionUpdate",
    "ProtocolError",
    "QueueItem",
    "QueueUpdate",
    "SendChat",
    "ServerMessage",
    "SetAvailability",
    "SignalingError",
    "StaffView",
    "Switchboard",
    "TimelineEvent",
    "UnsupportedVersion",
    "Welcome",
    "dump",
    "error_reply",
    "parse_client_message",
    "require_hello",
]
