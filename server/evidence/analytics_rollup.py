"""Reading the analytics roll-up (``server.models.rollup``): which pre-counted rows a
period is made of, and their sums.

A period ``[since, until)`` is read as whole UTC months, then whole UTC days, from the
roll-up, and its partial days at either end from the calls themselves (a day's calls are
few and indexed by ``created_at``). Weeks in a viewer's zone are read from whole days
that lie in one week and, for a day a week boundary cuts, from its hours; only partial
hours at the ends come from the calls. Any filter other than the period and the purpose
(agent, carrier, channel, country, SKU) is answered from the calls and their indexes
instead, since it selects a small share of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, literal, union_all
from sqlmodel import Session, col, select

from server.evidence.review_list import CallFilter
from server.models.rollup import CallRollup, bucket_of

MAX_UNION = 400  # sub-selects per statement (SQLite allows 500 by default)


@dataclass(frozen=True)
class Range:
    """Roll-up rows of ``level`` whose bucket is in ``[lo, hi)``, counted under ``tag``."""

    level: str
    lo: datetime
    hi: datetime
    tag: str = ""


def served(flt: CallFilter) -> bool:
    """Whether the roll-up answers ``flt``: a bounded period and at most a purpose."""
    others = (flt.agent_id, flt.carrier, flt.channel, flt.buyer_country, flt.sku)
    return flt.since is not None and flt.until is not None and all(v is None for v in others)


def _ceil(moment: datetime, level: str) -> datetime:
    start = bucket_of(moment, level)
    return start if start == moment else _next(start, level)


def _next(start: datetime, level: str) -> datetime:
    if level == "h":
        return start + timedelta(hours=1)
    if level == "d":
        return start + timedelta(days=1)
    return bucket_of(start + timedelta(days=32), "m")


def split(since: datetime, until: datetime) -> tuple[list[tuple[datetime, datetime]], list[Range]]:
    """(the partial days at the ends, read from the calls; the whole days and months)."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    d0, d1 = _ceil(since, "d"), bucket_of(until, "d")
    if d0 >= d1:
        return [(since, until)], []
    raw = [(a, b) for a, b in ((since, d0), (d1, until)) if a < b]
    m0, m1 = _ceil(d0, "m"), bucket_of(d1, "m")
    if m0 >= m1:
        return raw, [Range("d", d0, d1)]
    ranges = [Range("m", m0, m1)]
    ranges += [Range("d", a, b) for a, b in ((d0, m0), (m1, d1)) if a < b]
    return raw, ranges


def split_weeks(
    since: datetime, until: datetime, week_of: Callable[[datetime], str]
) -> tuple[list[tuple[datetime, datetime]], list[Range]]:
    """(the partial hours at the ends, read from the calls; hour and day ranges tagged with
    the week ``week_of`` gives the UTC hour starting at a bucket)."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    h0, h1 = _ceil(since, "h"), bucket_of(until, "h")
    if h0 >= h1:
        return [(since, until)], []
    raw = [(a, b) for a, b in ((since, h0), (h1, until)) if a < b]
    ranges: list[Range] = []

    def add(level: str, lo: datetime, hi: datetime, tag: str) -> None:
        last = ranges[-1] if ranges else None
        if last and last.level == level and last.tag == tag and last.hi == lo:
            ranges[-1] = Range(level, last.lo, hi, tag)
        else:
            ranges.append(Range(level, lo, hi, tag))

    def hours(lo: datetime, hi: datetime) -> None:
        while lo < hi:
            add("h", lo, lo + timedelta(hours=1), week_of(lo))
            lo += timedelta(hours=1)

    d0, d1 = _ceil(h0, "d"), bucket_of(h1, "d")
    if d0 >= d1:
        hours(h0, h1)
        return raw, ranges
    hours(h0, d0)
    day = d0
    while day < d1:
        first, last = week_of(day), week_of(day + timedelta(hours=23))
        if first == last:
            add("d", day, day + timedelta(days=1), first)
        else:
            hours(day, day + timedelta(days=1))
        day += timedelta(days=1)
    hours(d1, h1)
    return raw, ranges


def sums(
    db: Session, dim: str, ranges: Sequence[Range], purposes: Sequence[str] | None
) -> list[tuple[str, str, str, str, int]]:
    """(tag, gkey, kind, value, n) summed over ``ranges`` of ``dim`` for ``purposes``
    (None: every purpose); rows whose sum is 0 left out."""
    found: dict[tuple[str, str, str, str], int] = {}
    for start in range(0, len(ranges), MAX_UNION):
        parts = []
        for r in ranges[start : start + MAX_UNION]:
            where = [
                col(CallRollup.dim) == dim,
                col(CallRollup.level) == r.level,
                col(CallRollup.bucket) >= r.lo,
                col(CallRollup.bucket) < r.hi,
            ]
            if purposes is not None:
                where.append(col(CallRollup.purpose).in_(purposes))
            parts.append(
                select(
                    literal(r.tag).label("tag"),
                    col(CallRollup.gkey),
                    col(CallRollup.kind),
                    col(CallRollup.value),
                    col(CallRollup.n),
                ).where(*where)
            )
        if not parts:
            continue
        inner = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
        query = select(
            inner.c.tag, inner.c.gkey, inner.c.kind, inner.c.value, func.sum(inner.c.n)
        ).group_by(inner.c.tag, inner.c.gkey, inner.c.kind, inner.c.value)
        for tag, gkey, kind, value, n in db.exec(query).all():  # type: ignore[call-overload]
            k = (tag, gkey, kind, value)
            found[k] = found.get(k, 0) + int(n)
    return [(*k, n) for k, n in found.items() if n]
