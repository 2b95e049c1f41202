"""Reading calls for review: the filtered, paginated list with counts per outcome, and
one call with its timeline, photos, recordings, outcome history and chat transcript.

The list stays fast at 100,000 calls because every common filter is served by an index
of ``call`` ((outcome, created_at), (agent_id, created_at), (purpose, created_at),
order_ref, created_at, and the order's (carrier_key | channel_key | buyer_country,
created_at) and ``call_sku``'s sku_key; the counts per outcome under a purpose, agent or
decision filter from (that column, outcome) alone); ``tests/api/test_sessions_query_plan.py``
checks the plans and ``bench/review_query.py`` times them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from server.models.call import (
    Call,
    CallDetailPublic,
    CallEvent,
    CallEventPublic,
    CallPublic,
    CallQuality,
    ChatLine,
    ConsentShown,
    OutcomeChange,
    OutcomeChangePublic,
)
from server.models.case import Case
from server.models.consent import ConsentText, fill_in
from server.models.evidence import Photo, PhotoPublic, Recording, RecordingPublic
from server.models.order import CallSku, OrderPublic, filter_key
from server.models.taxonomy import TAXONOMY_DAMAGE, OutcomeCode, call_purposes
from server.models.user import User
from signaling.vocabulary import Decision, EndReason, Purpose

UNTAGGED_KEY = "untagged"
NOT_REACHED_KEY = "not_reached"
LIKE_ESCAPE = "\\"

RETURN_PURPOSES: tuple[str, ...] = tuple(call_purposes(TAXONOMY_DAMAGE))
"""The call purposes whose verdicts are return reasons (a damage check's and a remote
inspection's); a product demo's results never are (a demo's "purchased" is no complaint)."""


@dataclass(frozen=True)
class CallFilter:
    """What the review list is narrowed to; every filter set must hold (None: any)."""

    outcome: str | None = None  # a code of the shop's taxonomy, retired ones included
    category: str | None = None  # the outcome's return-reason category
    end_reason: EndReason | None = None
    decision: Decision | None = None
    purpose: Purpose | None = None
    return_reasons: bool = False  # only calls of ``RETURN_PURPOSES``
    agent_id: int | None = None
    order_ref: str | None = None  # a prefix of the order reference (case-sensitive)
    since: datetime | None = None
    until: datetime | None = None
    untagged: bool = False
    not_reached: bool = False
    answered: bool = False  # only calls an agent answered
    # the order's values, matched whole after ``filter_key`` (case and spaces ignored)
    sku: str | None = None
    carrier: str | None = None
    channel: str | None = None
    buyer_country: str | None = None  # ISO 3166-1 alpha-2, any case

    def conditions(self, *, with_outcome: bool = True) -> list[ColumnElement[bool]]:
        """SQL conditions; ``with_outcome=False`` leaves out the outcome, category,
        untagged and not-reached filters (for the counts per outcome)."""
        where: list[ColumnElement[bool]] = []
        if with_outcome and self.outcome is not None:
            where.append(col(Call.outcome) == self.outcome)
        if with_outcome and self.category is not None:
            codes = select(OutcomeCode.code).where(OutcomeCode.category == self.category)
            where.append(col(Call.outcome).in_(codes))
        if self.end_reason is not None:
            where.append(col(Call.end_reason) == self.end_reason)
        if with_outcome and self.untagged:
            where.extend(_untagged())
        if with_outcome and self.not_reached:
            where.extend(_not_reached())
        if self.answered:
            where.append(col(Call.answered_at).is_not(None))
        if self.decision is not None:
            where.append(col(Call.decision) == self.decision)
        if self.purpose is not None:
            where.append(col(Call.purpose) == self.purpose)
        if self.return_reasons:
            where.append(col(Call.purpose).in_(RETURN_PURPOSES))
        if self.agent_id is not None:
            where.append(col(Call.agent_id) == self.agent_id)
        if self.order_ref is not None:
            where.extend(_order_ref_prefix(self.order_ref))
        if self.since is not None:
            where.append(col(Call.created_at) >= self.since)
        if self.until is not None:
            where.append(col(Call.created_at) < self.until)
        if self.carrier is not None:
            where.append(col(Call.carrier_key) == filter_key(self.carrier))
        if self.channel is not None:
            where.append(col(Call.channel_key) == filter_key(self.channel))
        if self.buyer_country is not None:
            where.append(col(Call.buyer_country) == self.buyer_country.strip().upper())
        if self.sku is not None:
            skus = select(CallSku.call_id).where(CallSku.sku_key == filter_key(self.sku))
            where.append(col(Call.id).in_(skus))
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


def _not_reached() -> list[ColumnElement[bool]]:
    # ended before any agent answered (declined, left the queue, waited too long): not
    # untagged, since there was no call to tag. outcome IS NULL (always true for them)
    # lets the planner take the (outcome, created_at) index
    return [
        col(Call.outcome).is_(None),
        col(Call.ended_at).is_not(None),
        col(Call.answered_at).is_(None),
    ]


def escape_like(text: str) -> str:
    """``text`` for a LIKE pattern with ``LIKE_ESCAPE``: its ``%``, ``_`` and escape
    characters match only themselves."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return text


def _order_ref_prefix(prefix: str) -> list[ColumnElement[bool]]:
    # LIKE 'prefix%' says what matches (case-sensitive, as PostgreSQL's LIKE is); the
    # range [prefix, prefix with its last character raised) bounds the same rows in the
    # order_ref index, which SQLite's case-insensitive LIKE would not use by itself
    like = col(Call.order_ref).like(escape_like(prefix) + "%", escape=LIKE_ESCAPE)
    if ord(prefix[-1]) >= sys.maxunicode:
        return [col(Call.order_ref) >= prefix, like]
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return [col(Call.order_ref) >= prefix, col(Call.order_ref) < upper, like]


def page_query(flt: CallFilter, page: int, per_page: int) -> SelectOfScalar[Call]:
    """The calls of one page, newest first."""
    return (
        select(Call)
        .where(*flt.conditions())
        .order_by(col(Call.created_at).desc())  # walks an index backwards, no sort
        .offset((page - 1) * per_page)
        .limit(per_page)
    )


def total_query(flt: CallFilter) -> SelectOfScalar[int]:
    """How many calls match every filter."""
    return select(func.count()).select_from(Call).where(*flt.conditions())


def counts_query(flt: CallFilter) -> Select[tuple[str | None, int]]:
    """Calls per outcome for the other filters (null: no outcome, ended or not)."""
    return (
        select(Call.outcome, func.count())
        .where(*flt.conditions(with_outcome=False))
        .group_by(Call.outcome)
    )


def not_reached_query(flt: CallFilter) -> SelectOfScalar[int]:
    """How many calls ended before reaching an agent, under the other filters."""
    return (
        select(func.count())
        .select_from(Call)
        .where(*flt.conditions(with_outcome=False), *_not_reached())
    )


def untagged_query(flt: CallFilter) -> SelectOfScalar[int]:
    """How many calls are untagged (answered, ended, no outcome) under the other filters."""
    return (
        select(func.count())
        .select_from(Call)
        .where(*flt.conditions(with_outcome=False), *_untagged())
    )


@dataclass
class CallPage:
    """One page of the review list: the calls, how many match, and the counts."""

    items: list[CallPublic]
    total: int
    counts: dict[str, int]


def _names(db: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.exec(select(User.id, User.name).where(col(User.id).in_(user_ids))).all()
    return {uid: name for uid, name in rows if uid is not None}


def list_calls(db: Session, flt: CallFilter, page: int, per_page: int) -> CallPage:
    """One page of the calls ``flt`` selects, newest first; how many it selects; and the
    counts under its other filters (``counts_query``): calls per outcome (every outcome,
    0 when none), ``untagged`` (answered, ended, no outcome) and ``not_reached`` (ended
    before an agent answered)."""
    calls = db.exec(page_query(flt, page, per_page)).all()
    total = db.exec(total_query(flt)).one()
    counts = {
        code: 0
        for code in db.exec(select(OutcomeCode.code).order_by(col(OutcomeCode.position))).all()
    }
    for outcome, n in db.exec(counts_query(flt)).all():
        if outcome is not None:
            counts[outcome] = n
    counts[UNTAGGED_KEY] = db.exec(untagged_query(flt)).one()
    counts[NOT_REACHED_KEY] = db.exec(not_reached_query(flt)).one()
    names = _names(db, {c.agent_id for c in calls if c.agent_id is not None})
    return CallPage(
        items=[CallPublic.from_row(c, names) for c in calls], total=total, counts=counts
    )


def _consent_shown(db: Session, call: Call, shop_name: str) -> ConsentShown | None:
    """The consent text the call's buyer accepted or declined, filled in as they read it;
    None when the page did not name one."""
    if call.consent_locale is None or call.consent_version is None:
        return None
    row = db.exec(
        select(ConsentText).where(
            ConsentText.purpose == call.purpose,
            ConsentText.locale == call.consent_locale,
            ConsentText.version == call.consent_version,
        )
    ).first()
    if row is None:
        return None
    order = call.order_ref
    return ConsentShown(
        purpose=str(row.purpose),
        locale=row.locale,
        version=row.version,
        title=fill_in(row.title, shop=shop_name, order=order),
        paragraphs=[fill_in(p, shop=shop_name, order=order) for p in row.paragraphs],
        recorded_note=fill_in(row.recorded_note, shop=shop_name, order=order),
        sha256=row.sha256,
    )


def call_detail(
    db: Session, call: Call, *, shop_name: str, with_chat: bool = True
) -> CallDetailPublic:
    """Everything about one call: the consent text its buyer accepted or declined
    (``{shop}`` is ``shop_name``), its timeline events (and the chat among them, unless
    ``with_chat`` is False: then no chat event and an empty ``chat``), photos (by time in
    the call), recordings (by id; the newest review file also as ``review_recording``) and
    verdict history, with the names of the people involved."""
    events = [
        ev
        for ev in db.exec(
            select(CallEvent)
            .where(CallEvent.call_id == call.id)
            .order_by(col(CallEvent.t_ms), col(CallEvent.id))
        ).all()
        if with_chat or ev.kind != "chat"
    ]
    photos = db.exec(
        select(Photo).where(Photo.call_id == call.id).order_by(col(Photo.t_ms), col(Photo.id))
    ).all()
    recordings = [
        RecordingPublic.from_row(row)
        for row in db.exec(
            select(Recording).where(Recording.call_id == call.id).order_by(col(Recording.id))
        ).all()
    ]
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
    reviews = [r for r in recordings if r.kind == "review"]
    return CallDetailPublic.from_row(
        call,
        names,
        outcome_by_user_id=call.outcome_by_user_id,
        outcome_by_name=names.get(call.outcome_by_user_id or -1),
        events=[CallEventPublic.model_validate(ev) for ev in events],
        photos=[PhotoPublic.from_row(p) for p in photos],
        recordings=recordings,
        review_recording=reviews[-1] if reviews else None,
        outcome_history=[
            OutcomeChangePublic.model_validate(ch, update={"by_name": names.get(ch.by_user_id)})
            for ch in changes
        ],
        chat=[ChatLine.from_event(ev) for ev in events if ev.kind == "chat"],
        consent_text=_consent_shown(db, call, shop_name),
        quality=CallQuality.model_validate(call.quality) if call.quality else None,
        order=OrderPublic.of(call.order),
        case_id=_case_id(db, call),
    )


def _case_id(db: Session, call: Call) -> int | None:
    """The id of the case of the call's link (made by its first recorded file), or None."""
    if call.link_id is None:
        return None
    return db.exec(select(Case.id).where(Case.link_id == call.link_id)).first()
