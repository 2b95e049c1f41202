"""Integration API keys: shown once at creation, stored as SHA-256 hashes. Each key has
scopes (what it may do), an optional expiry and a last-used time."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session, select

from server.errors import InvalidInput, NotFound
from server.infra.security import new_token, token_hash
from server.models import ApiKey
from server.models.apikey import API_KEY_SCOPES, DEFAULT_API_KEY_SCOPES

log = logging.getLogger(__name__)

API_KEY_PREFIX = "sdk_"  # makes a leaked key recognisable to secret scanners
API_KEY_NAME_MAX_CHARS = 100
API_KEY_TTL_MAX_S = 5 * 366 * 86400  # an expiry at most about five years ahead
LAST_USED_GRANULARITY_S = 60  # write a key's last-used time at most once a minute


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes in their canonical order, without repeats; InvalidInput for an unknown
    one or for none at all."""
    given = [s.strip() for s in scopes if s.strip()]
    unknown = sorted(set(given) - set(API_KEY_SCOPES))
    if unknown:
        raise InvalidInput(
            f"unknown scope {', '.join(unknown)}: the scopes are {', '.join(API_KEY_SCOPES)}"
        )
    if not given:
        raise InvalidInput(f"a key needs at least one scope of {', '.join(API_KEY_SCOPES)}")
    return [s for s in API_KEY_SCOPES if s in given]


def create_api_key(
    db: Session,
    name: str,
    now: datetime,
    *,
    scopes: Iterable[str] = DEFAULT_API_KEY_SCOPES,
    expires_in_s: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key named ``name`` with ``scopes``, expiring ``expires_in_s`` from ``now``
    (never when None); returns the row and the key (shown only this once)."""
    name = name.strip()
    if not 1 <= len(name) <= API_KEY_NAME_MAX_CHARS:
        raise InvalidInput(f"the name needs 1 to {API_KEY_NAME_MAX_CHARS} characters")
    chosen = check_scopes(scopes)
    if expires_in_s is not None and not 1 <= expires_in_s <= API_KEY_TTL_MAX_S:
        raise InvalidInput(f"the expiry must be 1 s to {API_KEY_TTL_MAX_S // 86400} days ahead")
    key = API_KEY_PREFIX + new_token()
    row = ApiKey(
        name=name,
        prefix=key[:10],
        key_hash=token_hash(key),
        scopes=" ".join(chosen),
        created_at=now,
        expires_at=now + timedelta(seconds=expires_in_s) if expires_in_s is not None else None,
    )
    db.add(row)
    db.commit()
    db.refresh(row)
    log.info("API key %s created: %r, scopes %s", row.id, row.name, row.scopes)
    return row, key


def resolve_api_key(db: Session, key: str, now: datetime) -> ApiKey | None:
    """The usable key ``key`` (not revoked, not expired), or None; notes its use (at most
    once a minute)."""
    row = db.exec(select(ApiKey).where(ApiKey.key_hash == token_hash(key))).first()
    if row is None or row.status_at(now) != "active":
        return None
    last = row.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_GRANULARITY_S:
        row.last_used_at = now
        db.add(row)
        db.commit()
    return row


def list_api_keys(db: Session) -> list[ApiKey]:
    return list(db.exec(select(ApiKey).order_by(ApiKey.id)))


def revoke_api_key(db: Session, key_id: int, now: datetime) -> ApiKey:
    """Revoke key ``key_id`` (idempotent); NotFound for an unknown id."""
    row = db.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"no API key with id {key_id}")
    if row.revoked_at is None:
        row.revoked_at = now
        db.add(row)
        db.commit()
        log.info("API key %s revoked: %r", row.id, row.name)
    return row
