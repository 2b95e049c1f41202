"""A call's photos: the buyer's page uploads them during the call
(``POST /api/sessions/{session_id}/photos``), staff view them (``GET .../photos/{photo_id}``,
audited) and the call's agent captions them (``PATCH .../photos/{photo_id}``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from server.api.deps import (
    BuyerLink,
    CallAgent,
    ClockDep,
    DbDep,
    EvidenceViewer,
    PhotoId,
    SessionId,
    client_address,
)
from server.api.sessions.files import RangeFileResponse, evidence_file
from server.api.sessions.inspection_live import tell_inspection
from server.calls.ids import wire_id
from server.errors import Conflict, NotFound
from server.evidence import audit, photos
from server.evidence.images import IMAGE_TYPES
from server.inspections import checklist, store
from server.models import Call
from server.models.evidence import CAPTION_MAX_CHARS, Photo, PhotoPublic
from server.models.text import LineStr
from signaling.call import CallSnapshot, elapsed_ms

router = APIRouter(tags=["sessions"])


class CaptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    caption: LineStr | None = Field(max_length=CAPTION_MAX_CHARS, description="null removes it")


@router.get(
    "/api/sessions/{session_id}/photos/{photo_id}",
    response_class=RangeFileResponse,
    responses={
        200: {
            "description": "the photo (JPEG, PNG or WebP)",
            "content": {media: {} for media in IMAGE_TYPES},
        }
    },
)
def get_photo(
    photo_id: PhotoId, access: EvidenceViewer, request: Request, db: DbDep, clock: ClockDep
) -> Response:
    """A photo of the call. Supervisors, admins, the call's own agent and API keys with
    `recordings:read`; 404 for anyone else. Every view is audited."""
    photo = photos.get_photo(db, access.call.id, photo_id)
    response = evidence_file(request.app.state.storage, photo.storage_key, photo.content_type)
    audit.photo_viewed(
        db,
        audit.Viewer(access.principal.user_id, access.principal.api_key_id),
        access.call.id,
        photo_id,
        clock.now(),
    )
    return response


PHOTO_BODY = {
    "requestBody": {
        "required": True,
        "description": f"the image itself (at most {photos.PHOTO_MAX_MB} MB); its type is "
        "read from its content: JPEG, PNG or WebP",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}} for media in IMAGE_TYPES
        },
    }
}


# What every photo upload can answer whatever the route: too large, not an image, too often.
PHOTO_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": f"over {photos.PHOTO_MAX_MB} MB"},
    415: {"description": "not a JPEG, PNG or WebP image, or one of too many pixels"},
    429: {"description": "too many uploads for this call, or from this address"},
}


@router.post(
    "/api/sessions/{session_id}/photos",
    status_code=201,
    response_model=PhotoPublic,
    openapi_extra=PHOTO_BODY,
    responses={
        404: {"description": "not a call of this buyer's link"},
        409: {"description": "the call is not live (not answered yet, or ended)"},
        **PHOTO_UPLOAD_ERRORS,
    },
)
async def upload_photo(
    session_id: SessionId,
    link: BuyerLink,
    request: Request,
    clock: ClockDep,
    capture_id: str | None = Query(
        default=None,
        max_length=64,
        pattern=r"^[0-9a-f]+$",
        description="an inspection's one-use capture id: the photo is that item's",
    ),
) -> Response:
    """The buyer's page uploads a photo of its live call (with its call cookie), after
    the agent asked for one (`take_photo`). Both pages then get a `photo` message. With
    `capture_id` the photo is tied to that inspection item (404 for a capture id that is
    not this call's, or one already used)."""
    request.app.state.rate_limits.photo_upload(session_id, client_address(request))
    desk = request.app.state.calls
    snap = desk.switchboard.call(session_id)
    if snap is None or snap.link_id != wire_id(link.id):
        ended = await run_in_threadpool(_own_call_exists, request, session_id, link.id)
        if not ended:
            raise NotFound(f'no call "{session_id}" on this link')
        raise Conflict("the call has ended: photos are taken during a call", code="call_ended")
    return await take_live_photo(request, snap, clock.now(), capture_id, check_capture)


async def take_live_photo(
    request: Request,
    snap: CallSnapshot,
    now: datetime,
    capture_id: str | None,
    check: Callable[[Request, str, str], None],
) -> JSONResponse:
    """Store the request's photo as one of the live call ``snap`` (the buyer's or, in an
    inspection, the agent's): refused (Conflict ``not_live``) before an agent answered;
    with ``capture_id`` first checked by ``check`` (off the loop) and tied to that
    inspection item. Both sides get ``photo``, and ``inspection`` for a tied one."""
    if snap.state not in photos.PHOTO_STATES:
        raise Conflict("photos can be taken once an agent has answered", code="not_live")
    session_id = snap.session_id
    data = await read_photo_body(request)
    if capture_id is not None:
        await run_in_threadpool(check, request, session_id, capture_id)
    t_ms = elapsed_ms(snap.created_at, time.time())
    stored = await run_in_threadpool(
        store_call_photo, request, session_id, data, t_ms, now, capture_id
    )
    await request.app.state.calls.photo_added(
        session_id, stored.id, stored.width, stored.height, stored.t_ms
    )
    if capture_id is not None:
        await tell_inspection(request, session_id)
    return JSONResponse(PhotoPublic.from_row(stored).model_dump(mode="json"), 201)


async def read_photo_body(request: Request) -> bytes:
    """The request's body, refused (PhotoTooLarge) past the photo size cap, declared or
    streamed."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > photos.PHOTO_MAX_BYTES:
        raise photos.PhotoTooLarge(photos.too_large_message(int(declared)))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > photos.PHOTO_MAX_BYTES:
            raise photos.PhotoTooLarge(photos.too_large_message())
        chunks.append(chunk)
    return b"".join(chunks)


def _own_call_exists(request: Request, session_id: str, link_id: int | None) -> bool:
    """Whether ``session_id`` is a stored call of link ``link_id`` (one that has ended,
    when the switchboard no longer has it)."""
    with Session(request.app.state.engine) as db:
        call = db.get(Call, session_id)
        return call is not None and call.link_id == link_id


def check_capture(request: Request, session_id: str, capture_id: str) -> None:
    """Refuse (NotFound, Conflict) a capture id ``session_id``'s inspection would."""
    with Session(request.app.state.engine) as db:
        inspection = store.find(db, session_id)
        if inspection is None:
            raise NotFound("this call has no inspection", code="unknown_capture")
        checklist.check_capture(inspection.state, capture_id)


def store_call_photo(
    request: Request,
    session_id: str,
    data: bytes,
    t_ms: int,
    now: datetime,
    capture_id: str | None = None,
) -> Photo:
    """Store ``data`` as a photo of ``session_id`` taken ``t_ms`` into the call; with
    ``capture_id``, tied to that inspection item in the same step."""
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        photo = photos.store_photo(
            db,
            request.app.state.storage,
            session_id,
            data,
            t_ms=t_ms,
            now=now,
            max_photos=request.app.state.settings.max_photos_per_call,
        )
        if capture_id is not None:
            assert photo.id is not None
            photo_id = photo.id
            store.change(
                db, session_id, now, lambda s: checklist.tie_photo(s, capture_id, photo_id)
            )
        return photo


@router.patch("/api/sessions/{session_id}/photos/{photo_id}", response_model=PhotoPublic)
def caption_photo(photo_id: PhotoId, body: CaptionIn, access: CallAgent, db: DbDep) -> PhotoPublic:
    """Set (or with null remove) a photo's caption: the call's agent, or an admin."""
    return PhotoPublic.from_row(photos.set_caption(db, access.call.id, photo_id, body.caption))
