"""A call's remote inspection: the agent starts it and asks for a photo per item
(``POST .../inspection``, ``POST .../inspection/captures``: a one-use capture id the
buyer's upload carries), staff read the report as JSON or PDF (``GET .../inspection``,
``GET .../inspection.pdf``), and the buyer, from their link, reads it, decides each item
and signs off (``/api/buyer/sessions/{session_id}/inspection...``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from server.api.deps import (
    BuyerLink,
    CallAgent,
    CallReader,
    ClockDep,
    DbDep,
    PhotoId,
    SessionId,
    client_address,
)
from server.api.sessions.files import RangeFileResponse, evidence_file
from server.api.sessions.inspection_live import tell_changed
from server.api.sessions.photos import PHOTO_BODY, PHOTO_UPLOAD_ERRORS, take_live_photo
from server.errors import Conflict, NotFound
from server.evidence import photos
from server.evidence.bundle import call_media_sha256
from server.evidence.images import IMAGE_TYPES
from server.evidence.recordings import recording_start_ms
from server.inspections import checklist, store
from server.inspections.report_pdf import inspection_pdf
from server.models import Call, Inspection, Photo
from server.models.evidence import PhotoPublic
from server.models.text import LineStr

router = APIRouter(tags=["inspections"])

ERRORS = {
    404: {"description": "no such call, item or capture, or the call has no inspection"},
    409: {"description": "a step out of order (items open, photos or clip missing, signed off)"},
    422: {"description": "a reject without a reason, a sign-off without a name"},
}


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: str = Field(default="default", max_length=64, description="a checklist template")
    items: list[str] | None = Field(
        default=None, max_length=50, description="only these of its items (null: all)"
    )


class CaptureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: str = Field(max_length=64, description="the item the next photo is for")


class CaptureOut(BaseModel):
    capture_id: str = Field(description="one use: send it with the photo upload")
    item: str


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approved", "rejected"]
    reason: str | None = Field(default=None, max_length=checklist.REASON_MAX_CHARS)


class SignOffIn(DecisionIn):
    name: LineStr = Field(max_length=checklist.NAME_MAX_CHARS, description="the buyer's name")


class ClipOut(BaseModel):
    start_ms: int = Field(description="where the clip starts on the call clock (as `t_ms`)")
    end_ms: int | None = Field(description="where it ends; null while it is being recorded")


class ItemOut(BaseModel):
    key: str
    label: str = Field(description="in the call's language")
    labels: dict[str, str] = Field(description="every buyer locale's label")
    photos_required: int
    clip_required: bool = Field(description="whether the item needs a clip of the recording")
    clip: ClipOut | None = Field(description="the item's stretch of the call's recording")
    state: Literal["pending", "shot", "approved", "rejected"]
    photo_ids: list[int]
    photo_urls: list[str]
    reason: str | None
    decided_at: datetime | None


class SignOffOut(BaseModel):
    decision: Literal["approved", "rejected"]
    reason: str | None
    name: str
    at: datetime


class InspectionOut(BaseModel):
    session_id: str
    order_ref: str
    locale: str | None
    buyer_timezone: str | None
    template: str
    created_at: datetime
    items: list[ItemOut]
    signoff: SignOffOut | None
    pdf_url: str
    recording_start_ms: int | None = Field(
        description="where the call's recording starts on the call clock (null: nothing "
        "recorded yet); a clip's time in the recording is its time minus this"
    )
    evidence_sha256: str | None = Field(
        description="the `media_sha256` of the call's evidence bundle (GET "
        "/api/sessions/{id}/bundle): the SHA-256 over its recordings' and photos' names and "
        "hashes; null while a recording is being finished, or with nothing recorded"
    )


STAFF = "/api/sessions"
BUYER = "/api/buyer/sessions"


def report(db: Session, call: Call, row: Inspection, base: str = STAFF) -> InspectionOut:
    """The report of ``row``, the inspection of ``call`` (never its open capture ids);
    its photo and PDF addresses under ``base``: the staff's routes, or the buyer's."""
    state = row.state
    photo_base = (
        f"{base}/{call.id}/photos" if base == STAFF else f"{base}/{call.id}/inspection/photos"
    )
    return InspectionOut(
        session_id=call.id,
        order_ref=call.order_ref,
        locale=call.locale,
        buyer_timezone=call.buyer_timezone,
        template=row.template,
        created_at=row.created_at,
        items=[
            ItemOut(
                key=item["key"],
                label=checklist.label(item, call.locale),
                labels=item["label"],
                photos_required=item["photos_required"],
                clip_required=item.get("clip_required", False),
                clip=item.get("clip"),
                state=item["state"],
                photo_ids=item["photo_ids"],
                photo_urls=[f"{photo_base}/{p}" for p in item["photo_ids"]],
                reason=item["reason"],
                decided_at=item["decided_at"],
            )
            for item in state["items"]
        ],
        signoff=state["signoff"],
        pdf_url=f"{base}/{call.id}/inspection.pdf",
        recording_start_ms=recording_start_ms(db, call.id),
        evidence_sha256=call_media_sha256(db, call.id),
    )


@router.post(
    "/api/sessions/{session_id}/inspection",
    status_code=201,
    response_model=InspectionOut,
    responses=ERRORS,
)
def start_inspection(
    body: StartIn, access: CallAgent, db: DbDep, clock: ClockDep, request: Request
) -> InspectionOut:
    """The call's agent starts its inspection with a checklist template (a call of
    purpose `remote_inspection`, once). Both sides get `inspection`."""
    row = store.start(db, access.call, body.template, clock.now(), body.items)
    tell_changed(request, access.call.id, row.state)
    return report(db, access.call, row)


@router.get("/api/sessions/{session_id}/inspection", response_model=InspectionOut, responses=ERRORS)
def get_inspection(access: CallReader, db: DbDep) -> InspectionOut:
    """The inspection report: items, photos per item, decisions, sign-off."""
    return report(db, access.call, store.get(db, access.call.id))


@router.post(
    "/api/sessions/{session_id}/inspection/captures",
    status_code=201,
    response_model=CaptureOut,
    responses=ERRORS,
)
def open_capture(body: CaptureIn, access: CallAgent, db: DbDep, clock: ClockDep) -> CaptureOut:
    """A one-use capture id for an item: the buyer's next upload with
    `?capture_id=` is that item's photo."""
    captured: list[str] = []

    def rule(state: checklist.State) -> checklist.State:
        new, capture_id = checklist.open_capture(state, body.item)
        captured.append(capture_id)
        return new

    store.change(db, access.call.id, clock.now(), rule)
    return CaptureOut(capture_id=captured[0], item=body.item)


@router.get(
    "/api/sessions/{session_id}/inspection.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the report"}, **ERRORS},
)
async def inspection_pdf_file(access: CallReader, request: Request) -> Response:
    """The inspection report as a PDF, with the photos as thumbnails."""
    return await _pdf_response(request, access.call.id)


async def _pdf_response(request: Request, call_id: str) -> Response:
    data = await run_in_threadpool(_pdf, request, call_id)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="inspection-{call_id}.pdf"'},
    )


def _pdf(request: Request, call_id: str) -> bytes:
    storage = request.app.state.storage
    with Session(request.app.state.engine) as db:
        call = db.get(Call, call_id)
        assert call is not None
        body = report(db, call, store.get(db, call_id))
        paths: dict[int, Path] = {}
        for item in body.items:
            for photo_id in item.photo_ids:
                photo = db.get(Photo, photo_id)
                if photo is not None and photo.call_id == call_id:
                    paths[photo_id] = storage.local_path(photo.storage_key)
    return inspection_pdf(body.model_dump(mode="json"), paths, call.buyer_timezone)


def _buyer_call(db: Session, session_id: str, link_id: int | None) -> Call:
    call = db.get(Call, session_id)
    if call is None or call.link_id != link_id:
        raise NotFound(f'no call "{session_id}" on this link')
    return call


@router.get(
    "/api/buyer/sessions/{session_id}/inspection",
    response_model=InspectionOut,
    responses=ERRORS,
)
def buyer_inspection(session_id: SessionId, link: BuyerLink, db: DbDep) -> InspectionOut:
    """The buyer's view of their call's inspection (with their call cookie)."""
    call = _buyer_call(db, session_id, link.id)
    return report(db, call, store.get(db, call.id), BUYER)


@router.post(
    "/api/buyer/sessions/{session_id}/inspection/items/{item}/decision",
    response_model=InspectionOut,
    responses=ERRORS,
)
def decide_item(
    session_id: SessionId,
    item: str,
    body: DecisionIn,
    link: BuyerLink,
    db: DbDep,
    clock: ClockDep,
    request: Request,
) -> InspectionOut:
    """The buyer approves or rejects an item (a reason is required to reject). Both
    sides get `inspection`."""
    call = _buyer_call(db, session_id, link.id)
    now = clock.now()
    row = store.change(
        db, call.id, now, lambda s: checklist.decide(s, item, body.decision, body.reason, now)
    )
    tell_changed(request, call.id, row.state)
    return report(db, call, row, BUYER)


@router.post(
    "/api/buyer/sessions/{session_id}/inspection/signoff",
    response_model=InspectionOut,
    responses=ERRORS,
)
def sign_off(
    session_id: SessionId,
    body: SignOffIn,
    link: BuyerLink,
    db: DbDep,
    clock: ClockDep,
    request: Request,
) -> InspectionOut:
    """The buyer signs the inspection off once every item is decided: approve, or
    reject with a reason, with their typed name; after that nothing changes."""
    call = _buyer_call(db, session_id, link.id)
    now = clock.now()
    row = store.change(
        db,
        call.id,
        now,
        lambda s: checklist.sign_off(s, body.decision, body.reason, body.name, now),
    )
    tell_changed(request, call.id, row.state)
    return report(db, call, row, BUYER)


@router.get(
    "/api/buyer/sessions/{session_id}/inspection.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the report"}, **ERRORS},
)
async def buyer_inspection_pdf(
    session_id: SessionId, link: BuyerLink, request: Request
) -> Response:
    """The buyer's copy of the inspection report as a PDF (with their call cookie)."""
    await run_in_threadpool(_buyer_report_exists, request, session_id, link.id)
    return await _pdf_response(request, session_id)


def _buyer_report_exists(request: Request, session_id: str, link_id: int | None) -> None:
    with Session(request.app.state.engine) as db:
        store.get(db, _buyer_call(db, session_id, link_id).id)


@router.get(
    "/api/buyer/sessions/{session_id}/inspection/photos/{photo_id}",
    response_class=RangeFileResponse,
    responses={
        200: {
            "description": "the photo (JPEG, PNG or WebP)",
            "content": {media: {} for media in IMAGE_TYPES},
        },
        404: ERRORS[404],
    },
)
def buyer_inspection_photo(
    session_id: SessionId, photo_id: PhotoId, link: BuyerLink, request: Request, db: DbDep
) -> Response:
    """A photo of one of the inspection's items, for the buyer of the call (only the
    photos tied to its items; 404 for any other)."""
    call = _buyer_call(db, session_id, link.id)
    state = store.get(db, call.id).state
    if not any(photo_id in item["photo_ids"] for item in state["items"]):
        raise NotFound(f"no photo {photo_id} in this inspection")
    photo = photos.get_photo(db, call.id, photo_id)
    return evidence_file(request.app.state.storage, photo.storage_key, photo.content_type)


@router.post(
    "/api/sessions/{session_id}/inspection/photos",
    status_code=201,
    response_model=PhotoPublic,
    openapi_extra=PHOTO_BODY,
    responses={
        **ERRORS,
        409: {"description": "the call is not live, or the inspection is signed off"},
        **PHOTO_UPLOAD_ERRORS,
    },
)
async def agent_photo(
    access: CallAgent,
    request: Request,
    clock: ClockDep,
    capture_id: str = Query(
        max_length=64,
        pattern=r"^[0-9a-f]+$",
        description="the item's one-use capture id (`POST .../inspection/captures`)",
    ),
) -> Response:
    """The call's agent uploads a photo of the goods from their own camera for the item
    of `capture_id` (the goods are on the agent's side in an inspection). Stored as a
    photo of the call and tied to that item; both sides get `photo` and `inspection`."""
    session_id = access.call.id
    request.app.state.rate_limits.photo_upload(session_id, client_address(request))
    snap = request.app.state.calls.switchboard.call(session_id)
    if snap is None:
        raise Conflict("the call has ended: photos are taken during a call", code="call_ended")
    return await take_live_photo(request, snap, clock.now(), capture_id, check_agent_capture)


def check_agent_capture(request: Request, session_id: str, capture_id: str) -> None:
    """Refuse (NotFound, Conflict) a capture id ``session_id``'s inspection would."""
    with Session(request.app.state.engine) as db:
        checklist.check_capture(store.get(db, session_id).state, capture_id)
