"""The shop's QA rubric: read it, and let admins add, change, reorder and retire criteria.

Contract: nothing is deleted. A retired criterion (``retired_at`` set) is left off the
form of a new score but stays on the scores that have it; bringing it back offers it
again. A criterion's scale and weight may change: scores given before keep the scale
and weight they were given against (``QaScoreItem``), so their totals never move.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from server.errors import InvalidInput, NotFound
from server.models.qa import QaCriterion, QaScale

_UNSET = object()


def load(db: Session) -> list[QaCriterion]:
    """Every criterion by position, retired ones included."""
    return list(
        db.exec(select(QaCriterion).order_by(col(QaCriterion.position), col(QaCriterion.id)))
    )


def active(db: Session) -> list[QaCriterion]:
    """The criteria a new score is given against, by position."""
    return [c for c in load(db) if c.retired_at is None]


def _checked_scale(scale: QaScale, points: int | None) -> int | None:
    if scale == "points" and points is None:
        raise InvalidInput("points: a points scale needs its top (2-10)")
    if scale == "pass_fail" and points is not None:
        raise InvalidInput("points: a pass/fail criterion has no points; leave it out")
    return points


def add(
    db: Session, *, label: str, hint: str | None, scale: QaScale, points: int | None, weight: int
) -> QaCriterion:
    """A new criterion at the end of the rubric."""
    positions = db.exec(select(QaCriterion.position)).all()
    row = QaCriterion(
        label=label,
        hint=hint,
        scale=scale,
        points=_checked_scale(scale, points),
        weight=weight,
        position=max(positions, default=-1) + 1,
    )
    db.add(row)
    db.flush()
    return row


def change(
    db: Session,
    criterion_id: int,
    now: datetime,
    *,
    label: str | None = None,
    hint: object = _UNSET,
    scale: QaScale | None = None,
    points: object = _UNSET,
    weight: int | None = None,
    retired: bool | None = None,
) -> QaCriterion:
    """Rename, re-hint, rescale, reweigh, retire or bring back one criterion (``hint``
    and ``points`` given as None clear them)."""
    row = db.get(QaCriterion, criterion_id)
    if row is None:
        raise NotFound(f"no QA criterion {criterion_id}")
    if label is not None:
        row.label = label
    if hint is not _UNSET:
        row.hint = hint  # type: ignore[assignment]
    if scale is not None or points is not _UNSET:
        new_scale = scale or row.scale
        new_points = row.points if points is _UNSET else points
        if scale == "pass_fail" and points is _UNSET:
            new_points = None
        row.scale = new_scale
        row.points = _checked_scale(new_scale, new_points)  # type: ignore[arg-type]
    if weight is not None:
        row.weight = weight
    if retired is not None:
        row.retired_at = (row.retired_at or now) if retired else None
    db.add(row)
    db.flush()
    return row


def reorder(db: Session, ids: list[int]) -> list[QaCriterion]:
    """Put the criteria in the order of ``ids``, which must name each criterion once."""
    rows = {c.id: c for c in load(db)}
    if len(set(ids)) != len(ids):
        raise InvalidInput("ids: a criterion is named twice")
    if set(ids) != set(rows):
        missing = sorted(set(rows) - set(ids))
        unknown = sorted(set(ids) - set(rows))
        raise InvalidInput(
            "ids: name every criterion once, retired ones too"
            + (f"; missing {missing}" if missing else "")
            + (f"; no criterion {unknown}" if unknown else "")
        )
    for position, criterion_id in enumerate(ids):
        rows[criterion_id].position = position
        db.add(rows[criterion_id])
    db.flush()
    return load(db)
