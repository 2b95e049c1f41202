"""Reading calls for review: the filtered, paginated list with counts per outcome, and
one call with its timeline, photos, recordings, outcome history and chat transcript.

The list stays fast at 100,000 calls because every common filter is served by an index
of ``call`` ((outcome, created_at), (agent_id, created_at), (purpose, created_at),
order_ref, created_at); ``tests/api/test_sessions_query_plan.py`` checks the plans and
``bench/review_query.py`` times them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from server.models import Call, CallEvent, OutcomeChange, User
from server.models.evidence import Photo, Recording
from signaling.vocabulary import Outcome

UNTAGGED_KEY = "untagged"


@dataclass(frozen=True)
class CallFilter:
    outcome: str | None = None
    decision: str | None = None
    purpose: str | None = None
    agent_id: int | None = None
    order_ref: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    untagged: bool = False

    def conditions(self, *, with_outcome: bool = True) -> list[ColumnElement[bool]]:
        """SQL conditions; ``with_outcome=False`` leaves out the outcome and untagged
        filters (for the counts per outcome)."""
        where: list[ColumnElement[bool]] = []
        if with_outcome and self.outcome is not None:
            where.append(col(Call.outcome) == self.outcome)
        if with_outcome and self.untagged:
            where.extend(_untagged())
        if self.decision is not None:
            where.append(col(Call.decision) == self.decision)
        if self.purpose is not None:
            where.append(col(Call.purpose) == self.purpose)
        if self.agent_id is not None:
            where.append(col(Call.agent_id) == self.agent_id)
        if self.order_ref is not None:
            where.append(col(Call.order_ref) == self.order_ref)
        if self.since is not None:
            where.append(col(Call.created_at) >= self.since)
        if self.until is not None:
            where.append(col(Call.created_at) < self.until)
        return where


def _untagged() -> list[ColumnElement[bool]]:
    # answered, ended, and no outcome: a call nobody answered (declined, left the queue)
    # has nothing to tag. ended_at (not state) so that the planner takes the
    # (outcome, created_at) index rather than the barely selective state index
    return [
        col(Call.outcome).is_(None),
        col(Call.ended_at).is_not(None),
        col(Call.answered_at).is_not(None),
    ]


def page_query(flt: CallFilter, page: int, per_page: int):  # noqa: ANN201
    return (
        select(Call)
        .where(*flt.conditions())
        .order_by(col(Call.created_at).desc())  # walks an index backwards, no sort
        .offset((page - 1) * per_page)
        .limit(per_page)
    )


def total_query(flt: CallFilter):  # noqa: ANN201
    return select(func.count()).select_from(Call).where(*flt.conditions())


def counts_query(flt: CallFilter):  # noqa: ANN201
    """Calls per outcome for the other filters (null: no outcome, ended or not)."""
    return (
        select(Call.outcome, func.count())
        .where(*flt.conditions(with_outcome=False))
        .group_by(Call.outcome)
    )


def untagged_query(flt: CallFilter):  # noqa: ANN201
    return (
        select(func.count())
        .select_from(Call)
        .where(*flt.conditions(with_outcome=False), *_untagged())
    )


@dataclass
class CallPage:
    items: list[dict[str, Any]]
    total: int
    counts: dict[str, int]


def _duration_s(call: Call) -> float | None:
    if call.answered_at is None:
        return None
    end = call.ended_at or call.answered_at
    return round((end - call.answered_at).total_seconds(), 1)


def call_summary(call: Call, agent_names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": call.id,
        "order_ref": call.order_ref,
        "purpose": call.purpose,
        "locale": call.locale,
        "buyer_name": call.buyer_name,
        "state": call.state,
        "end_reason": call.end_reason,
        "agent_id": call.agent_id,
        "agent_name": agent_names.get(call.agent_id) if call.agent_id else None,
        "created_at": call.created_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "duration_s": _duration_s(call),
        "outcome": call.outcome,
        "decision": call.decision,
        "outcome_note": call.outcome_note,
        "outcome_at": call.outcome_at,
        "review_state": call.review_state,
    }


def _names(db: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.exec(select(User.id, User.name).where(col(User.id).in_(user_ids))).all()
    return {uid: name for uid, name in rows if uid is not None}


def list_calls(db: Session, flt: CallFilter, page: int, per_page: int) -> CallPage:
    calls = db.exec(page_query(flt, page, per_page)).all()
    total = db.exec(total_query(flt)).one()
    counts = {str(o): 0 for o in Outcome}
    counts[UNTAGGED_KEY] = 0
    for outcome, n in db.exec(counts_query(flt)).all():
        if outcome is not None:
            counts[outcome] = n
    counts[UNTAGGED_KEY] = db.exec(untagged_query(flt)).one()
    names = _names(db, {c.agent_id for c in calls if c.agent_id is not None})
    return CallPage(items=[call_summary(c, names) for c in calls], total=total, counts=counts)


@dataclass
class CallDetail:
    call: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    recordings: list[Recording] = field(default_factory=list)
    outcome_history: list[dict[str, Any]] = field(default_factory=list)
    chat: list[dict[str, Any]] = field(default_factory=list)


def call_detail(db: Session, call: Call) -> CallDetail:
    events = db.exec(
        select(CallEvent)
        .where(CallEvent.call_id == call.id)
        .order_by(col(CallEvent.t_ms), col(CallEvent.id))
    ).all()
    photos = db.exec(
        select(Photo).where(Photo.call_id == call.id).order_by(col(Photo.t_ms), col(Photo.id))
    ).all()
    recordings = db.exec(
        select(Recording).where(Recording.call_id == call.id).order_by(col(Recording.id))
    ).all()
    changes = db.exec(
        select(OutcomeChange)
        .where(OutcomeChange.call_id == call.id)
        .order_by(col(OutcomeChange.at), col(OutcomeChange.id))
    ).all()
    user_ids = {ch.by_user_id for ch in changes}
    for who in (call.agent_id, call.outcome_by_user_id):
        if who is not None:
            user_ids.add(who)
    names = _names(db, user_ids)
    summary = call_summary(call, names)
    summary["outcome_by_user_id"] = call.outcome_by_user_id
    summary["outcome_by_name"] = names.get(call.outcome_by_user_id or -1)
    chat = [
        {
            "t_ms": ev.t_ms,
            "at": ev.at,
            "from": ev.data.get("from"),
            "name": ev.data.get("name"),
            "text": ev.data.get("text"),
        }
        for ev in events
        if ev.kind == "chat"
    ]
    return CallDetail(
        call=summary,
        events=[{"kind": ev.kind, "t_ms": ev.t_ms, "at": ev.at, "data": ev.data} for ev in events],
        photos=list(photos),
        recordings=list(recordings),
        outcome_history=[
            {
                "id": ch.id,
                "action": ch.action,
                "outcome": ch.outcome,
                "decision": ch.decision,
                "note": ch.note,
                "reason": ch.reason,
                "by_user_id": ch.by_user_id,
                "by_name": names.get(ch.by_user_id),
                "at": ch.at,
            }
            for ch in changes
        ],
        chat=chat,
    )
