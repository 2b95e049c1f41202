"""``/api/uploads``: the tus 1.0 resumable upload protocol (core, creation, termination)
for the files of a buyer's case; the rules are in ``server.evidence.uploads``.

Only the buyer pass of the link whose case holds the upload may touch it; anyone else,
and a revoked or expired link, gets the same 404 as an unknown upload. Errors have the
API's JSON shape; every answer carries ``Tus-Resumable: 1.0.0``.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from server.api.deps import BuyerLink, ClockDep, DbDep, SettingsDep, buyer_link
from server.errors import InvalidInput, NotSignedIn, TooLarge, UnsupportedType
from server.evidence import case_steps, uploads
from server.models.case import CaseFile
from server.models.link import Link

router = APIRouter(tags=["buyer"])

TUS_VERSION = "1.0.0"
TUS_HEADERS = {"Tus-Resumable": TUS_VERSION}
OFFSET_TYPE = "application/offset+octet-stream"
ERRORS = {
    400: {"description": "a missing or malformed tus header"},
    404: {"description": "no such upload (or not this link's, or the link is unusable)"},
    409: {"description": "Upload-Offset is not the stored offset"},
    413: {"description": "over the size cap, or past Upload-Length"},
    415: {"description": "the completed file is no accepted clip or photo (it is deleted)"},
}
CREATE_ERRORS = {
    **ERRORS,
    422: {
        "description": "bad metadata; `step_unknown`: the step is not one of the shop's "
        "current steps for the link's purpose (nor one the case already holds a file for); "
        "`step_wrong_kind`: the step does not ask for that kind (clip or photos). "
        "Nothing is stored."
    },
}


def _metadata(header: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated ``key base64value`` pairs."""
    found: dict[str, str] = {}
    for pair in (header or "").split(","):
        key, _, value = pair.strip().partition(" ")
        if not key:
            continue
        try:
            found[key] = base64.b64decode(value, validate=True).decode() if value else ""
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput(f"Upload-Metadata {key[:20]!r} is not base64") from None
    return found


def _owned(request: Request, db: DbDep, clock: ClockDep, upload_id: str) -> CaseFile:
    try:
        link: Link = buyer_link(request, db, clock)
    except NotSignedIn:
        raise uploads.UploadNotFound() from None
    assert link.id is not None
    return uploads.upload_of(db, upload_id, link.id)


def _int_header(value: str | None, name: str) -> int:
    if value is None or not value.isdigit() or len(value) > 15:
        raise InvalidInput(f"{name} must be a number of bytes")
    return int(value)


@router.options("/api/uploads", include_in_schema=False)
def upload_options(settings: SettingsDep) -> Response:
    return Response(
        status_code=204,
        headers={
            **TUS_HEADERS,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": "creation,termination",
            "Tus-Max-Size": str(settings.max_case_file_bytes),
        },
    )


@router.post("/api/uploads", status_code=201, responses=CREATE_ERRORS)
def create_upload(
    link: BuyerLink,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
    request: Request,
    upload_length: Annotated[str | None, Header()] = None,
    upload_metadata: Annotated[str | None, Header()] = None,
) -> Response:
    """tus creation: a new upload of ``Upload-Length`` bytes for the buyer's case (made on
    the first upload). ``Upload-Metadata`` carries ``step`` and ``kind`` (clip or photo):
    the step is one of the shop's current steps for the link's purpose that asks for that
    kind, or one the case already holds a file for (a buyer who started before the shop
    edited its steps keeps them). Answers 201 with ``Location``."""
    length = _int_header(upload_length, "Upload-Length")
    meta = _metadata(upload_metadata)
    assert link.id is not None
    case = uploads.case_for_link(db, link.id, clock.now())
    row = uploads.create_upload(
        db,
        request.app.state.storage,
        case,
        length=length,
        step=meta.get("step", ""),
        kind=meta.get("kind", ""),
        max_bytes=settings.max_case_file_bytes,
        max_files=settings.max_case_files,
        now=clock.now(),
        steps=case_steps.steps_for(db, link.purpose),
    )
    return Response(
        status_code=201,
        headers={**TUS_HEADERS, "Location": f"/api/uploads/{row.upload_id}", "Upload-Offset": "0"},
    )


@router.head("/api/uploads/{upload_id}", responses=ERRORS)
def upload_status(upload_id: str, request: Request, db: DbDep, clock: ClockDep) -> Response:
    """tus core: the bytes stored so far (``Upload-Offset``) of ``Upload-Length``."""
    row = _owned(request, db, clock, upload_id)
    return Response(
        status_code=200,
        headers={
            **TUS_HEADERS,
            "Upload-Offset": str(row.offset),
            "Upload-Length": str(row.length),
            "Cache-Control": "no-store",
        },
    )


@router.patch("/api/uploads/{upload_id}", status_code=204, responses=ERRORS)
async def upload_chunk(
    upload_id: str,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    upload_offset: Annotated[str | None, Header()] = None,
    content_type: Annotated[str | None, Header()] = None,
) -> Response:
    """tus core: append the body at ``Upload-Offset``. The chunk is stored and fsynced
    before the 204 acknowledges it; a connection cut mid-chunk keeps the bytes that
    arrived (HEAD tells). The last chunk completes the upload: the file is checked
    (415 and deleted when it is no accepted clip or photo)."""
    row = await run_in_threadpool(_owned, request, db, clock, upload_id)
    if content_type != OFFSET_TYPE:
        raise UnsupportedType(f"a chunk's Content-Type must be {OFFSET_TYPE}")
    offset = _int_header(upload_offset, "Upload-Offset")
    uploads.check_chunk(row, offset)
    storage = request.app.state.storage
    path = storage.path_for_writing(row.storage_key)
    room = row.length - offset
    received = bytearray()
    cut = False
    try:
        async for part in request.stream():
            received += part
            if len(received) > room:
                raise TooLarge(
                    f"the chunk reaches past Upload-Length ({row.length} bytes)",
                    code="past_upload_length",
                )
    except ClientDisconnect:
        cut = True  # keep what arrived: the client resumes from HEAD's offset
    await run_in_threadpool(uploads.write_at, path, offset, bytes(received))
    await run_in_threadpool(uploads.acknowledge, db, row, offset + len(received))
    if cut:
        return Response(status_code=204, headers=TUS_HEADERS)
    if row.offset == row.length:
        await run_in_threadpool(uploads.finish, db, storage, row)
    return Response(status_code=204, headers={**TUS_HEADERS, "Upload-Offset": str(row.offset)})


@router.delete("/api/uploads/{upload_id}", status_code=204, responses=ERRORS)
def delete_upload(upload_id: str, request: Request, db: DbDep, clock: ClockDep) -> Response:
    """tus termination: delete an upload not yet submitted (a retaken step)."""
    row = _owned(request, db, clock, upload_id)
    if row.submission_id is not None:
        raise uploads.UploadNotFound()
    uploads.discard(db, request.app.state.storage, row)
    return Response(status_code=204, headers=TUS_HEADERS)
