"""Integration API keys: shown once at creation, stored as SHA-256 hashes."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from server.errors import InvalidInput, NotFound
from server.infra.security import new_token, token_hash
from server.models import ApiKey

API_KEY_PREFIX = "sdk_"  # makes a leaked key recognisable to secret scanners
API_KEY_NAME_MAX_CHARS = 100


def create_api_key(db: Session, name: str, now: datetime) -> tuple[ApiKey, str]:
    """Create a key named ``name``; returns the row and the key (shown only this once)."""
    name = name.strip()
    if not 1 <= len(name) <= API_KEY_NAME_MAX_CHARS:
        raise InvalidInput(f"the name needs 1 to {API_KEY_NAME_MAX_CHARS} characters")
    key = API_KEY_PREFIX + new_token()
    row = ApiKey(name=name, prefix=key[:10], key_hash=token_hash(key), created_at=now)
    db.add(row)
    db.commit()
    db.refresh(row)
    return row, key


def resolve_api_key(db: Session, key: str) -> ApiKey | None:
    row = db.exec(select(ApiKey).where(ApiKey.key_hash == token_hash(key))).first()
    return row if row is not None and row.revoked_at is None else None


def list_api_keys(db: Session) -> list[ApiKey]:
    return list(db.exec(select(ApiKey).order_by(ApiKey.id)))


def revoke_api_key(db: Session, key_id: int, now: datetime) -> None:
    row = db.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"no API key with id {key_id}")
    if row.revoked_at is None:
        row.revoked_at = now
        db.add(row)
        db.commit()
