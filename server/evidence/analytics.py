"""Return-reason analytics: where verdicts concentrate (by category, outcome, SKU,
carrier, country, channel, agent or week) and how the service went (answer and handle
times, buyers who left the queue, untagged calls).

Contracts, which the API and the page rely on and the tests recompute from the rows:

- The calls counted are those created in ``[since, until)`` matching every filter
  (``review_list.CallFilter``'s conditions, so the review list finds exactly the same
  calls).
- ``outcome_rows``: counts a damage check's and a remote inspection's calls (the return
  reasons) unless ``purpose`` is set: a product demo's results are asked for with
  ``purpose=product_demo``, never mixed into the return reasons. One row per key;
  ``calls`` is how many calls the key has, and ``by_outcome`` / ``by_decision`` count
  them per outcome code / decision (codes and decisions with no call left out; a call
  without one is in neither). Grouped by ``category`` or ``outcome``, only calls with an
  outcome are counted. Grouped by ``sku``, a call with two SKUs counts in both rows. A
  call without the key (no carrier, no agent, ...) is in the row whose key is null. Rows
  are sorted by calls, most first (``week``: by week); ``week`` keys are the Monday
  (``YYYY-MM-DD``) of the call's week in ``tz`` (Monday 00:00 to Sunday 24:00 of the
  viewer's clock, half-hour zones included). Ranked by a category's rate (``rank_by``),
  rows are sorted by the share of their calls whose outcome is in it, most first, then
  by those calls, then by key; the row without a key is left out. ``limit`` keeps the
  first rows of that order, whose figures are those of the whole answer.
- ``service``: answer time is ``answered_at - created_at`` of answered calls, handle time
  ``ended_at - answered_at`` of answered, ended calls, both in seconds; a percentile is
  the nearest rank (the ``ceil(q * n)``-th smallest); ``left_queue`` counts calls that
  ended ``buyer_left_queue``; ``untagged`` and ``not_reached`` are the review list's.

Where they are read from changes nothing of the above: a period under at most a purpose
filter from the roll-up (``server.models.rollup``, split by ``analytics_rollup``), every
other filter from the calls and their indexes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from server.evidence import analytics_rollup as rolled
from server.evidence.review_list import RETURN_PURPOSES, CallFilter, _not_reached, _untagged
from server.models.call import Call
from server.models.order import CallSku
from server.models.qa import QaScore
from server.models.rollup import US_PER_S, micros
from server.models.taxonomy import (
    TAXONOMY_DAMAGE,
    OutcomeCategory,
    OutcomeCode,
    taxonomy_purpose,
)
from server.models.user import User
from signaling.vocabulary import EndReason

GroupBy = Literal["category", "outcome", "sku", "carrier", "country", "channel", "agent", "week"]
GROUP_BYS: tuple[str, ...] = GroupBy.__args__  # type: ignore[attr-defined]


@dataclass
class OutcomeRow:
    """One group's figures."""

    key: str | None
    label: str | None = None
    calls: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_decision: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str | None, decision: str | None, n: int) -> None:
        self.calls += n
        if outcome is not None:
            self.by_outcome[outcome] = self.by_outcome.get(outcome, 0) + n
        if decision is not None:
            self.by_decision[decision] = self.by_decision.get(decision, 0) + n

    def add_rolled(self, kind: str, value: str, n: int) -> None:
        """Add a roll-up row's sum: ``n`` calls of outcome ``value`` ("" none, kind ``o``)
        or ``n`` of them with decision ``value`` (kind ``d``, already counted as calls)."""
        if kind == "o":
            self.add(value or None, None, n)
        else:
            self.by_decision[value] = self.by_decision.get(value, 0) + n


def _sub_hour_shift(zone: ZoneInfo, since: datetime | None, until: datetime | None) -> int | None:
    """The minutes by which ``zone``'s offset passes a whole hour (30 in Asia/Kolkata, 45
    in Asia/Kathmandu, 0 in most zones) throughout ``[since, until)``, read day by day;
    None when it changes there (Australia/Lord_Howe's half-hour summer time) or the period
    is unbounded and the zone has such an offset."""
    now = datetime.now(UTC)
    lo = since or now - timedelta(days=366)
    hi = until or now
    found: set[int] = set()
    moment = lo
    while True:
        offset = moment.astimezone(zone).utcoffset() or timedelta()
        found.add(int((offset % timedelta(hours=1)).total_seconds()) // 60)
        if moment >= hi:
            break
        moment = min(moment + timedelta(days=1), hi)
    if len(found) != 1 or (found != {0} and (since is None or until is None)):
        return None
    return found.pop()


def _local_hour_bucket(db: Session, shift: int | None) -> ColumnElement[str]:
    """A call's bucket, written ``YYYY-MM-DD HH`` (or ``YYYY-MM-DD HH:MM`` when ``shift``
    is None): the UTC hour its creation plus ``shift`` minutes is in, so that a bucket is
    one whole hour of the viewer's clock (else one minute)."""
    created: Any = col(Call.created_at)
    postgres = db.get_bind().dialect.name == "postgresql"
    if shift is None:
        if postgres:
            return func.to_char(func.date_trunc("minute", created), "YYYY-MM-DD HH24:MI")
        return func.substr(created, 1, 16)  # stored as text: "YYYY-MM-DD HH:MM:SS.ffffff"
    if postgres:
        if shift:
            created = created + func.make_interval(0, 0, 0, 0, 0, shift)
        return func.to_char(func.date_trunc("hour", created), "YYYY-MM-DD HH24")
    if shift:  # whole seconds first: SQLite rounds a time to the millisecond, half up
        return func.strftime("%Y-%m-%d %H", func.substr(created, 1, 19), f"+{shift} minutes")
    return func.substr(created, 1, 13)


def _week_of(bucket: str, shift: int | None, zone: ZoneInfo) -> str:
    """The week (in ``zone``) of a ``_local_hour_bucket``: every moment of it is in one."""
    y, m, d, h = int(bucket[0:4]), int(bucket[5:7]), int(bucket[8:10]), int(bucket[11:13])
    minute = int(bucket[14:16]) if shift is None else -shift
    start = datetime(y, m, d, h, tzinfo=UTC) + timedelta(minutes=minute)
    return _week_of_moment(start, zone)


def _week_of_moment(moment: datetime, zone: ZoneInfo) -> str:
    """The Monday (in ``zone``) of the week ``moment`` is in."""
    start = moment.astimezone(zone)
    monday: date = start.date() - timedelta(days=start.weekday())
    return monday.isoformat()


class UnknownCategory(ValueError):
    """``rank_by`` names no category of the taxonomy, or one of another purpose's codes
    (a demo's results for the return reasons, a return reason for the demos)."""


def outcome_rows(
    db: Session,
    flt: CallFilter,
    group_by: GroupBy,
    tz: str = "UTC",
    *,
    limit: int | None = None,
    rank_by: str | None = None,
) -> list[OutcomeRow]:
    """The figures per ``group_by`` key of the calls ``flt`` selects (module docstring);
    without a purpose filter, of the return-reason purposes' calls only; ranked by the
    category ``rank_by``'s rate and cut to ``limit`` rows if given. Read from the roll-up
    when it answers the filter (``analytics_rollup.served``), else from the calls; the
    top SKUs are picked from the SKUs' totals before their figures are read. Raises
    ``UnknownCategory`` for a ``rank_by`` that is no category of the counted calls' codes
    (the return reasons', or with ``purpose`` set that purpose's)."""
    zone = ZoneInfo(tz)
    codes: frozenset[str] | None = None
    if rank_by is not None:
        wanted = taxonomy_purpose(str(flt.purpose)) if flt.purpose is not None else TAXONOMY_DAMAGE
        if _category_purpose(db, rank_by) != wanted:
            raise UnknownCategory(rank_by)
        codes = frozenset(code for code, cat in _categories(db).items() if cat == rank_by)
    rows: dict[str | None, OutcomeRow] = {}
    if rolled.served(flt) and group_by == "sku" and limit is not None:
        _top_skus_from_rollup(db, flt, zone, rows, limit, codes)
    elif group_by == "sku" and limit is not None:
        _top_skus_from_calls(db, flt, zone, rows, limit, codes)
    elif rolled.served(flt):
        _from_rollup(db, flt, group_by, zone, rows)
    else:
        _from_calls(db, flt, group_by, zone, rows)
    result = _ranked(rows.values(), group_by, codes)
    if limit is not None:
        result = result[:limit]
    if group_by == "agent":
        names = _agent_names(db, (r.key for r in result))
        for r in result:
            r.label = names.get(r.key) if r.key is not None else None
    return result


def _faults(row: OutcomeRow, codes: frozenset[str]) -> int:
    return sum(n for code, n in row.by_outcome.items() if code in codes)


def _ranked(
    rows: Iterable[OutcomeRow], group_by: str, codes: frozenset[str] | None
) -> list[OutcomeRow]:
    """The rows with calls, in the answer's order (module docstring)."""
    result = [r for r in rows if r.calls]
    if group_by == "week":
        result.sort(key=lambda r: r.key or "")
    elif codes is not None:
        result = [r for r in result if r.key is not None]
        result.sort(
            key=lambda r: (-Fraction(_faults(r, codes), r.calls), -_faults(r, codes), r.key)
        )
    else:
        result.sort(key=lambda r: (-r.calls, r.key is None, r.key or ""))
    return result


def _category_purpose(db: Session, code: str) -> str | None:
    """The purpose whose codes the category ``code`` holds (None: no such category)."""
    query = select(OutcomeCategory.purpose).where(OutcomeCategory.code == code)
    return db.exec(query).first()


def _top_skus_from_rollup(
    db: Session,
    flt: CallFilter,
    zone: ZoneInfo,
    rows: dict[str | None, OutcomeRow],
    limit: int,
    codes: frozenset[str] | None,
) -> None:
    """Add to ``rows`` the figures of the ``limit`` SKUs first in the answer's order: the
    SKUs' calls (and, ranked by a category, their calls in it) from the slim roll-up rows
    (``sku_calls``, ``sku_outcome``) and the calls of the period's partial ends; then the
    chosen SKUs' outcomes and decisions alone from the ``sku`` rows."""
    assert flt.since is not None and flt.until is not None
    purposes = _purposes(flt)
    raw, ranges = rolled.split(flt.since, flt.until)
    ends: dict[str | None, OutcomeRow] = {}
    for lo, hi in raw:
        _from_calls(db, replace(flt, since=lo, until=hi), "sku", zone, ends)
    totals = {key: OutcomeRow(key=key, calls=r.calls) for key, r in ends.items()}
    if codes is not None:
        for key, r in ends.items():
            totals[key].by_outcome = {c: n for c, n in r.by_outcome.items() if c in codes}
    for _, gkey, _, _, n in rolled.sums(db, "sku_calls", ranges, purposes):
        totals.setdefault(gkey or None, OutcomeRow(key=gkey or None)).calls += n
    if codes:
        for _, code, _, sku, n in rolled.sums(db, "sku_outcome", ranges, purposes, sorted(codes)):
            r = totals.setdefault(sku or None, OutcomeRow(key=sku or None))
            r.by_outcome[code] = r.by_outcome.get(code, 0) + n
    chosen = [r.key for r in _ranked(totals.values(), "sku", codes)[:limit]]
    for key in chosen:
        rows[key] = ends.get(key) or OutcomeRow(key=key)
    gkeys = sorted(key or "" for key in chosen)
    for _, gkey, kind, value, n in rolled.sums(db, "sku", ranges, purposes, gkeys):
        r = rows[gkey or None]
        r.add_rolled(kind, value, n)


def _top_skus_from_calls(
    db: Session,
    flt: CallFilter,
    zone: ZoneInfo,
    rows: dict[str | None, OutcomeRow],
    limit: int,
    codes: frozenset[str] | None,
) -> None:
    """Add to ``rows`` the figures of the ``limit`` SKUs first in the answer's order,
    counted from the calls: each SKU's calls (and, ranked by a category, its calls in it)
    in one row per SKU, then the chosen SKUs' outcomes and decisions alone."""
    key = col(CallSku.sku_key)
    outcome = col(Call.outcome)
    in_category = func.sum(case((outcome.in_(sorted(codes or ())), 1), else_=0))
    query = (
        select(key, func.count(), in_category)
        .select_from(Call)
        .outerjoin(CallSku, col(CallSku.call_id) == col(Call.id))
        .where(*_counted(flt))
        .group_by(key)
    )
    totals: list[OutcomeRow] = []
    for found, n, faults in db.exec(query).all():
        total = OutcomeRow(key=None if found is None else str(found), calls=n)
        if codes:  # the calls in the category, under one of its codes: only the sum is read
            total.by_outcome = {min(codes): int(faults or 0)}
        totals.append(total)
    chosen = [r.key for r in _ranked(totals, "sku", codes)[:limit]]
    if chosen:
        _from_calls(db, flt, "sku", zone, rows, keys=chosen)


def _purposes(flt: CallFilter) -> list[str]:
    return [str(flt.purpose)] if flt.purpose is not None else list(RETURN_PURPOSES)


def _categories(db: Session) -> dict[str, str]:
    return dict(db.exec(select(OutcomeCode.code, OutcomeCode.category)).all())


def _from_rollup(
    db: Session,
    flt: CallFilter,
    group_by: GroupBy,
    zone: ZoneInfo,
    rows: dict[str | None, OutcomeRow],
) -> None:
    """Add the roll-up's figures of the period's whole days and months (hours for weeks)
    to ``rows``, and the calls' of its partial ends."""
    since, until = flt.since, flt.until
    assert since is not None and until is not None
    purposes = _purposes(flt)
    if group_by == "week":
        raw, ranges = rolled.split_weeks(since, until, lambda at: _week_of_moment(at, zone))
    else:
        raw, ranges = rolled.split(since, until)
    for lo, hi in raw:
        _from_calls(db, replace(flt, since=lo, until=hi), group_by, zone, rows)
    if not ranges:
        return

    def row(key: str | None) -> OutcomeRow:
        return rows.setdefault(key, OutcomeRow(key=key))

    if group_by in ("week", "category", "outcome"):
        category = _categories(db) if group_by == "category" else {}
        for tag, _, kind, value, n in rolled.sums(db, "all", ranges, purposes):
            if group_by == "week":
                key: str | None = tag
            elif not value or kind != "o":
                continue  # decisions per outcome below
            elif group_by == "category":
                if value not in category:
                    continue
                key = category[value]
            else:
                key = value
            r = row(key)
            r.add_rolled(kind, value, n)
        if group_by != "week":
            for _, outcome, _, decision, n in rolled.sums(db, "outcome", ranges, purposes):
                key = category.get(outcome) if group_by == "category" else outcome
                if key is None:
                    continue
                r = row(key)
                r.by_decision[decision] = r.by_decision.get(decision, 0) + n
        return
    for _, gkey, kind, value, n in rolled.sums(db, group_by, ranges, purposes):
        r = row(gkey or None)
        r.add_rolled(kind, value, n)


def _from_calls(
    db: Session,
    flt: CallFilter,
    group_by: GroupBy,
    zone: ZoneInfo,
    rows: dict[str | None, OutcomeRow],
    keys: list[str | None] | None = None,
) -> None:
    """Add the figures counted from the calls ``flt`` selects to ``rows``; given ``keys``,
    of those keys' rows only (None: the row without a key)."""
    where = _counted(flt)
    outcome, decision = col(Call.outcome), col(Call.decision)
    key: Any
    query: Any
    shift: int | None = 0
    if group_by == "category":
        key = col(OutcomeCode.category)
        query = select(key, outcome, decision, func.count()).join(
            OutcomeCode, col(OutcomeCode.code) == outcome
        )
    elif group_by == "outcome":
        key = outcome
        query = select(key, outcome, decision, func.count()).where(outcome.is_not(None))
    elif group_by == "sku":
        key = col(CallSku.sku_key)
        query = select(key, outcome, decision, func.count()).outerjoin(
            CallSku, col(CallSku.call_id) == col(Call.id)
        )
    elif group_by == "week":
        shift = _sub_hour_shift(zone, flt.since, flt.until)
        key = _local_hour_bucket(db, shift)
        query = select(key, outcome, decision, func.count())
    else:
        key = {
            "carrier": col(Call.carrier_key),
            "country": col(Call.buyer_country),
            "channel": col(Call.channel_key),
            "agent": col(Call.agent_id),
        }[group_by]
        query = select(key, outcome, decision, func.count())
    if group_by != "category":
        query = query.select_from(Call)
    if keys is not None:
        named = key.in_([k for k in keys if k is not None])
        where.append(or_(named, key.is_(None)) if None in keys else named)
    query = query.where(*where).group_by(key, outcome, decision)
    weeks: dict[str, str] = {}  # bucket -> week, each bucket worked out once
    for found_key, found_outcome, found_decision, n in db.exec(query).all():
        if group_by == "week":
            if found_key not in weeks:
                weeks[found_key] = _week_of(found_key, shift, zone)
            found_key = weeks[found_key]
        elif found_key is not None:
            found_key = str(found_key)
        row = rows.setdefault(found_key, OutcomeRow(key=found_key))
        row.add(found_outcome, found_decision and str(found_decision), n)


def _counted(flt: CallFilter) -> list[ColumnElement[bool]]:
    """The conditions of the calls ``outcome_rows`` counts: without a purpose filter, the
    return reasons' calls."""
    return (flt if flt.purpose is not None else replace(flt, return_reasons=True)).conditions()


def _agent_names(db: Session, keys: Iterable[str | None]) -> dict[str, str]:
    ids = {int(k) for k in keys if k is not None}
    if not ids:
        return {}
    found = db.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all()
    return {str(uid): name for uid, name in found}


def nearest_rank(values: list[float], q: float) -> float | None:
    """The ``q`` quantile by nearest rank of sorted ``values``; None for none."""
    if not values:
        return None
    return values[max(0, math.ceil(q * len(values)) - 1)]


@dataclass(frozen=True)
class ServiceFigures:
    calls: int
    answered: int
    answer_p50_s: float | None
    answer_p90_s: float | None
    handle_p50_s: float | None
    handle_mean_s: float | None
    left_queue: int
    untagged: int
    not_reached: int


def service(db: Session, flt: CallFilter) -> ServiceFigures:
    """Answer and handle times and the queue's and tagging's counts (module docstring)."""
    if rolled.served(flt):
        return _service_from_rollup(db, flt)
    where = flt.conditions()
    answered = col(Call.answered_at)

    def tally(*cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((and_(*cond), 1), else_=0)), 0)

    calls, left_queue, untagged, not_reached = db.exec(
        select(
            func.count(),
            tally(col(Call.end_reason) == EndReason.BUYER_LEFT_QUEUE),
            tally(*_untagged()),
            tally(*_not_reached()),
        )
        .select_from(Call)
        .where(*where)
    ).one()
    # answer_us / handle_us are answered_at - created_at and ended_at - answered_at in
    # microseconds, kept with the row (server.models.rollup): integers, read fast
    times = db.exec(
        select(col(Call.answer_us), col(Call.handle_us)).where(*where, answered.is_not(None))
    ).all()
    answer = sorted(a / US_PER_S for a, _ in times if a is not None)
    handle = sorted(h / US_PER_S for _, h in times if h is not None)
    return ServiceFigures(
        calls=calls,
        answered=len(answer),
        answer_p50_s=nearest_rank(answer, 0.5),
        answer_p90_s=nearest_rank(answer, 0.9),
        handle_p50_s=nearest_rank(handle, 0.5),
        handle_mean_s=round(sum(handle) / len(handle), 1) if handle else None,
        left_queue=int(left_queue),
        untagged=int(untagged),
        not_reached=int(not_reached),
    )


def _service_from_rollup(db: Session, flt: CallFilter) -> ServiceFigures:
    """``service`` from the roll-up's counts and whole-second histograms of the period's
    whole days and months plus the calls of its partial ends; a percentile's exact value
    is then read from the calls of the one second the histogram puts it in."""
    assert flt.since is not None and flt.until is not None
    purposes = [str(flt.purpose)] if flt.purpose is not None else None
    raw, ranges = rolled.split(flt.since, flt.until)
    counts: Counter[str] = Counter()
    hist: dict[str, Counter[int]] = {"answer": Counter(), "handle": Counter()}
    for _, _, _, value, n in rolled.sums(db, "service", ranges, purposes):
        counts[value] += n
    for dim, found in hist.items():
        for _, _, _, value, n in rolled.sums(db, dim, ranges, purposes):
            found[int(value)] += n
    for lo, hi in raw:
        edge = replace(flt, since=lo, until=hi).conditions()
        for created, answered, ended, reason, outcome in db.exec(
            select(
                Call.created_at, Call.answered_at, Call.ended_at, Call.end_reason, Call.outcome
            ).where(*edge)
        ).all():
            counts["calls"] += 1
            if answered is not None:
                counts["answered"] += 1
                hist["answer"][micros(created, answered) // US_PER_S] += 1
                if ended is not None:
                    handle_us = micros(answered, ended)
                    counts["handle_n"] += 1
                    counts["handle_us"] += handle_us
                    hist["handle"][handle_us // US_PER_S] += 1
            if reason == EndReason.BUYER_LEFT_QUEUE:
                counts["left_queue"] += 1
            if outcome is None and ended is not None:
                counts["untagged" if answered is not None else "not_reached"] += 1

    def rank(column: Any, found: Counter[int], q: float) -> float | None:
        total = sum(found.values())
        if not total:
            return None
        wanted = max(0, math.ceil(q * total) - 1)  # nearest rank, 0-based
        below = 0
        for second in sorted(found):
            if below + found[second] > wanted:
                break
            below += found[second]
        where = [
            col(Call.created_at) >= flt.since,
            col(Call.created_at) < flt.until,
            column >= second * US_PER_S,
            column < (second + 1) * US_PER_S,
        ]
        if flt.purpose is not None:
            where.append(col(Call.purpose) == flt.purpose)
        value = db.exec(
            select(column).where(*where).order_by(column).offset(wanted - below).limit(1)
        ).first()
        return None if value is None else value / US_PER_S

    handle_n = counts["handle_n"]
    return ServiceFigures(
        calls=counts["calls"],
        answered=counts["answered"],
        answer_p50_s=rank(col(Call.answer_us), hist["answer"], 0.5),
        answer_p90_s=rank(col(Call.answer_us), hist["answer"], 0.9),
        handle_p50_s=rank(col(Call.handle_us), hist["handle"], 0.5),
        handle_mean_s=round(counts["handle_us"] / US_PER_S / handle_n, 1) if handle_n else None,
        left_queue=counts["left_queue"],
        untagged=counts["untagged"],
        not_reached=counts["not_reached"],
    )


@dataclass
class QaRow:
    """One agent's QA scores in one week (``week`` None: the whole period)."""

    agent_id: int
    agent_name: str | None
    week: str | None
    scores: int = 0
    total: float = 0.0

    @property
    def mean_pct(self) -> float:
        return round(self.total / self.scores, 1) if self.scores else 0.0


def qa_rows(db: Session, flt: CallFilter, tz: str = "UTC") -> tuple[list[QaRow], list[QaRow]]:
    """QA scores of the calls ``flt`` selects (the period and every filter, as the review
    list and ``outcome_rows`` read them; of every purpose unless ``purpose`` is set), per
    agent and week (the call's week in ``tz``, as ``outcome_rows`` counts weeks) and per
    agent over the period: how many scores (a call scored by two reviewers counts twice)
    and their mean total. Rows by agent name, then week; a score counts for the agent it
    was given to."""
    zone = ZoneInfo(tz)
    shift = _sub_hour_shift(zone, flt.since, flt.until)
    hour = _local_hour_bucket(db, shift)
    query = (
        select(col(QaScore.agent_id), hour, func.count(), func.sum(col(QaScore.total_pct)))
        .select_from(Call)
        .join(QaScore, col(QaScore.call_id) == col(Call.id))
        .where(*flt.conditions())
        .group_by(col(QaScore.agent_id), hour)
    )
    found = db.exec(query).all()
    names = _agent_names(db, (str(a) for a, _, _, _ in found))
    weeks: dict[tuple[int, str], QaRow] = {}
    agents: dict[int, QaRow] = {}
    for agent_id, found_hour, n, total in found:
        week = _week_of(found_hour, shift, zone)
        name = names.get(str(agent_id))
        row = weeks.setdefault((agent_id, week), QaRow(agent_id, name, week))
        whole = agents.setdefault(agent_id, QaRow(agent_id, name, None))
        for r in (row, whole):
            r.scores += n
            r.total += float(total or 0)
    by_name = lambda r: (r.agent_name or "", r.agent_id, r.week or "")  # noqa: E731
    return sorted(weeks.values(), key=by_name), sorted(agents.values(), key=by_name)
