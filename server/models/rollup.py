"""The analytics roll-up: calls pre-counted per UTC hour, day and month, kept equal to the
``call`` rows in the same transaction that writes them.

Every flush that creates, changes (purpose, agent, times, end reason, outcome, decision,
the order's carrier, channel and country) or deletes a call, or adds or removes one of its
SKUs, takes the affected calls' contribution out before the flush (as the rows were) and
puts it back after (as they are now), so the roll-up cannot drift from the rows whatever
code path writes them (verdicts, confirm/override, the call store, erasure, retention).
Writes that bypass the ORM (a bulk ``insert(Call)``) must call :func:`rebuild`.

A row is ``(dim, level, bucket, purpose, gkey, kind, value) -> n``: at ``level`` ``h``,
``d`` or ``m`` (the UTC hour, day or month starting at ``bucket``), the calls of
``purpose`` whose ``dim`` is ``gkey`` and whose ``kind`` is ``value``:

- ``dim`` ``all`` (every level; ``gkey`` ""): kind ``o`` per outcome ("" none), ``d`` per
  decision (calls without one left out);
- ``outcome`` (days, months; calls with an outcome): ``gkey`` the outcome, kind ``d``;
- ``carrier``, ``country``, ``channel``, ``agent``, ``sku`` (days, months; "" none; a
  call counts once per SKU): kinds ``o`` and ``d`` as for ``all``;
- ``sku_calls`` (days, months): ``gkey`` the SKU ("" none), kind ``c``, value "": the
  calls per SKU alone, a few thousand rows a month, to rank the SKUs by calls;
- ``sku_outcome`` (days, months; calls with an outcome): ``gkey`` the outcome, kind
  ``k``, value the SKU ("" none): the SKUs of one outcome side by side, to rank the SKUs
  by a category's share without reading the other outcomes' rows;
- ``service`` (days, months): kind ``c``, value ``calls``, ``answered``, ``left_queue``,
  ``untagged``, ``not_reached``, ``handle_n`` (answered and ended) and ``handle_us``
  (their handle times' sum, microseconds);
- ``answer`` / ``handle`` (days, months): kind ``s``, value the whole seconds of the
  answer / handle time (rounded down): a histogram whose bucket a percentile falls in is
  then read exactly from ``call.answer_us`` / ``call.handle_us``.

The same contribution function feeds the incremental upkeep and :func:`rebuild`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Column, bindparam, delete, event, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime
from server.models.call import Call
from server.models.order import CallSku
from signaling.vocabulary import EndReason

LEVELS_ALL = ("h", "d", "m")  # the ``all`` dimension: weeks in any zone need hours
LEVELS = ("d", "m")
US_PER_S = 1_000_000
# the columns whose change changes a call's contribution
WATCHED = (
    "purpose",
    "agent_id",
    "created_at",
    "answered_at",
    "ended_at",
    "end_reason",
    "outcome",
    "decision",
    "carrier_key",
    "channel_key",
    "buyer_country",
)
REBUILD_CHUNK = 20_000  # calls read at a time by ``rebuild``


class CallRollup(SQLModel, table=True):
    """One pre-counted figure (module docstring). SQLite keeps the table as its primary
    key (WITHOUT ROWID); on PostgreSQL the primary key INCLUDEs ``n`` and autovacuum
    visits the table often (migration 0025), so sums are index-only scans."""

    __tablename__ = "call_rollup"

    dim: str = Field(primary_key=True, max_length=16)
    level: str = Field(primary_key=True, max_length=1)
    bucket: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    purpose: str = Field(primary_key=True, max_length=32)
    gkey: str = Field(primary_key=True, max_length=128)
    kind: str = Field(primary_key=True, max_length=1)
    value: str = Field(primary_key=True, max_length=64)
    n: int = Field(sa_column=Column(BigInteger(), nullable=False))


Key = tuple[str, str, datetime, str, str, str, str]
KEY_NAMES = ("dim", "level", "bucket", "purpose", "gkey", "kind", "value")


@dataclass(frozen=True)
class CallFacts:
    """What of a call the roll-up counts."""

    purpose: str
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    agent_id: int | None
    outcome: str | None
    decision: str | None
    carrier_key: str | None
    channel_key: str | None
    buyer_country: str | None
    skus: tuple[str, ...] = ()


def micros(a: datetime, b: datetime) -> int:
    """``b - a`` in whole microseconds (exact)."""
    d = b - a
    return (d.days * 86400 + d.seconds) * US_PER_S + d.microseconds


def bucket_of(moment: datetime, level: str) -> datetime:
    """The start of the UTC hour, day or month ``moment`` is in."""
    moment = moment.astimezone(UTC)
    if level == "h":
        return moment.replace(minute=0, second=0, microsecond=0)
    if level == "d":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def contribution(f: CallFacts) -> Counter[Key]:
    """The roll-up rows one call adds (module docstring)."""
    out: Counter[Key] = Counter()
    purpose = str(f.purpose)
    outcome = f.outcome or ""
    decision = str(f.decision) if f.decision else ""
    buckets = {level: bucket_of(f.created_at, level) for level in LEVELS_ALL}
    for level in LEVELS_ALL:
        b = buckets[level]
        out["all", level, b, purpose, "", "o", outcome] += 1
        if decision:
            out["all", level, b, purpose, "", "d", decision] += 1
    keys = {
        "carrier": f.carrier_key or "",
        "country": f.buyer_country or "",
        "channel": f.channel_key or "",
        "agent": str(f.agent_id) if f.agent_id is not None else "",
    }
    answered = f.answered_at is not None
    ended = f.ended_at is not None
    for level in LEVELS:
        b = buckets[level]
        if outcome and decision:
            out["outcome", level, b, purpose, outcome, "d", decision] += 1
        groups = [(dim, key) for dim, key in keys.items()]
        groups += [("sku", sku) for sku in (f.skus or ("",))]
        for dim, key in groups:
            out[dim, level, b, purpose, key, "o", outcome] += 1
            if decision:
                out[dim, level, b, purpose, key, "d", decision] += 1
        for sku in f.skus or ("",):
            out["sku_calls", level, b, purpose, sku, "c", ""] += 1
            if outcome:
                out["sku_outcome", level, b, purpose, outcome, "k", sku] += 1
        counts = ["calls"]
        if answered:
            counts.append("answered")
            answer_us = micros(f.created_at, f.answered_at)  # type: ignore[arg-type]
            out["answer", level, b, purpose, "", "s", str(answer_us // US_PER_S)] += 1
            if ended:
                handle_us = micros(f.answered_at, f.ended_at)  # type: ignore[arg-type]
                counts.append("handle_n")
                out["service", level, b, purpose, "", "c", "handle_us"] += handle_us
                out["handle", level, b, purpose, "", "s", str(handle_us // US_PER_S)] += 1
        if f.end_reason == EndReason.BUYER_LEFT_QUEUE:
            counts.append("left_queue")
        if not outcome and ended:
            counts.append("untagged" if answered else "not_reached")
        for name in counts:
            out["service", level, b, purpose, "", "c", name] += 1
    return out


_CALL = Call.__table__  # type: ignore[attr-defined]
_SKU = CallSku.__table__  # type: ignore[attr-defined]
_ROLLUP = CallRollup.__table__  # type: ignore[attr-defined]
_FACT_COLUMNS = [
    _CALL.c.id,
    _CALL.c.purpose,
    _CALL.c.created_at,
    _CALL.c.answered_at,
    _CALL.c.ended_at,
    _CALL.c.end_reason,
    _CALL.c.agent_id,
    _CALL.c.outcome,
    _CALL.c.decision,
    _CALL.c.carrier_key,
    _CALL.c.channel_key,
    _CALL.c.buyer_country,
]


def _facts(conn: Connection, where: Any) -> Iterator[tuple[str, CallFacts, int | None, int | None]]:
    """(id, facts, stored answer_us, stored handle_us) of the calls ``where`` selects."""
    rows = conn.execute(
        select(*_FACT_COLUMNS, _CALL.c.answer_us, _CALL.c.handle_us).where(where)
    ).all()
    ids = [r[0] for r in rows]
    skus: dict[str, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for call_id, sku in conn.execute(
            select(_SKU.c.call_id, _SKU.c.sku_key).where(_SKU.c.call_id.in_(chunk))
        ):
            skus.setdefault(call_id, []).append(sku)
    for r in rows:
        facts = CallFacts(*r[1:12], skus=tuple(sorted(skus.get(r[0], ()))))  # type: ignore[arg-type]
        yield r[0], facts, r[12], r[13]


def contributions_of(conn: Connection, ids: Iterable[str]) -> Counter[Key]:
    """The roll-up rows the stored calls ``ids`` add now."""
    total: Counter[Key] = Counter()
    ids = list(ids)
    for start in range(0, len(ids), 500):
        for _, facts, _, _ in _facts(conn, _CALL.c.id.in_(ids[start : start + 500])):
            total.update(contribution(facts))
    return total


def apply(conn: Connection, delta: Counter[Key] | dict[Key, int]) -> None:
    """Add ``delta`` to the stored roll-up (rows created as needed, emptied rows deleted)."""
    changes = [(k, n) for k, n in delta.items() if n]
    if not changes:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    names = list(KEY_NAMES)
    stmt = upsert(_ROLLUP)
    stmt = stmt.on_conflict_do_update(
        index_elements=names, set_={"n": _ROLLUP.c.n + stmt.excluded.n}
    )
    conn.execute(stmt, [{**dict(zip(names, k, strict=True)), "n": n} for k, n in changes])
    emptied = [k for k, n in changes if n < 0]
    if emptied:
        cols = [_ROLLUP.c[name] for name in names]
        for k in emptied:
            conn.execute(
                delete(_ROLLUP).where(
                    *(c == v for c, v in zip(cols, k, strict=True)), _ROLLUP.c.n == 0
                )
            )


def _timings(call: Call) -> tuple[int | None, int | None]:
    if call.answered_at is None or call.created_at is None:
        return None, None
    answer = micros(call.created_at, call.answered_at)
    handle = None if call.ended_at is None else micros(call.answered_at, call.ended_at)
    return answer, handle


def _affected(session: OrmSession) -> set[str]:
    ids: set[str] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Call):
            if obj in session.new or obj in session.deleted:
                ids.add(obj.id)
                continue
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in WATCHED):
                ids.add(obj.id)
        elif isinstance(obj, CallSku) and (obj in session.new or obj in session.deleted):
            ids.add(obj.call_id)
    return ids


@event.listens_for(OrmSession, "before_flush")
def _before_flush(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Call):
            answer, handle = _timings(obj)
            if obj.answer_us != answer:
                obj.answer_us = answer
            if obj.handle_us != handle:
                obj.handle_us = handle
    ids = _affected(session)
    if not ids:
        return
    conn = session.connection()
    old = contributions_of(conn, ids)
    session.info.setdefault("rollup_pending", []).append((ids, old))


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _ctx: Any) -> None:
    pending = session.info.pop("rollup_pending", None)
    if not pending:
        return
    conn = session.connection()
    for ids, old in pending:
        delta = contributions_of(conn, ids)
        delta.subtract(old)
        apply(conn, delta)


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop("rollup_pending", None)


def _months(conn: Connection) -> list[datetime]:
    first, last = (
        conn.execute(select(_CALL.c.created_at).order_by(_CALL.c.created_at).limit(1)).scalar(),
        conn.execute(
            select(_CALL.c.created_at).order_by(_CALL.c.created_at.desc()).limit(1)
        ).scalar(),
    )
    if first is None or last is None:
        return []
    months, m = [], bucket_of(first, "m")
    while m <= last:
        months.append(m)
        m = bucket_of(m + timedelta(days=32), "m")
    return months


def rebuild(conn: Connection, dims: Collection[str] | None = None) -> int:
    """Recount the whole roll-up (and every call's ``answer_us`` / ``handle_us``) from the
    rows, month by month; returns how many calls were counted. ``dims``: recount only
    those dimensions' rows (a migration that adds one), the others left as they are."""
    clear = delete(_ROLLUP)
    conn.execute(clear if dims is None else clear.where(_ROLLUP.c.dim.in_(dims)))
    counted = 0
    for month in _months(conn):
        end = bucket_of(month + timedelta(days=32), "m")
        total: Counter[Key] = Counter()
        fixes = []
        where = (_CALL.c.created_at >= month) & (_CALL.c.created_at < end)
        for call_id, facts, answer_us, handle_us in _facts(conn, where):
            total.update(contribution(facts))
            counted += 1
            want = (None, None)
            if facts.answered_at is not None:
                handle = facts.ended_at and micros(facts.answered_at, facts.ended_at)
                want = (micros(facts.created_at, facts.answered_at), handle)
            if (answer_us, handle_us) != want:
                fixes.append({"cid": call_id, "a": want[0], "h": want[1]})
        rows = [
            dict(zip(KEY_NAMES, k, strict=True)) | {"n": n}
            for k, n in total.items()
            if n and (dims is None or k[0] in dims)
        ]
        for start in range(0, len(rows), REBUILD_CHUNK):
            conn.execute(insert(_ROLLUP), rows[start : start + REBUILD_CHUNK])
        if fixes:
            conn.execute(
                update(_CALL)
                .where(_CALL.c.id == bindparam("cid"))
                .values(answer_us=bindparam("a"), handle_us=bindparam("h")),
                fixes,
            )
    return counted


def recount(conn: Connection) -> Counter[Key]:
    """The roll-up counted afresh from the rows (nothing written)."""
    total: Counter[Key] = Counter()
    for month in _months(conn):
        end = bucket_of(month + timedelta(days=32), "m")
        where = (_CALL.c.created_at >= month) & (_CALL.c.created_at < end)
        for _, facts, _, _ in _facts(conn, where):
            total.update(contribution(facts))
    return +total


def verify(conn: Connection) -> int:
    """How many roll-up rows differ from a recount of the rows (0: equal)."""
    want, have = recount(conn), stored(conn)
    return sum(1 for k in set(want) | set(have) if want.get(k, 0) != have.get(k, 0))


def stored(conn: Connection) -> Counter[Key]:
    """The roll-up as stored (rows with n 0 left out)."""
    names = list(KEY_NAMES)
    found: Counter[Key] = Counter()
    for row in conn.execute(select(*(_ROLLUP.c[n] for n in names), _ROLLUP.c.n)):
        if row[-1]:
            found[tuple(row[:-1])] = row[-1]  # type: ignore[index]
    return found
