"""An inspection in the database: created once per call, read, and changed only through
the pure rules of ``checklist.py`` (each change one committed write)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, select

from server.errors import Conflict, NotFound
from server.inspections import checklist, clips, templates
from server.models import Call, Inspection
from signaling.vocabulary import Purpose


def find(db: Session, call_id: str) -> Inspection | None:
    """The inspection of ``call_id``, or None."""
    return db.exec(select(Inspection).where(Inspection.call_id == call_id)).first()


def get(db: Session, call_id: str) -> Inspection:
    """The inspection of ``call_id``; NotFound when the call has none."""
    found = find(db, call_id)
    if found is None:
        raise NotFound("this call has no inspection", code="no_inspection")
    return found


def start(
    db: Session, call: Call, template_key: str, now: datetime, only: list[str] | None = None
) -> Inspection:
    """Start the inspection of ``call`` with template ``template_key`` (``only``: those of
    its items). Conflict for a call of another purpose or one that already has one."""
    if call.purpose != Purpose.REMOTE_INSPECTION:
        raise Conflict("only a remote inspection call has an inspection", code="wrong_purpose")
    if find(db, call.id) is not None:
        raise Conflict("this call's inspection has already started")
    state = checklist.new_inspection(templates.template(db, template_key), only)
    row = Inspection(
        call_id=call.id, template=template_key, state=state, created_at=now, updated_at=now
    )
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


def change(
    db: Session, call_id: str, now: datetime, rule: Callable[[checklist.State], checklist.State]
) -> Inspection:
    """Apply ``rule`` to the inspection of ``call_id`` and commit the new state."""
    row = get(db, call_id)
    row.state = rule(row.state)
    row.updated_at = now
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


def call_ended(db: Session, call_id: str, at_ms: int, now: datetime) -> None:
    """The call ``call_id`` ended ``at_ms`` into it: a clip still being recorded ends
    there. Written in the caller's transaction (the caller commits)."""
    row = find(db, call_id)
    if row is None:
        return
    new = clips.close_open(row.state, at_ms)
    if new is not None:
        row.state, row.updated_at = new, now
        db.add(row)
