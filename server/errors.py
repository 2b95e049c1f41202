"""Domain errors. They carry a code and a message, never an HTTP status:
``server.api.errors`` maps each class to its status.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user may see. ``code`` is stable; ``message`` is for people."""

    code = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    code = "validation_error"


class NotSignedIn(DomainError):
    code = "not_signed_in"

    def __init__(self, message: str, challenge: str | None = None) -> None:
        super().__init__(message)
        self.challenge = challenge  # the auth scheme a client should use, e.g. "Bearer"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class TooLarge(DomainError):
    code = "too_large"


class UnsupportedType(DomainError):
    code = "unsupported_media_type"


class Unavailable(DomainError):
    """A service the answer needs (e.g. the nodes' shared Redis) cannot be reached now."""

    code = "unavailable"


class TooMany(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
