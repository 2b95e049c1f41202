"""What is kept: legal holds on calls (supervisors and admins), erasure of an order and
retention runs (admins). The rules are in ``server/evidence/retention.py``."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from server.api.deps import Admin, CallReviewer, ClockDep, DbDep
from server.evidence import export, retention
from server.models.call import HOLD_REASON_MAX_CHARS
from server.models.link import BUYER_NAME_MAX_CHARS, ORDER_REF_MAX_CHARS
from server.models.text import LineStr, ParagraphStr

router = APIRouter(tags=["retention"])


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: ParagraphStr = Field(min_length=1, max_length=HOLD_REASON_MAX_CHARS)


class HoldOut(BaseModel):
    session_id: str
    hold_reason: str | None
    hold_at: datetime | None


class ErasureIn(BaseModel):
    """Exactly one of ``order_ref`` (that order) and ``buyer_name`` (every order whose
    links or calls name that buyer)."""

    model_config = ConfigDict(extra="forbid")
    order_ref: LineStr | None = Field(default=None, min_length=1, max_length=ORDER_REF_MAX_CHARS)
    buyer_name: LineStr | None = Field(default=None, min_length=1, max_length=BUYER_NAME_MAX_CHARS)

    @model_validator(mode="after")
    def _exactly_one(self) -> ErasureIn:
        if (self.order_ref is None) == (self.buyer_name is None):
            raise ValueError("give either order_ref or buyer_name")
        return self


class RetentionRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dry_run: bool = False


class DeletedOut(BaseModel):
    call_id: str
    order_ref: str
    recordings: int
    photos: int
    chat_lines: int


class DeletedCaseOut(BaseModel):
    case_id: int
    order_ref: str
    clips: int
    photos: int
    notes: int


class ReportOut(BaseModel):
    dry_run: bool
    calls: list[DeletedOut]
    cases: list[DeletedCaseOut] = Field(
        default_factory=list, description="recorded cases: their clips, photos and notes"
    )


def _hold_out(call) -> HoldOut:  # noqa: ANN001
    return HoldOut(session_id=call.id, hold_reason=call.hold_reason, hold_at=call.hold_at)


@router.put(
    "/api/sessions/{session_id}/hold",
    response_model=HoldOut,
    responses={409: {"description": "the call's media are already deleted"}},
)
def put_hold(body: HoldIn, access: CallReviewer, db: DbDep, clock: ClockDep) -> HoldOut:
    """Put the call on legal hold: retention keeps its evidence and erasure refuses it
    until the hold is removed. Audited; 409 when its media are already gone."""
    call = retention.set_hold(
        db, access.call.id, body.reason, clock.now(), access.principal.user_id
    )
    return _hold_out(call)


@router.delete("/api/sessions/{session_id}/hold", status_code=204)
def delete_hold(access: CallReviewer, db: DbDep, clock: ClockDep) -> Response:
    """Lift the call's legal hold (audited)."""
    retention.set_hold(db, access.call.id, None, clock.now(), access.principal.user_id)
    return Response(status_code=204)


@router.post(
    "/api/erasures",
    response_model=ReportOut,
    responses={
        404: {"description": "no call and no link has this order reference"},
        409: {"description": "a call of the order is in progress, or on legal hold"},
    },
)
async def erase_order(
    body: ErasureIn, principal: Admin, request: Request, db: DbDep, clock: ClockDep
) -> ReportOut:
    """Erase what is held about an order (or every order of a buyer): its calls'
    recordings, photos, chat, the buyer's name and the staff's notes; outcomes, decisions
    and times stay. Audited, one entry per order."""
    active = {snap.session_id for snap in request.app.state.calls.switchboard.active_calls()}
    erase, what = (
        (retention.erase_order, body.order_ref)
        if body.order_ref is not None
        else (retention.erase_buyer, body.buyer_name)
    )
    report = await run_in_threadpool(
        erase,
        db,
        request.app.state.storage,
        what,
        clock.now(),
        active_call_ids=active,
        by_user_id=principal.user_id,
    )
    return ReportOut.model_validate(report.as_dict())


@router.get(
    "/api/exports",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/zip": {}}, "description": "the order's ZIP file"},
        404: {"description": "nothing is held about this order reference"},
    },
)
async def export_order(
    principal: Admin,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    order_ref: Annotated[str, Query(min_length=1, max_length=ORDER_REF_MAX_CHARS)],
) -> FileResponse:
    """Everything held about an order as a ZIP (GDPR Art. 15): ``order.json`` (links,
    calls, timelines with chat, verdict histories, evidence views) and ``files/`` (every
    recording and photo). Audited."""
    storage, now = request.app.state.storage, clock.now()

    def write() -> Path:
        fd, name = tempfile.mkstemp(prefix="export-", suffix=".zip")  # mode 0600
        os.close(fd)
        path = Path(name)
        try:
            export.export_order(db, storage, order_ref, now, path, by_user_id=principal.user_id)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    path = await run_in_threadpool(write)
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"showdesk-order-{re.sub(r'[^A-Za-z0-9_.-]', '_', order_ref)}.zip",
        headers={"Cache-Control": "private, no-store"},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.post("/api/retention/runs", response_model=ReportOut)
async def run_retention(
    body: RetentionRunIn, principal: Admin, request: Request, db: DbDep, clock: ClockDep
) -> ReportOut:
    """Delete now what retention would delete within the hour (``dry_run``: only list it)."""
    report = await run_in_threadpool(
        retention.run_retention,
        db,
        request.app.state.storage,
        clock.now(),
        request.app.state.settings.retention_days,
        dry_run=body.dry_run,
    )
    return ReportOut.model_validate(report.as_dict())
