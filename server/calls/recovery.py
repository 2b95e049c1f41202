"""Restart recovery: what a dead process left is finished before a new one takes calls.

Run once at start (``CallDesk.start``), before any socket is accepted: calls a previous
process left open are ended ``server_restart`` at the last moment they are known to have
been going, their unfinished track files are finalized from what is on disk, and the
ended calls that still need a review file are listed for the review jobs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from server.models import Call, CallEvent, Recording
from server.recording.rows import finalize_from_disk
from server.storage import Storage
from server.webhooks.outbox import call_data, emit
from signaling.call import EventKind, elapsed_ms
from signaling.vocabulary import ACTIVE_STATES, CallState, EndReason


def recover_interrupted(engine: Engine, storage: Storage) -> list[str]:
    """After a restart: end the calls a dead process left open (``server_restart``),
    finalize their unfinished track files from disk, and return the ended calls that
    still need a review file. Blocking (call it in a thread); a second run changes
    nothing."""
    with Session(engine, expire_on_commit=False) as db:
        finalize_from_disk(db, storage)
        db.commit()

        for call in db.exec(select(Call).where(Call.state.in_(ACTIVE_STATES))).all():
            _end_restarted(db, call)
        db.commit()

        done = {
            r.call_id
            for r in db.exec(
                select(Recording).where(
                    Recording.kind == "review", Recording.state.in_(("ready", "failed"))
                )
            )
        }
        ready = db.exec(
            select(Recording.call_id)
            .join(Call, Call.id == Recording.call_id)
            .where(
                Recording.kind == "track", Recording.state == "ready", Call.state == CallState.ENDED
            )
            .distinct()
        ).all()
        return sorted(set(ready) - done)


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
