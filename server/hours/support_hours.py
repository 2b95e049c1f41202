"""The shop's one support-hours schedule, read and written in the database. No row: no
hours set, and support counts as always open."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlmodel import Session, select

from server.hours.schedule import Schedule
from server.models.support_hours import SupportHours


def stored(db: Session) -> SupportHours | None:
    """The stored schedule's row, or None when no hours are set."""
    return db.exec(select(SupportHours).order_by(SupportHours.id)).first()


def current(db: Session) -> Schedule | None:
    """The schedule in force, or None (always open)."""
    row = stored(db)
    if row is None:
        return None
    return Schedule.from_spec(row.timezone, row.week, row.closed_dates)


def save(
    db: Session,
    timezone: str,
    week: Mapping[str, Sequence[str]],
    closed_dates: Sequence[str],
    now: datetime,
    *,
    by_user_id: int | None,
) -> tuple[SupportHours, Schedule]:
    """Check and store the schedule (replacing any before), not committed: the caller
    commits with its audit entry. InvalidInput (from :class:`Schedule`) when it is bad."""
    schedule = Schedule.from_spec(timezone, week, closed_dates)
    spec = schedule.to_spec()
    row = stored(db) or SupportHours(timezone="UTC", week={}, closed_dates=[], updated_at=now)
    row.timezone = spec["timezone"]
    row.week = spec["week"]
    row.closed_dates = spec["closed_dates"]
    row.updated_at = now
    row.updated_by = by_user_id
    db.add(row)
    db.flush()
    return row, schedule


def clear(db: Session) -> bool:
    """Remove the schedule (support always open again), not committed; False when there
    was none."""
    row = stored(db)
    if row is None:
        return False
    db.delete(row)
    db.flush()
    return True
