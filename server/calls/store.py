"""The call store: every database write the call desk makes, in the order it was made,
off the event loop.

One task takes :class:`_Batch` es from one queue; each batch is a list of operations
(``StoreOp``: a function of a database session) run in one transaction. A call's changes
(``CallEvent`` from the switchboard: upsert the call row, append the timeline event; at
the end of an inspection call, end a clip still being recorded) and
the recording rows the relay workers report are both turned into operations, so a row
that refers to a call is always written after the call itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.calls.ids import db_id
from server.inspections import store as inspections
from server.models import Call, CallEvent, CallSku, Link
from server.models.order import order_keys
from server.recording.rows import StoreOp
from server.webhooks.outbox import call_data, emit
from signaling import CallEvent as CallChange
from signaling.call import EventKind
from signaling.vocabulary import CallState, Purpose

# the timeline events that are webhook events (written with them, in one transaction)
WEBHOOK_EVENTS = {
    EventKind.CREATED: "call.waiting",
    EventKind.ANSWERED: "call.live",
    EventKind.ENDED: "call.ended",
}

log = logging.getLogger("showdesk.calls")


@dataclass
class _Batch:
    ops: list[StoreOp]
    done: asyncio.Future[None] | None  # None: nobody waits for it


def _dt(epoch_s: float | None) -> datetime | None:
    return None if epoch_s is None else datetime.fromtimestamp(epoch_s, UTC)


def call_change_op(change: CallChange, node_id: str | None = None) -> StoreOp:
    """The write of one switchboard ``CallEvent``: the call row as the snapshot has it
    (created on its first event, on node ``node_id``), the event on its timeline, and its
    webhook event (``WEBHOOK_EVENTS``) in the outbox."""

    def op(db: Session) -> None:
        snap, event = change.call, change.event
        row = db.get(Call, snap.session_id)
        if row is None:
            row = Call(
                id=snap.session_id,
                link_id=db_id(snap.link_id),
                order_ref=snap.order_ref,
                purpose=snap.purpose,
                created_at=_dt(snap.created_at),
                state=snap.state,
                node_id=node_id,
            )
            _copy_order(db, row)
        row.locale = snap.locale or None
        row.buyer_name = snap.buyer_name or None
        row.consent_decision = snap.consent_decision
        row.consent_at = _dt(snap.created_at) if snap.consent_decision else None
        row.consent_locale = snap.consent_locale
        row.consent_version = snap.consent_version
        row.buyer_timezone = snap.buyer_timezone
        row.state = snap.state
        row.agent_id = db_id(snap.agent_id) if snap.agent_id else None
        row.answered_at = _dt(snap.answered_at)
        row.ended_at = _dt(snap.ended_at)
        row.end_reason = snap.end_reason
        db.add(row)
        at = _dt(snap.created_at + event.t_ms / 1000)
        assert at is not None
        db.add(
            CallEvent(
                call_id=snap.session_id,
                kind=event.kind,
                t_ms=event.t_ms,
                at=at,
                data=dict(event.data),
            )
        )
        if event.kind == EventKind.ENDED and snap.purpose == Purpose.REMOTE_INSPECTION:
            inspections.call_ended(db, snap.session_id, event.t_ms, at)
        webhook_event = WEBHOOK_EVENTS.get(event.kind)
        if webhook_event == "call.waiting" and row.state != CallState.WAITING:
            webhook_event = None  # a declined consent: nobody waits
        if webhook_event is not None:
            emit(db, webhook_event, call_data(row), at)

    return op


def _copy_order(db: Session, row: Call) -> None:
    """Give a new call its link's order as it is now, with the review list's filter keys
    (the call keeps it when the link changes)."""
    link = db.get(Link, row.link_id)
    if link is None or not link.order:
        return
    keys = order_keys(link.order)
    row.order = link.order
    row.carrier_key, row.channel_key = keys.carrier_key, keys.channel_key
    row.buyer_country = keys.buyer_country
    db.add(row)
    for sku in keys.skus:
        db.add(CallSku(call_id=row.id, sku_key=sku))


class CallStore:
    """Runs database operations in order in one background task (see the module docstring).

    Before :meth:`start` and after :meth:`stop`, :meth:`write` runs its operation at once
    (in a thread) and :meth:`queue` refuses with a logged error.
    """

    def __init__(self, engine: Engine, node_id: str | None = None) -> None:
        """``node_id``: the node the calls it stores run on (``Call.node_id``)."""
        self._engine = engine
        self._node_id = node_id
        self._queue: asyncio.Queue[_Batch] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run_forever(), name="calls-store")

    async def stop(self) -> None:
        """Write everything queued, then stop the task."""
        if self._queue is not None:
            await self._queue.join()
        if self._task is not None:
            self._task.cancel()
        self._queue = self._task = None

    def calls_changed(self, changes: Iterable[CallChange]) -> None:
        """Store the switchboard's call changes (one transaction); nobody waits."""
        ops = [call_change_op(change, self._node_id) for change in changes]
        if ops and self._queue is not None:
            self._queue.put_nowait(_Batch(ops, None))

    def queue(self, op: StoreOp) -> None:
        """Run ``op`` after every change queued before it; nobody waits."""
        if self._queue is None:
            log.error("a recording row change arrived while the call desk is stopped")
            return
        self._queue.put_nowait(_Batch([op], None))

    async def write(self, op: StoreOp) -> None:
        """Run ``op`` after every change queued before it, and wait until it is committed
        (its error, if any, is raised here)."""
        if self._queue is None:  # not started (or stopped): write directly
            await asyncio.to_thread(self._run, [op])
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Batch([op], done))
        await done

    async def caught_up(self) -> None:
        """Return once every change queued before this call is committed."""
        await self.write(lambda db: None)

    async def _run_forever(self) -> None:
        queue = self._queue
        assert queue is not None
        while True:
            batch = await queue.get()
            error: BaseException | None = None
            try:
                await asyncio.to_thread(self._run, batch.ops)
            except Exception as exc:
                error = exc
                log.exception("storing call changes failed")
            finally:
                if batch.done is not None and not batch.done.done():
                    if error is None:
                        batch.done.set_result(None)
                    else:
                        batch.done.set_exception(error)
                queue.task_done()

    def _run(self, ops: list[StoreOp]) -> None:
        with Session(self._engine, expire_on_commit=False) as db:
            for op in ops:
                op(db)
            db.commit()
