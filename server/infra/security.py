"""Credentials: password hashing (argon2), random tokens and their stored hashes."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_BYTES = 32  # 256 bits for link tokens, session tokens and API keys
ONE_TIME_PASSWORD_BYTES = 12  # 96 bits, 16 url-safe characters: typed once, then changed
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 256  # argon2 cost grows with input; nobody types more than this

# How passwords are hashed (Settings.password_hashing): argon2-cffi's defaults, the only
# choice ``load_settings`` accepts, or a negligible cost for Settings the tests build.
PasswordHashing = Literal["argon2-default", "insecure-fast-for-tests"]
PASSWORD_HASHING_DEFAULT: PasswordHashing = "argon2-default"  # noqa: S105
PASSWORD_HASHING_FOR_TESTS: PasswordHashing = "insecure-fast-for-tests"  # noqa: S105
_HASHERS = {
    PASSWORD_HASHING_DEFAULT: PasswordHasher,  # argon2id, t=3, m=64 MiB, p=4
    PASSWORD_HASHING_FOR_TESTS: lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}


class Passwords:
    """Hashes passwords (argon2id) with one cost, and checks them.

    A hash records the parameters it was made with, so hashes made with any cost verify
    here. ``verify`` with no hash (the account does not exist) checks the password
    against a dummy hash made with this cost, so an unknown account takes as long as a
    known one whose hash was made here."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher
        self.dummy_hash = hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """An argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches ``password_hash``; never raises for a wrong or
        malformed hash. ``None``: False, after the work of a real check."""
        try:
            checked = self.dummy_hash if password_hash is None else password_hash
            matches = self._hasher.verify(checked, password)
        except (VerificationError, InvalidHashError):
            return False
        return matches and password_hash is not None


@functools.cache
def passwords_for(hashing: PasswordHashing) -> Passwords:
    """The ``Passwords`` of a ``Settings.password_hashing`` value (one per process)."""
    return Passwords(_HASHERS[hashing]())


def new_token() -> str:
    """A fresh url-safe random token of 256 bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_one_time_password() -> str:
    return secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored in place of a token (tokens have 256 bits of entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(secret_key: str, session_token: str) -> str:
    """The CSRF token bound to a staff session: HMAC-SHA256 of the session token."""
    return hmac.new(secret_key.encode(), session_token.encode(), hashlib.sha256).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
