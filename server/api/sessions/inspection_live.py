"""Telling a live call's two sides that its inspection changed: the ``inspection``
signaling message (its items' states, photos and clips, the sign-off's decision), sent after
each committed change. A call no longer active is told nothing; the pages read the
report from their own route then."""

from __future__ import annotations

from typing import Any

import anyio.from_thread
from fastapi import Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from server.inspections import store
from signaling import InspectionChanged, InspectionItemState


def _summary(state: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    items = [
        {
            "key": i["key"],
            "state": i["state"],
            "photo_ids": list(i["photo_ids"]),
            "clip": dict(i["clip"]) if i.get("clip") else None,
        }
        for i in state["items"]
    ]
    signoff = state["signoff"]["decision"] if state.get("signoff") else None
    return items, signoff


def tell_changed(request: Request, session_id: str, state: dict[str, Any]) -> None:
    """From a route run in a worker thread: both sides get the new ``state``."""
    items, signoff = _summary(state)
    anyio.from_thread.run(request.app.state.calls.inspection_changed, session_id, items, signoff)


async def tell_inspection(request: Request, session_id: str) -> None:
    """From the event loop: read the inspection of ``session_id`` and tell both sides."""

    def read() -> dict[str, Any] | None:
        with Session(request.app.state.engine) as db:
            row = store.find(db, session_id)
            return None if row is None else row.state

    state = await run_in_threadpool(read)
    if state is not None:
        items, signoff = _summary(state)
        await request.app.state.calls.inspection_changed(session_id, items, signoff)


async def tell_joined(app: Any, conn_id: str, session_id: str) -> None:
    """A page joined call ``session_id`` (``conn_id``): if its inspection has started, it
    gets the latest ``inspection``, as the call's other state reaches a joining page."""

    def read() -> dict[str, Any] | None:
        with Session(app.state.engine) as db:
            row = store.find(db, session_id)
            return None if row is None else row.state

    state = await run_in_threadpool(read)
    if state is None:
        return
    items, signoff = _summary(state)
    message = InspectionChanged(
        session_id=session_id,
        items=[InspectionItemState(**item) for item in items],
        signoff=signoff,
    )
    app.state.calls.send(conn_id, message)
