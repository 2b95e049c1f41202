"""Errors of the signaling core.

Every error the core raises is a :class:`SignalingError` with a stable ``code``
(for clients and logs) and a human-readable ``message``. The WebSocket adapter turns
them into ``{"type": "error", "code": ..., "message": ..., "in_reply_to": ...}``
and keeps the connection open (except for a failed first ``hello``, see PROTOCOL.md).

==========================  ========================  ===========================================
class                       code                      raised when
==========================  ========================  ===========================================
``SignalingError``          (any of the below)        base class; never raised with another code
``ProtocolError``           ``bad_json``              input is not UTF-8 text or not strict JSON
``ProtocolError``           ``bad_message``           valid JSON but not a valid message (unknown
                                                      type, missing/extra/oversize/mistyped field,
                                                      or a first message that is not ``hello``)
``ProtocolError``           ``too_large``             raw input over ``MAX_MESSAGE_BYTES``
``UnsupportedVersion``      ``unsupported_version``   ``hello`` with a ``v`` other than 1
``Forbidden``               ``forbidden``             the connection's role may not do this
``NotFound``                ``not_found``             unknown session, empty queue, unknown
                                                      connection
``Conflict``                ``conflict``              call already taken, agent already in a
                                                      call, connection id already in use
``InvalidState``            ``invalid_state``         action not possible now (chat outside a
                                                      call, end without a call, ...)
``IllegalTransition``       ``illegal_transition``    a call state change the machine forbids
``QueueFull``               ``queue_full``            consent while the queue is at its cap
``LinkUnusable``            ``link_expired``          consent on a link that has expired
``LinkUnusable``            ``link_used_up``          consent on a link that made its maximum
                                                      number of calls
``TooMany``                 ``rate_limited``          consents on one link faster than allowed
``ConsentOutdated``         ``consent_outdated``      consent naming a text version that does not
                                                      exist: the page reloads the text
``PhraseNotFound``          ``phrase_not_found``      a quick phrase that does not exist or is off
==========================  ========================  ===========================================
"""

from __future__ import annotations


class SignalingError(Exception):
    """Base of every error raised by :mod:`signaling`. Carries ``code`` and ``message``."""

    code: str = "signaling_error"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ProtocolError(SignalingError):
    """A raw client message was refused: code ``bad_json``, ``bad_message`` or ``too_large``.

    ``message_type`` is the message's ``type`` when it could be read (for ``in_reply_to``).
    """

    def __init__(self, code: str, message: str, message_type: str | None = None) -> None:
        super().__init__(code, message)
        self.message_type = message_type


class UnsupportedVersion(SignalingError):
    """``hello`` asked for a protocol version this server does not speak."""

    def __init__(self, message: str) -> None:
        super().__init__("unsupported_version", message)


class Forbidden(SignalingError):
    """The connection's role may not send this message."""

    def __init__(self, message: str) -> None:
        super().__init__("forbidden", message)


class NotFound(SignalingError):
    """The named session (or connection) does not exist, or the queue is empty."""

    def __init__(self, message: str) -> None:
        super().__init__("not_found", message)


class Conflict(SignalingError):
    """Someone else got there first (call taken), or the agent is already in a call."""

    def __init__(self, message: str) -> None:
        super().__init__("conflict", message)


class InvalidState(SignalingError):
    """The action is valid in general but not in the sender's current state."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_state", message)


class IllegalTransition(SignalingError):
    """A call state change that the state machine forbids; quotes both states."""

    def __init__(self, message: str, from_state: str, to_state: str) -> None:
        super().__init__("illegal_transition", message)
        self.from_state = from_state
        self.to_state = to_state


class QueueFull(SignalingError):
    """A buyer consented while the queue holds its maximum of waiting calls."""

    def __init__(self, message: str) -> None:
        super().__init__("queue_full", message)


class LinkUnusable(SignalingError):
    """The link can start no more calls: ``link_expired`` or ``link_used_up``."""


class TooMany(SignalingError):
    """The same thing too often in too short a time (``rate_limited``)."""

    def __init__(self, message: str) -> None:
        super().__init__("rate_limited", message)


class ConsentOutdated(SignalingError):
    """A ``consent`` named a consent text (locale, version) the server does not hold."""

    def __init__(self, message: str) -> None:
        super().__init__("consent_outdated", message)


class PhraseNotFound(SignalingError):
    """A ``phrase`` named a quick phrase that does not exist or is switched off."""

    def __init__(self, message: str) -> None:
        super().__init__("phrase_not_found", message)
