"""Credentials: password hashing (argon2), random tokens and their stored hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_BYTES = 32  # 256 bits for link tokens, session tokens and API keys
ONE_TIME_PASSWORD_BYTES = 12  # 96 bits, 16 url-safe characters: typed once, then changed
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 256  # argon2 cost grows with input; nobody types more than this

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the account does not exist, so that both cases take as long.
DUMMY_PASSWORD_HASH = hash_password(secrets.token_urlsafe(16))


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
