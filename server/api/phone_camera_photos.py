"""The photos the agent's phone takes for an inspection (the phone is the call's camera).

``POST /api/phone-camera/photos?capture_id=``: the phone's camera page uploads the photo
the agent asked of it (``camera_take_photo``), with the photo key its socket got in
``camera_welcome`` in the ``X-Camera-Photo-Key`` header (never in the URL, so no access
log holds it). The key is good while that socket is the call's phone; unknown, dead and
other phones' keys are refused alike. Stored as the agent's own photo of the item would
be (``take_live_photo``), rate limited like every photo upload, audited.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from server.api.deps import ClockDep, client_address
from server.api.sessions.inspection import check_agent_capture
from server.api.sessions.photos import PHOTO_BODY, PHOTO_UPLOAD_ERRORS, take_live_photo
from server.calls.phone_camera import PhotoPhone
from server.errors import NotSignedIn
from server.evidence import audit
from server.models.evidence import PhotoPublic

router = APIRouter(tags=["phone camera"])

PHOTO_KEY_HEADER = "X-Camera-Photo-Key"
MAX_PHOTO_KEY_CHARS = 128  # a key is 43 characters; anything longer is no key of ours


class PhotoKeyRefused(NotSignedIn):
    """No photo key, or one that is not a connected phone's: one answer for all."""

    code = "camera_key_invalid"


@router.post(
    "/api/phone-camera/photos",
    status_code=201,
    response_model=PhotoPublic,
    openapi_extra=PHOTO_BODY,
    responses={
        401: {"description": "no photo key, or not the key of a phone that is a call's camera"},
        404: {"description": "a capture id that is not this call's inspection's, or used"},
        409: {"description": "the call is not live, or the inspection is signed off"},
        **PHOTO_UPLOAD_ERRORS,
    },
)
async def phone_photo(
    request: Request,
    clock: ClockDep,
    photo_key: Annotated[
        str | None,
        Header(
            alias=PHOTO_KEY_HEADER,
            description="the phone's photo key, from its `camera_welcome` message",
        ),
    ] = None,
    capture_id: str = Query(
        max_length=64,
        pattern=r"^[0-9a-f]+$",
        description="the item's one-use capture id, from the phone's `camera_take_photo`",
    ),
) -> Response:
    """The agent's phone uploads the photo of the inspection item of `capture_id`, taken
    at its camera's full resolution. Stored as a photo of the call and tied to that
    item; both sides get `photo` and `inspection`, as for the agent's own upload."""
    cameras = request.app.state.calls.phone_cameras
    phone = None
    if photo_key and len(photo_key) <= MAX_PHOTO_KEY_CHARS:
        phone = cameras.photo_phone(photo_key)
    if phone is None:
        raise PhotoKeyRefused("This phone is not the camera of a call: connect it again")
    session_id = phone.grant.session_id
    request.app.state.rate_limits.photo_upload(session_id, client_address(request))
    snap = request.app.state.calls.switchboard.call(session_id)
    if snap is None:
        raise PhotoKeyRefused("This phone is not the camera of a call: connect it again")
    answer = await take_live_photo(request, snap, clock.now(), capture_id, check_agent_capture)
    photo_id = json.loads(bytes(answer.body))["id"]
    await run_in_threadpool(_audit, request, phone, photo_id, clock.now())
    return answer


def _audit(request: Request, phone: PhotoPhone, photo_id: int, now: datetime) -> None:
    with Session(request.app.state.engine) as db:
        audit.action_done(
            db,
            audit.AUDIT_PHONE_CAMERA_PHOTO,
            now,
            user_id=phone.grant.agent_id,
            call_id=phone.grant.session_id,
            detail={"photo_id": photo_id},
        )
        db.commit()
