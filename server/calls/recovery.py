"""Restart recovery: what a dead process left is finished before a new one takes calls.

Run at start (``CallDesk.start``), before any socket is accepted: calls a previous
process left open are ended ``server_restart`` at the last moment they are known to have
been going, their unfinished track files are finalized from what is on disk, and the
ended calls that still need a review file are listed for the review jobs.

One node (no Redis) owns the whole database: everything open is a dead process's. With
several nodes, each call records the node it runs on (``Call.node_id``) and recovery is
given the nodes to treat as dead (``nodes``): a node restarting takes its own, and the
lease holder those of the nodes whose heartbeat expired (``nodes_with_open_work`` says
which nodes left anything to finish).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import false, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.models import Call, CallEvent, Recording
from server.recording.rows import UNFINISHED_STATES, finalize_from_disk
from server.storage import Storage
from server.webhooks.outbox import call_data, emit
from signaling.call import EventKind, elapsed_ms
from signaling.vocabulary import ACTIVE_STATES, CallState, EndReason

Nodes = Collection[str | None]  # node ids; None stands for calls with no node recorded


def _on(query: Any, nodes: Nodes | None) -> Any:
    """``query`` (which reads ``Call``) narrowed to the calls of ``nodes`` (None: all)."""
    if nodes is None:
        return query
    named = [n for n in nodes if n is not None]
    where = [col(Call.node_id).in_(named)] if named else []
    if None in nodes:
        where.append(col(Call.node_id).is_(None))
    return query.where(or_(*where)) if where else query.where(false())


def _unfinished_tracks() -> Any:
    return select(Recording.call_id).where(
        Recording.kind == "track", col(Recording.state).in_(UNFINISHED_STATES)
    )


def _unreviewed(db: Session, nodes: Nodes | None) -> list[tuple[str, str | None]]:
    """(call id, node) of the ended calls of ``nodes`` with a ready track and no review
    file made (nor failed)."""
    done = select(Recording.call_id).where(
        Recording.kind == "review", col(Recording.state).in_(("ready", "failed"))
    )
    query = (
        select(Call.id, Call.node_id)
        .join(Recording, Call.id == Recording.call_id)
        .where(
            Recording.kind == "track",
            Recording.state == "ready",
            Call.state == CallState.ENDED,
            col(Call.id).not_in(done),
        )
        .distinct()
    )
    return [(call_id, node) for call_id, node in db.exec(_on(query, nodes)).all()]


def nodes_with_open_work(engine: Engine, *, unreviewed: bool) -> set[str | None]:
    """The nodes (None: no node recorded) that have calls not ended or track files not
    finished, and with ``unreviewed`` also ended calls without their review file (a
    heavier query). Blocking."""
    with Session(engine) as db:
        found = set(db.exec(select(Call.node_id).where(col(Call.state).in_(ACTIVE_STATES))))
        found |= set(db.exec(select(Call.node_id).where(col(Call.id).in_(_unfinished_tracks()))))
        if unreviewed:
            found |= {node for _, node in _unreviewed(db, None)}
        return found


@dataclass(frozen=True)
class Recovered:
    """What one recovery did: the calls it ended, and the ended calls still needing a
    review file (for the review jobs)."""

    ended: list[str]
    unreviewed: list[str]


def recover_interrupted(engine: Engine, storage: Storage, nodes: Nodes | None = None) -> Recovered:
    """After a restart: end the calls a dead process left open (``server_restart``),
    finalize their unfinished track files from disk, and list the ended calls that still
    need a review file; only the calls of ``nodes`` (None: every call). Blocking (call it
    in a thread); a second run changes nothing."""
    with Session(engine, expire_on_commit=False) as db:
        if nodes is None:
            finalize_from_disk(db, storage)
        else:
            theirs = _on(select(Call.id).where(col(Call.id).in_(_unfinished_tracks())), nodes)
            finalize_from_disk(db, storage, db.exec(theirs).all())
        db.commit()

        open_calls = db.exec(_on(select(Call).where(col(Call.state).in_(ACTIVE_STATES)), nodes))
        ended = []
        for call in open_calls.all():
            _end_restarted(db, call)
            ended.append(call.id)
        db.commit()
        return Recovered(sorted(ended), sorted(c for c, _ in _unreviewed(db, nodes)))


def _end_restarted(db: Session, call: Call) -> None:
    """End ``call`` with ``server_restart`` at the last moment it is known to have been
    going: its last event or the end of its latest recording (else now)."""
    last = db.exec(
        select(CallEvent.at).where(CallEvent.call_id == call.id).order_by(CallEvent.at.desc())
    ).first()
    moments = [m for m in (last,) if m is not None]
    for row in db.exec(
        select(Recording).where(Recording.call_id == call.id, Recording.kind == "track")
    ):
        moments.append(
            call.created_at + timedelta(milliseconds=row.start_offset_ms + (row.duration_ms or 0))
        )
    ended_at = max(moments) if moments else datetime.now(UTC)
    call.state = CallState.ENDED
    call.ended_at = ended_at
    call.end_reason = EndReason.SERVER_RESTART
    db.add(call)
    db.add(
        CallEvent(
            call_id=call.id,
            kind=EventKind.ENDED,
            t_ms=elapsed_ms(call.created_at, ended_at),
            at=ended_at,
            data={"reason": EndReason.SERVER_RESTART.value},
        )
    )
    emit(db, "call.ended", call_data(call), ended_at)
