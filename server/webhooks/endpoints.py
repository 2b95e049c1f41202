"""Webhook endpoints: created with a generated secret (``whsec_`` and 32 random bytes in
base64, as Standard Webhooks libraries read it), listed, changed, deleted; the secret
rotates with an overlap during which both secrets sign. A secret is returned only by
``create_endpoint`` and ``rotate_secret`` and never logged.

Functions that check an address resolve its host (blocking): the API runs them in a
thread.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from server.errors import InvalidInput, NotFound
from server.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from server.models.webhook import WEBHOOK_URL_MAX_CHARS
from server.webhooks.addresses import check_receiver
from server.webhooks.events import EVENT_TYPES

log = logging.getLogger("showdesk.webhooks")

SECRET_PREFIX = "whsec_"  # noqa: S105  (the prefix Standard Webhooks libraries strip)
SECRET_BYTES = 32
ROTATION_OVERLAP_DEFAULT_S = 24 * 3600
ROTATION_OVERLAP_MAX_S = 7 * 24 * 3600
DISABLED_BY_HAND = "disabled by an administrator"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_events(events: Iterable[str]) -> list[str]:
    """The event types in their documented order, without repeats; InvalidInput for an
    unknown one or none."""
    given = [e.strip() for e in events if e.strip()]
    unknown = sorted(set(given) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(
            f"events: unknown event type {', '.join(unknown)}; the types are "
            f"{', '.join(EVENT_TYPES)}"
        )
    if not given:
        raise InvalidInput(f"events: name at least one of {', '.join(EVENT_TYPES)}")
    return [e for e in EVENT_TYPES if e in given]


def check_url(url: str, allow_private: bool) -> str:
    url = url.strip()
    if len(url) > WEBHOOK_URL_MAX_CHARS:
        raise InvalidInput(f"url: at most {WEBHOOK_URL_MAX_CHARS} characters")
    check_receiver(url, allow_private=allow_private)
    return url


def create_endpoint(
    db: Session, url: str, events: Iterable[str], now: datetime, *, allow_private: bool
) -> tuple[WebhookEndpoint, str]:
    """Create an enabled endpoint; the row and its secret (shown this once)."""
    chosen = check_events(events)
    url = check_url(url, allow_private)
    secret = new_secret()
    row = WebhookEndpoint(
        url=url, events=" ".join(chosen), secret=secret, created_at=now, updated_at=now
    )
    db.add(row)
    db.commit()
    db.refresh(row)
    log.info("webhook endpoint %s created for %s", row.id, " ".join(chosen))
    return row, secret


def list_endpoints(db: Session) -> list[WebhookEndpoint]:
    return list(db.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))))


def get_endpoint(db: Session, endpoint_id: int) -> WebhookEndpoint:
    row = db.get(WebhookEndpoint, endpoint_id)
    if row is None:
        raise NotFound(f"no webhook endpoint with id {endpoint_id}")
    return row


def update_endpoint(
    db: Session,
    endpoint_id: int,
    now: datetime,
    *,
    allow_private: bool,
    url: str | None = None,
    events: Iterable[str] | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given. Enabling an endpoint clears its failure count, so a
    receiver that was fixed gets its pending deliveries again."""
    row = get_endpoint(db, endpoint_id)
    if url is not None:
        row.url = check_url(url, allow_private)
    if events is not None:
        row.events = " ".join(check_events(events))
    if enabled is True and not row.enabled:
        row.enabled = True
        row.disabled_reason = row.disabled_at = row.failing_since = None
        row.consecutive_failures = 0
    elif enabled is False and row.enabled:
        row.enabled = False
        row.disabled_reason = DISABLED_BY_HAND
        row.disabled_at = now
    row.updated_at = now
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


def rotate_secret(
    db: Session, endpoint_id: int, now: datetime, overlap_s: int = ROTATION_OVERLAP_DEFAULT_S
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the old one signs beside it for ``overlap_s`` more seconds (0: not
    at all). The row and the new secret (shown this once)."""
    if not 0 <= overlap_s <= ROTATION_OVERLAP_MAX_S:
        raise InvalidInput(f"overlap_s: 0 to {ROTATION_OVERLAP_MAX_S} seconds")
    row = get_endpoint(db, endpoint_id)
    secret = new_secret()
    row.previous_secret = row.secret if overlap_s else None
    row.previous_secret_until = now + timedelta(seconds=overlap_s) if overlap_s else None
    row.secret = secret
    row.updated_at = now
    db.add(row)
    db.commit()
    db.refresh(row)
    log.info("webhook endpoint %s: secret rotated, overlap %d s", row.id, overlap_s)
    return row, secret


def signing_secrets(row: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a delivery at ``now``: the current one, and the previous one
    during a rotation's overlap."""
    found = [row.secret]
    if row.previous_secret and row.previous_secret_until and row.previous_secret_until > now:
        found.append(row.previous_secret)
    return found


def delete_endpoint(db: Session, endpoint_id: int) -> None:
    """Delete an endpoint with its deliveries and their attempts."""
    get_endpoint(db, endpoint_id)
    ids = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id)
    db.exec(delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(ids)))
    db.exec(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id))
    db.exec(delete(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id))
    db.commit()
    log.info("webhook endpoint %s deleted", endpoint_id)


def list_deliveries(
    db: Session, endpoint_id: int, limit: int = 50
) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """The endpoint's newest deliveries first, each with its attempts (oldest first)."""
    get_endpoint(db, endpoint_id)
    rows = db.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(limit)
    ).all()
    attempts: dict[int, list[WebhookAttempt]] = {r.id: [] for r in rows if r.id is not None}
    if attempts:
        for a in db.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(list(attempts)))
            .order_by(col(WebhookAttempt.id))
        ):
            attempts[a.delivery_id].append(a)
    return [(r, attempts[r.id or 0]) for r in rows]


def get_delivery(db: Session, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    row = db.get(WebhookDelivery, delivery_id)
    if row is None or row.endpoint_id != endpoint_id:
        raise NotFound(f"no delivery {delivery_id} of webhook endpoint {endpoint_id}")
    return row


def replay(db: Session, endpoint_id: int, delivery_id: int, now: datetime) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery with the same event id and body
    (receivers that saw it already can tell by the id), due at once."""
    old = get_delivery(db, endpoint_id, delivery_id)
    row = WebhookDelivery(
        endpoint_id=endpoint_id,
        event_id=old.event_id,
        event_type=old.event_type,
        payload=old.payload,
        created_at=now,
        next_attempt_at=now,
    )
    db.add(row)
    db.commit()
    db.refresh(row)
    return row
