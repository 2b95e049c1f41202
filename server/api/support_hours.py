"""Support hours: ``/api/support-hours``. Staff read them; admins set and clear them
(audited as ``support_hours_changed``). No hours set: support is always open."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import Admin, AnyStaff, ClockDep, DbDep
from server.evidence import audit
from server.hours import support_hours
from server.hours.schedule import MAX_CLOSED_DATES, MAX_INTERVALS_PER_DAY, WEEKDAYS, Schedule

router = APIRouter(tags=["support hours"])

ERRORS = {
    401: {"description": "not signed in"},
    403: {"description": "the wrong role, or a missing or wrong CSRF token"},
}
WRITE_ERRORS = {
    **ERRORS,
    422: {
        "description": "validation_error: an unknown time zone or weekday, an interval "
        "that is not HH:MM-HH:MM, ends before it starts or overlaps another, a bad date"
    },
}


class SupportHoursIn(BaseModel):
    """The schedule: per weekday (``mon``..``sun``; a missing day is closed) the open
    intervals ``"HH:MM-HH:MM"`` (``24:00`` may end one; none crosses midnight, none
    overlaps another), in ``timezone``; ``closed_dates`` are local dates with no opening."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(max_length=64, description="IANA time zone, e.g. Europe/Berlin")
    week: dict[str, list[str]] = Field(
        description=f"weekday ({', '.join(WEEKDAYS)}) -> at most {MAX_INTERVALS_PER_DAY} "
        'intervals like "09:00-17:30"'
    )
    closed_dates: list[str] = Field(
        default_factory=list,
        max_length=MAX_CLOSED_DATES,
        description='ISO dates, e.g. "2026-12-25"',
    )


class SupportHoursOut(BaseModel):
    """The schedule in force; ``hours_configured`` false (and no schedule): always open."""

    hours_configured: bool
    timezone: str | None = None
    week: dict[str, list[str]] | None = Field(
        default=None, description="every weekday, mon..sun, its intervals (empty: closed)"
    )
    closed_dates: list[str] = Field(default_factory=list)
    updated_at: datetime | None = None


def _shown(db: DbDep) -> SupportHoursOut:
    row = support_hours.stored(db)
    if row is None:
        return SupportHoursOut(hours_configured=False)
    spec = Schedule.from_spec(row.timezone, row.week, row.closed_dates).to_spec()
    return SupportHoursOut(hours_configured=True, updated_at=row.updated_at, **spec)


@router.get("/api/support-hours", response_model=SupportHoursOut, responses=ERRORS)
def get_support_hours(principal: AnyStaff, db: DbDep) -> SupportHoursOut:
    """The shop's support hours."""
    return _shown(db)


@router.put("/api/support-hours", response_model=SupportHoursOut, responses=WRITE_ERRORS)
def put_support_hours(
    body: SupportHoursIn, principal: Admin, db: DbDep, clock: ClockDep
) -> SupportHoursOut:
    """Set the support hours (replacing those before). Audited with the new schedule."""
    _, schedule = support_hours.save(
        db, body.timezone, body.week, body.closed_dates, clock.now(), by_user_id=principal.user_id
    )
    audit.action_done(
        db,
        audit.AUDIT_SUPPORT_HOURS_CHANGED,
        clock.now(),
        user_id=principal.user_id,
        detail={"change": "set", **schedule.to_spec()},
    )
    db.commit()
    return _shown(db)


@router.delete("/api/support-hours", status_code=204, responses=ERRORS)
def delete_support_hours(principal: Admin, db: DbDep, clock: ClockDep) -> Response:
    """Clear the support hours: support counts as always open again. Audited when there
    were hours to clear."""
    if support_hours.clear(db):
        audit.action_done(
            db,
            audit.AUDIT_SUPPORT_HOURS_CHANGED,
            clock.now(),
            user_id=principal.user_id,
            detail={"change": "cleared"},
        )
    db.commit()
    return Response(status_code=204)
