"""``emit``: an event becomes one delivery row per enabled endpoint that asked for its
type, added to the caller's database session, so it is committed (or rolled back) with
the change it reports. Nothing is sent here: the sender (``delivery.py``) finds the rows,
woken after the commit (``on_committed``) or at its next poll.

The ``*_data`` helpers build each type's ``data`` from the rows (``events.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, select

from server.models import Call, Link, Photo, Recording, WebhookDelivery, WebhookEndpoint
from server.models.case import Case, CaseFile, CaseReply, CaseSubmission
from server.models.order import OrderPublic
from server.webhooks.events import EVENT_TYPES, envelope, iso

log = logging.getLogger("showdesk.webhooks")
_committed: list[Callable[[], None]] = []


def on_committed(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` (in the committing thread) after each commit of a transaction
    that emitted an event, so the sender need not wait for its next poll; returns the
    function that stops it."""
    _committed.append(callback)
    return lambda: _committed.remove(callback) if callback in _committed else None


def _after_commit(db: Session) -> None:
    if db.info.pop("webhooks_emitted", False):
        for callback in list(_committed):
            callback()


def emit(db: Session, event_type: str, data: dict[str, Any], now: datetime) -> int:
    """Add the deliveries of a new ``event_type`` event to ``db`` (not committed); the
    number of endpoints it goes to."""
    assert event_type in EVENT_TYPES, event_type
    endpoints = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.enabled == True)).all()  # noqa: E712
    wanted = [e for e in endpoints if event_type in e.event_list]
    if not wanted:
        return 0
    body = envelope(event_type, data, now)
    for endpoint in wanted:
        assert endpoint.id is not None
        db.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id=body["id"],
                event_type=event_type,
                payload=body,
                created_at=now,
                next_attempt_at=now,
            )
        )
    db.info["webhooks_emitted"] = True
    if not event.contains(db, "after_commit", _after_commit):
        event.listen(db, "after_commit", _after_commit)
    log.debug("event %s %s for %d endpoints", body["id"], event_type, len(wanted))
    return len(wanted)


def call_data(call: Call) -> dict[str, Any]:
    """``data`` of call.waiting, call.live and call.ended."""
    return {
        "call_id": call.id,
        "order_ref": call.order_ref,
        "purpose": str(call.purpose),
        "state": str(call.state),
        "created_at": iso(call.created_at),
        "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at),
        "end_reason": None if call.end_reason is None else str(call.end_reason),
        "agent_id": call.agent_id,
        "order": order_data(call.order),
    }


def order_data(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """An order kept as JSON in its public shape (every field present), or None."""
    order = OrderPublic.of(stored)
    return None if order is None else order.model_dump(mode="json")


def outcome_data(
    call: Call, action: str, by_user_id: int, note: str | None, reason: str | None
) -> dict[str, Any]:
    """``data`` of outcome.set and outcome.changed."""
    return {
        "call_id": call.id,
        "order_ref": call.order_ref,
        "action": action,
        "outcome": None if call.outcome is None else str(call.outcome),
        "decision": None if call.decision is None else str(call.decision),
        "note": note,
        "reason": reason,
        "by_user_id": by_user_id,
        "order": order_data(call.order),
    }


def photo_data(photo: Photo, order_ref: str) -> dict[str, Any]:
    """``data`` of photo.added (the photo's row must have its id: flush first)."""
    return {
        "call_id": photo.call_id,
        "order_ref": order_ref,
        "photo_id": photo.id,
        "content_type": photo.content_type,
        "size_bytes": photo.size_bytes,
        "width": photo.width,
        "height": photo.height,
        "sha256": photo.sha256,
        "t_ms": photo.t_ms,
    }


def recording_data(row: Recording, order_ref: str) -> dict[str, Any]:
    """``data`` of recording.ready."""
    return {
        "call_id": row.call_id,
        "order_ref": order_ref,
        "recording_id": row.id,
        "content_type": row.content_type,
        "size_bytes": row.size_bytes,
        "duration_ms": row.duration_ms,
        "sha256": row.sha256,
    }


def case_ref(case: Case, link: Link) -> dict[str, Any]:
    """What every case.* event's ``data`` says of the case and its link."""
    return {
        "case_id": case.id,
        "link_id": link.id,
        "order_ref": link.order_ref,
        "purpose": str(link.purpose),
        "order": order_data(link.order),
    }


def case_submitted_data(
    case: Case, link: Link, submission: CaseSubmission, files: list[CaseFile]
) -> dict[str, Any]:
    """``data`` of case.submitted (the submission's row must have its id: flush first)."""
    return case_ref(case, link) | {
        "submission_id": submission.id,
        "note": submission.note,
        "locale": submission.locale,
        "submitted_at": iso(submission.submitted_at),
        "files": [
            {
                "file_id": row.id,
                "step": row.step,
                "kind": row.kind,
                "content_type": row.content_type,
                "duration_ms": row.duration_ms,
                "width": row.width,
                "height": row.height,
                "sha256": row.sha256,
            }
            for row in files
        ],
    }


def case_outcome_data(
    case: Case,
    link: Link,
    *,
    action: str,
    by_user_id: int | None,
    note: str | None,
    reason: str | None,
) -> dict[str, Any]:
    """``data`` of case.outcome_set (``action`` set) and case.outcome_changed (confirm,
    override): the case's verdict after the change, and who made it."""
    return case_ref(case, link) | {
        "action": action,
        "outcome": case.outcome,
        "decision": case.decision,
        "note": note,
        "reason": reason,
        "by_user_id": by_user_id,
    }


def case_reply_data(
    case: Case, link: Link, reply: CaseReply, *, text: str, locale: str
) -> dict[str, Any]:
    """``data`` of case.replied: ``text`` is what the buyer reads (the reply's text, or
    its quick phrase in ``locale``); the reply's row must have its id."""
    return case_ref(case, link) | {
        "reply_id": reply.id,
        "text": text,
        "phrase_id": None if reply.phrase_key is None else int(reply.phrase_key),
        "locale": locale,
        "by_user_id": reply.by_user_id,
        "invite_at": iso(reply.invite_at),
    }
