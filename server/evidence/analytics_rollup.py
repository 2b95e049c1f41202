"""Reading the analytics roll-up (``server.models.rollup``): which pre-counted rows a
period is made of, and their sums.

A period ``[since, until)`` is read as whole UTC months, then whole UTC days, from the
roll-up, and its partial days at either end from the calls themselves (a day's calls are
few and indexed by ``created_at``). Weeks in a viewer's zone are read from whole days
that lie in one week and, for a day a week boundary cuts, from its hours; only partial
hours at the ends, and in zones whose offset is not whole hours (Asia/Kolkata) the one
UTC hour a week boundary cuts, come from the calls. Any filter other than the period and the purpose
(agent, carrier, channel, country, SKU) is answered from the calls and their indexes
instead, since it selects a small share of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal
from sqlmodel import Session, col, select

from server.evidence.review_list import CallFilter
from server.models.rollup import CallRollup, bucket_of

MAX_BOUND = 2000  # buckets named in one statement (SQLite allows 32,766 parameters)


@dataclass(frozen=True)
class Range:
    """Roll-up rows of ``level`` whose bucket is in ``[lo, hi)``, counted under ``tag``."""

    level: str
    lo: datetime
    hi: datetime
    tag: str = ""
    sign: int = 1  # -1: taken away (the hours of a day a week boundary cuts, see split_weeks)


def served(flt: CallFilter) -> bool:
    """Whether the roll-up answers ``flt``: a bounded period and at most a purpose (the
    return-reason purposes' calls as a filter of their own are read from the calls)."""
    others = (flt.agent_id, flt.carrier, flt.channel, flt.buyer_country, flt.sku)
    bounded = flt.since is not None and flt.until is not None and not flt.return_reasons
    return bounded and all(v is None for v in others)


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
    """(the stretches read from the calls: the partial hours at the ends, and each UTC
    hour a week boundary cuts, as it does in a zone whose offset is not whole hours; hour
    and day ranges tagged with the week ``week_of`` gives a moment)."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    h0, h1 = _ceil(since, "h"), bucket_of(until, "h")
    if h0 >= h1:
        return [(since, until)], []
    raw = [(a, b) for a, b in ((since, h0), (h1, until)) if a < b]
    ranges: list[Range] = []
    hour, tick = timedelta(hours=1), timedelta(microseconds=1)

    def add(level: str, lo: datetime, hi: datetime, tag: str, sign: int = 1) -> None:
        for i in range(len(ranges) - 1, -1, -1):
            last = ranges[i]
            if last.level == level and last.sign == sign:
                if last.tag == tag and last.hi == lo:
                    ranges[i] = Range(level, last.lo, hi, tag, sign)
                    return
                break
        ranges.append(Range(level, lo, hi, tag, sign))

    def whole(lo: datetime) -> bool:
        return week_of(lo) == week_of(lo + hour - tick)

    def hours(lo: datetime, hi: datetime, tag: str | None = None, sign: int = 1) -> None:
        """Add the hours of ``[lo, hi)`` (a cut one to ``raw`` instead, unless tagged)."""
        while lo < hi:
            if tag is not None:
                add("h", lo, lo + hour, tag, sign)
            elif whole(lo):
                add("h", lo, lo + hour, week_of(lo), sign)
            else:
                raw.append((lo, lo + hour))
            lo += hour

    d0, d1 = _ceil(h0, "d"), bucket_of(h1, "d")
    if d0 >= d1:
        hours(h0, h1)
        return raw, ranges
    hours(h0, d0)
    day = d0
    while day < d1:
        end = day + timedelta(days=1)
        first, last = week_of(day), week_of(end - tick)
        if first == last:
            add("d", day, end, first)
        else:
            # a week boundary cuts the day in hour k (at its start, or inside it in a zone
            # whose offset is not whole hours: that hour is then read from the calls). The
            # day counts for the week that has most of it, and the other hours move.
            k = next(k for k in range(24) if week_of(day + (k + 1) * hour - tick) != first)
            lo = day + k * hour  # the hours before lo are the first week's
            hi = lo if week_of(lo) != first else lo + hour  # from hi on, the last week's
            if hi > lo:
                raw.append((lo, hi))
            if lo - day <= end - hi:
                add("d", day, end, last)
                hours(day, lo, first)
                hours(day, hi, last, -1)
            else:
                add("d", day, end, first)
                hours(hi, end, last)
                hours(lo, end, first, -1)
        day = end
    hours(d1, h1)
    return raw, ranges


def _buckets(r: Range) -> list[datetime]:
    found, b = [], r.lo
    while b < r.hi:
        found.append(b)
        b = _next(b, r.level)
    return found


def sums(
    db: Session,
    dim: str,
    ranges: Sequence[Range],
    purposes: Sequence[str] | None,
    gkeys: Sequence[str] | None = None,
) -> list[tuple[str, str, str, str, int]]:
    """(tag, gkey, kind, value, n) summed over ``ranges`` of ``dim`` for ``purposes``
    (None: every purpose) and, given ``gkeys``, those keys alone; rows whose sum is 0 left
    out. Tagged ranges (weeks), and any range read for a few keys, are read bucket by
    bucket (the primary key then finds each bucket's, purpose's and key's rows directly);
    other ranges are one range scan each, summed by the database."""
    found: dict[tuple[str, str, str, str], int] = {}
    tagged = any(r.tag for r in ranges) or gkeys is not None
    if gkeys is not None and not gkeys:
        return []
    for level, sign in sorted({(r.level, r.sign) for r in ranges}):
        mine = [r for r in ranges if r.level == level and r.sign == sign]
        base = [col(CallRollup.dim) == dim, col(CallRollup.level) == level]
        if purposes is not None:
            base.append(col(CallRollup.purpose).in_(purposes))
        if gkeys is not None:
            base.append(col(CallRollup.gkey).in_(gkeys))
        keys = (col(CallRollup.gkey), col(CallRollup.kind), col(CallRollup.value))
        if not tagged:
            for r in mine:  # one range scan each (an OR of ranges is not one)
                span = (col(CallRollup.bucket) >= r.lo, col(CallRollup.bucket) < r.hi)
                query = (
                    select(*keys, func.sum(col(CallRollup.n))).where(*base, *span).group_by(*keys)
                )
                for gkey, kind, value, n in db.exec(query).all():
                    k = ("", gkey, kind, value)
                    found[k] = found.get(k, 0) + sign * int(n)
            continue
        tag_of = {b: r.tag for r in mine for b in _buckets(r)}
        buckets = sorted(tag_of)
        for start in range(0, len(buckets), MAX_BOUND):
            chunk = buckets[start : start + MAX_BOUND]
            # the week of a bucket, in SQL: tags change at known buckets, in time order
            changes = [b for i, b in enumerate(chunk) if i and tag_of[b] != tag_of[chunk[i - 1]]]
            bucket = col(CallRollup.bucket)
            tag: Any = literal(tag_of[chunk[-1]])
            if changes:
                whens = [
                    (bucket < b, tag_of[chunk[0] if i == 0 else changes[i - 1]])
                    for i, b in enumerate(changes)
                ]
                tag = case(*whens, else_=tag_of[changes[-1]])
            tag = tag.label("tag")
            query = (
                select(tag, *keys, func.sum(col(CallRollup.n)))
                .where(*base, bucket.in_(chunk))
                .group_by(tag, *keys)
            )
            for found_tag, gkey, kind, value, n in db.exec(query).all():
                k = (found_tag, gkey, kind, value)
                found[k] = found.get(k, 0) + sign * int(n)
    return [(*k, n) for k, n in found.items() if n]
