"""A remote inspection's clips: the agent marks an item's stretch of the call's own
recording (``POST .../inspection/items/{item}/clip`` when they press "Record clip",
``.../clip/stop`` when they stop it or it reaches its maximum). The server takes both
times from the call clock when the request arrives, as a photo's ``t_ms``, so a clip is
always a stretch of the live call; nothing is uploaded. Both sides get ``inspection``."""

from __future__ import annotations

import time
from datetime import datetime
from functools import partial

from fastapi import APIRouter, Path, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from server.api.deps import CallAgent, ClockDep, DbDep
from server.api.sessions.inspection import ERRORS, InspectionOut, report
from server.api.sessions.inspection_live import tell_changed
from server.errors import Conflict
from server.evidence.photos import PHOTO_STATES
from server.inspections import checklist, clips, store
from server.models import Call
from signaling.call import elapsed_ms

router = APIRouter(tags=["inspections"])

CLIP_ERRORS = {
    **ERRORS,
    409: {
        "description": "the call is not live, the item needs no clip, the buyer has decided "
        "it, no clip of it is being recorded, or the inspection is signed off"
    },
    422: {"description": "a clip that would end where it starts"},
}
ItemPath = Path(max_length=64, description="the checklist item's key")


def _live_ms(request: Request, session_id: str) -> int:
    """Now on the call clock of ``session_id``; Conflict when the call is not live."""
    snap = request.app.state.calls.switchboard.call(session_id)
    if snap is None:
        raise Conflict("the call has ended: clips are recorded during a call", code="call_ended")
    if snap.state not in PHOTO_STATES:
        raise Conflict("clips are recorded once an agent has answered", code="not_live")
    return elapsed_ms(snap.created_at, time.time())


@router.post(
    "/api/sessions/{session_id}/inspection/items/{item}/clip",
    status_code=201,
    response_model=InspectionOut,
    responses=CLIP_ERRORS,
)
async def start_clip(
    access: CallAgent, db: DbDep, clock: ClockDep, request: Request, item: str = ItemPath
) -> InspectionOut:
    """The call's agent starts the clip of an item that needs one: from now on the call's
    recording is that item's clip, until `.../clip/stop` (at most 60 s). A new start
    replaces the item's clip until the buyer decides the item."""
    at_ms = _live_ms(request, access.call.id)
    rule = partial(clips.start_clip, key=item, at_ms=at_ms)
    return await run_in_threadpool(_change, request, access.call, db, clock.now(), rule)


@router.post(
    "/api/sessions/{session_id}/inspection/items/{item}/clip/stop",
    response_model=InspectionOut,
    responses=CLIP_ERRORS,
)
async def stop_clip(
    access: CallAgent, db: DbDep, clock: ClockDep, request: Request, item: str = ItemPath
) -> InspectionOut:
    """The call's agent stops the item's clip: it ends now, or 60 s after its start if
    that came first."""
    at_ms = _live_ms(request, access.call.id)
    rule = partial(clips.stop_clip, key=item, at_ms=at_ms)
    return await run_in_threadpool(_change, request, access.call, db, clock.now(), rule)


def _change(
    request: Request, call: Call, db: Session, now: datetime, rule: checklist.Rule
) -> InspectionOut:
    row = store.change(db, call.id, now, rule)
    tell_changed(request, call.id, row.state)
    return report(db, call, row)
