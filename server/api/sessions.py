"""Calls for review: ``/api/sessions`` (list, one call, its recordings and photos, the
verdict and its review) and ``/api/audit`` (who viewed which recording or photo)."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import MalformedRangeHeader

from server.api.deps import (
    DB_ID_MAX,
    Admin,
    BuyerLink,
    CallAccess,
    CallAgent,
    CallReader,
    CallReviewer,
    ClockDep,
    DbDep,
    EvidenceViewer,
    PhotoId,
    RecordingId,
    Reviewer,
    SessionId,
)
from server.api.errors import error_body
from server.errors import Conflict, NotFound
from server.evidence import photos, review_list, verdicts
from server.models import Call
from server.models.call import OUTCOME_NOTE_MAX_CHARS, OVERRIDE_REASON_MAX_CHARS
from server.models.evidence import CAPTION_MAX_CHARS, Photo, Recording
from server.models.link import ORDER_REF_MAX_CHARS
from server.models.text import LineStr, ParagraphStr
from signaling.call import elapsed_ms
from signaling.vocabulary import Decision, Outcome, Purpose

router = APIRouter(tags=["sessions"])

PER_PAGE_MAX = 100
PAGE_MAX = 100_000
LIVE_STATES = ("live", "reconnecting")
_RANGE_START = re.compile(r"^\s*bytes\s*=\s*(\d+)-")
FILE_CACHE_CONTROL = "private, no-store"  # evidence never lands in shared or disk caches


# ------------------------------------------------------------------ files with ranges


class RangeFileResponse(FileResponse):
    """A file answered with HTTP range support: one range gives 206 with Content-Range,
    a range starting past the end 416, and a malformed Range header is ignored (the whole
    file, 200), as RFC 9110 section 14.2 says (Starlette's own answer would be 400)."""

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        """As FileResponse, but a 416 carries the JSON error body like every other error."""
        body = json.dumps(
            error_body("range_not_satisfiable", "the requested range starts past the file's end")
        ).encode()

        async def json_416(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start" and message["status"] == 416:
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"content-type", b"content-length")
                ]
                headers += [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                message = {**message, "headers": headers}
                self._json_416 = True
            elif message["type"] == "http.response.body" and getattr(self, "_json_416", False):
                message = {**message, "body": body, "more_body": False}
            await send(message)

        await super().__call__(scope, receive, json_416)

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            return []  # no usable range: the whole file


def _file(path, media_type: str) -> RangeFileResponse:  # noqa: ANN001
    return RangeFileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": FILE_CACHE_CONTROL, "Content-Disposition": "inline"},
    )


def _opens_file(request: Request) -> bool:
    """A request that starts watching a file (no range, or a range from byte 0)."""
    found = _RANGE_START.match(request.headers.get("range", ""))
    return found is None or int(found.group(1)) == 0


def _audit_recording_view(
    request: Request, db: Session, access: CallAccess, recording_id: int, now: datetime
) -> None:
    """Audit a view: every request that opens the file, and any other request unless the
    same person opened the same file recently (a player continuing or seeking). So no
    part of a file is ever served to someone without an audit row."""
    user_id = access.principal.user_id or 0
    action = photos.AUDIT_VIEW_RECORDING
    if _opens_file(request) or not photos.viewed_recently(db, user_id, action, recording_id, now):
        photos.audit_view(db, user_id, action, access.call.id, recording_id, now)


# ------------------------------------------------------------------ models


class SessionSummary(BaseModel):
    id: str
    order_ref: str
    purpose: str
    locale: str | None
    buyer_name: str | None
    state: str = Field(description="waiting, live, reconnecting or ended")
    end_reason: str | None
    agent_id: int | None
    agent_name: str | None
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None = Field(description="from answer to end (seconds)")
    outcome: Outcome | None = Field(description="null until tagged")
    decision: Decision | None
    outcome_note: str | None
    outcome_at: datetime | None
    review_state: Literal["confirmed", "overridden"] | None


class SessionList(BaseModel):
    items: list[SessionSummary]
    total: int = Field(description="calls matching every filter")
    counts: dict[str, int] = Field(
        description="calls per outcome (and `untagged`: ended without one) matching the "
        "other filters: the outcome and untagged filters are left out, so picking an "
        "outcome still shows how the rest compare"
    )
    page: int
    per_page: int


class PhotoOut(BaseModel):
    id: int
    url: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    sha256: str
    t_ms: int = Field(description="milliseconds from the call's start")
    caption: str | None
    created_at: datetime


class RecordingOut(BaseModel):
    id: int
    url: str
    kind: Literal["track", "review"] | str
    track: str | None
    segment: int
    content_type: str
    codec: str | None
    state: str = Field(description="recording, finalizing, ready or failed")
    progress: int = Field(description="percent done, while a review file is being made")
    start_offset_ms: int = Field(description="where the file starts on the call's clock")
    duration_ms: int | None
    size_bytes: int | None
    sha256: str | None


class EventOut(BaseModel):
    kind: str
    t_ms: int
    at: datetime
    data: dict[str, Any]


class OutcomeChangeOut(BaseModel):
    id: int
    action: Literal["set", "confirm", "override"] | str
    outcome: str | None
    decision: str | None
    note: str | None
    reason: str | None
    by_user_id: int
    by_name: str | None
    at: datetime


class ChatLine(BaseModel):
    t_ms: int
    at: datetime
    from_: str | None = Field(alias="from", serialization_alias="from")
    name: str | None
    text: str | None

    model_config = ConfigDict(populate_by_name=True)


class SessionDetail(SessionSummary):
    outcome_by_user_id: int | None
    outcome_by_name: str | None
    events: list[EventOut]
    photos: list[PhotoOut]
    recordings: list[RecordingOut]
    review_recording: RecordingOut | None = Field(
        description="the playable file (newest review recording), whatever its state"
    )
    outcome_history: list[OutcomeChangeOut]
    chat: list[ChatLine]


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    decision: Decision | None = None
    note: ParagraphStr | None = Field(default=None, max_length=OUTCOME_NOTE_MAX_CHARS)


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["confirm"]


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["override"]
    outcome: Outcome
    decision: Decision | None = None
    reason: ParagraphStr = Field(min_length=1, max_length=OVERRIDE_REASON_MAX_CHARS)


ReviewIn = Annotated[ConfirmIn | OverrideIn, Field(discriminator="action")]


class CaptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    caption: LineStr | None = Field(max_length=CAPTION_MAX_CHARS, description="null removes it")


class AuditOut(BaseModel):
    id: int
    at: datetime
    user_id: int
    user_email: str | None
    user_name: str | None
    action: str = Field(description="view_recording or view_photo")
    call_id: str
    object_id: int | None = Field(description="the recording's or photo's id")


class AuditList(BaseModel):
    items: list[AuditOut]
    total: int
    page: int
    per_page: int


def _photo_out(photo: Photo) -> PhotoOut:
    return PhotoOut(
        id=photo.id or 0,
        url=f"/api/sessions/{photo.call_id}/photos/{photo.id}",
        content_type=photo.content_type,
        size_bytes=photo.size_bytes,
        width=photo.width,
        height=photo.height,
        sha256=photo.sha256,
        t_ms=photo.t_ms,
        caption=photo.caption,
        created_at=photo.created_at,
    )


def _recording_out(row: Recording) -> RecordingOut:
    url = (
        f"/api/sessions/{row.call_id}/recording"
        if row.kind == "review"
        else f"/api/sessions/{row.call_id}/recordings/{row.id}"
    )
    return RecordingOut(url=url, **row.model_dump(include=set(RecordingOut.model_fields) - {"url"}))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# ------------------------------------------------------------------ list and detail


@router.get("/api/sessions", response_model=SessionList)
def list_sessions(
    principal: Reviewer,
    db: DbDep,
    outcome: Outcome | None = None,
    decision: Decision | None = None,
    purpose: Purpose | None = None,
    agent_id: Annotated[int | None, Query(ge=1, le=DB_ID_MAX)] = None,
    order_ref: Annotated[str | None, Query(min_length=1, max_length=ORDER_REF_MAX_CHARS)] = None,
    since: Annotated[
        datetime | None, Query(description="created at or after (UTC if naive)")
    ] = None,
    until: Annotated[datetime | None, Query(description="created before (UTC if naive)")] = None,
    untagged: Annotated[bool, Query(description="only ended calls without an outcome")] = False,
    page: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 1,
    per_page: Annotated[int, Query(ge=1, le=PER_PAGE_MAX)] = 25,
) -> SessionList:
    """Calls, newest first, for supervisors, admins and integrations."""
    flt = review_list.CallFilter(
        outcome=str(outcome) if outcome else None,
        decision=str(decision) if decision else None,
        purpose=str(purpose) if purpose else None,
        agent_id=agent_id,
        order_ref=order_ref.strip() if order_ref else None,
        since=_utc(since),
        until=_utc(until),
        untagged=untagged,
    )
    found = review_list.list_calls(db, flt, page, per_page)
    return SessionList(
        items=[SessionSummary(**item) for item in found.items],
        total=found.total,
        counts=found.counts,
        page=page,
        per_page=per_page,
    )


@router.get("/api/sessions/{session_id}", response_model=SessionDetail)
def get_session(access: CallReader, db: DbDep) -> SessionDetail:
    """One call: its timeline events, photos, recordings, outcome history and chat."""
    detail = review_list.call_detail(db, access.call)
    review = photos.review_recording(db, access.call.id)
    return SessionDetail(
        **detail.call,
        events=[EventOut(**ev) for ev in detail.events],
        photos=[_photo_out(p) for p in detail.photos],
        recordings=[_recording_out(r) for r in detail.recordings],
        review_recording=_recording_out(review) if review else None,
        outcome_history=[OutcomeChangeOut(**ch) for ch in detail.outcome_history],
        chat=[ChatLine(**line) for line in detail.chat],
    )


# ------------------------------------------------------------------ recordings


@router.get(
    "/api/sessions/{session_id}/recording",
    response_class=RangeFileResponse,
    responses={
        200: {"description": "the review file (WebM or MP4)"},
        206: {"description": "the requested byte range"},
        409: {"description": "the review file is still being made"},
        416: {"description": "the range starts past the end"},
    },
)
def get_review_recording(
    access: EvidenceViewer, request: Request, db: DbDep, clock: ClockDep
) -> Response:
    """The call's playable review file, with HTTP range requests. Supervisors, admins
    and the call's own agent; 404 for anyone else. Every view is audited."""
    row = photos.playable_review(db, access.call.id)
    path = photos.file_path(request.app.state.storage, row.storage_key)
    _audit_recording_view(request, db, access, row.id, clock.now())
    return _file(path, row.content_type)


@router.get(
    "/api/sessions/{session_id}/recordings/{recording_id}",
    response_class=RangeFileResponse,
    responses={
        206: {"description": "the requested byte range"},
        416: {"description": "the range starts past the end"},
    },
)
def get_recording(
    recording_id: RecordingId,
    access: EvidenceViewer,
    request: Request,
    db: DbDep,
    clock: ClockDep,
) -> Response:
    """One recorded file of the call (a per-track file as recorded, or the review file),
    with HTTP range requests. Same access and audit as the review file."""
    row = photos.get_recording(db, access.call.id, recording_id)
    path = photos.file_path(request.app.state.storage, row.storage_key)
    _audit_recording_view(request, db, access, row.id, clock.now())
    return _file(path, row.content_type)


# ------------------------------------------------------------------ photos


@router.get(
    "/api/sessions/{session_id}/photos/{photo_id}",
    response_class=FileResponse,
    responses={200: {"description": "the photo (JPEG, PNG or WebP)"}},
)
def get_photo(
    photo_id: PhotoId, access: EvidenceViewer, request: Request, db: DbDep, clock: ClockDep
) -> Response:
    """A photo of the call. Supervisors, admins and the call's own agent; 404 for anyone
    else. Every view is audited."""
    photo = photos.get_photo(db, access.call.id, photo_id)
    path = photos.file_path(request.app.state.storage, photo.storage_key)
    photos.audit_view(
        db,
        access.principal.user_id or 0,
        photos.AUDIT_VIEW_PHOTO,
        access.call.id,
        photo.id,
        clock.now(),
    )
    return _file(path, photo.content_type)


PHOTO_BODY = {
    "requestBody": {
        "required": True,
        "description": f"the image itself (at most {photos.PHOTO_MAX_MB} MB); its type is "
        "read from its content: JPEG, PNG or WebP",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in photos.PHOTO_TYPES
        },
    }
}


@router.post(
    "/api/sessions/{session_id}/photos",
    status_code=201,
    response_model=PhotoOut,
    openapi_extra=PHOTO_BODY,
    responses={
        404: {"description": "not a call of this buyer's link"},
        409: {"description": "the call is not live (not answered yet, or ended)"},
        413: {"description": f"over {photos.PHOTO_MAX_MB} MB"},
        415: {"description": "not a JPEG, PNG or WebP image"},
    },
)
async def upload_photo(
    session_id: SessionId, link: BuyerLink, request: Request, clock: ClockDep
) -> Response:
    """The buyer's page uploads a photo of its live call (with its call cookie), after
    the agent asked for one (`take_photo`). Both pages then get a `photo` message."""
    desk = request.app.state.calls
    snap = desk.switchboard.call(session_id)
    if snap is None or str(snap.link_id) != str(link.id):
        ended = await run_in_threadpool(_own_call_exists, request, session_id, link.id)
        if not ended:
            raise NotFound(f'no call "{session_id}" on this link')
        raise Conflict("the call has ended: photos are taken during a call", code="call_ended")
    if str(snap.state) not in LIVE_STATES:
        raise Conflict("photos can be taken once an agent has answered", code="not_live")
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
    t_ms = elapsed_ms(snap.created_at, time.time())
    stored = await run_in_threadpool(
        _store, request, session_id, b"".join(chunks), t_ms, clock.now()
    )
    await desk.photo_added(session_id, stored.id, stored.width, stored.height)
    return JSONResponse(_photo_out(stored).model_dump(mode="json"), 201)


def _own_call_exists(request: Request, session_id: str, link_id: int | None) -> bool:
    with Session(request.app.state.engine) as db:
        call = db.get(Call, session_id)
        return call is not None and call.link_id == link_id


def _store(request: Request, session_id: str, data: bytes, t_ms: int, now: datetime) -> Photo:
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        stored = photos.store_photo(
            db,
            request.app.state.storage,
            session_id,
            data,
            t_ms=t_ms,
            now=now,
            max_photos=request.app.state.settings.max_photos_per_call,
        )
        photo = db.get(Photo, stored.id)
        assert photo is not None
        return photo


@router.patch("/api/sessions/{session_id}/photos/{photo_id}", response_model=PhotoOut)
def caption_photo(photo_id: PhotoId, body: CaptionIn, access: CallAgent, db: DbDep) -> PhotoOut:
    """Set (or with null remove) a photo's caption: the call's agent, or an admin."""
    return _photo_out(photos.set_caption(db, access.call.id, photo_id, body.caption))


# ------------------------------------------------------------------ verdict


@router.put("/api/sessions/{session_id}/outcome", response_model=SessionDetail)
def put_outcome(
    body: OutcomeIn, access: CallAgent, request: Request, db: DbDep, clock: ClockDep
) -> SessionDetail:
    """The call's agent (or an admin) sets the outcome, decision and note, during the
    call or after it. Every change is kept (`outcome_history`)."""
    call = access.call
    verdicts.set_outcome(
        db,
        call,
        body.outcome,
        body.decision,
        body.note,
        by_user_id=access.principal.user_id or 0,
        now=clock.now(),
    )
    return get_session(access, db)


@router.post("/api/sessions/{session_id}/review", response_model=SessionDetail)
def review_session(
    body: ReviewIn, access: CallReviewer, db: DbDep, clock: ClockDep
) -> SessionDetail:
    """A supervisor (or admin) confirms the verdict, or overrides it with a reason.
    Both are kept in `outcome_history`."""
    call = access.call
    who = access.principal.user_id or 0
    if isinstance(body, ConfirmIn):
        verdicts.confirm(db, call, who, clock.now())
    else:
        verdicts.override(db, call, body.outcome, body.decision, body.reason, who, clock.now())
    return get_session(access, db)


# ------------------------------------------------------------------ audit


@router.get("/api/audit", response_model=AuditList, tags=["audit"])
def list_audit(
    principal: Admin,
    db: DbDep,
    user_id: Annotated[int | None, Query(ge=1, le=DB_ID_MAX)] = None,
    call_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 1,
    per_page: Annotated[int, Query(ge=1, le=PER_PAGE_MAX)] = 50,
) -> AuditList:
    """Who viewed which recording or photo, when; newest first. Admins only."""
    rows, total = photos.list_audit(
        db, user_id=user_id, call_id=call_id, page=page, per_page=per_page
    )
    return AuditList(
        items=[AuditOut(**row.__dict__) for row in rows], total=total, page=page, per_page=per_page
    )
