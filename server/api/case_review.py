"""A case's verdict reviewed as a call's is (``POST /api/cases/{case_id}/review``: a
supervisor sets an untagged case's outcome, confirms the verdict or overrides it with a
reason, the same body as ``/api/sessions/{id}/review``), and an agent's still from a
case's clip (``POST /api/cases/{case_id}/files/{file_id}/stills``). Both answer the case
as ``GET /api/cases/{case_id}`` does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from server.api.cases import CaseDetail, CaseId, FileId, case_detail
from server.api.deps import AnyStaff, ClockDep, DbDep, Principal, SettingsDep, authorize
from server.api.sessions.photos import PHOTO_BODY, read_photo_body
from server.api.sessions.verdicts import ConfirmIn, ReviewIn, SetIn
from server.evidence import case_stills, cases, photos, verdicts
from server.models import Role

router = APIRouter(tags=["cases"])

# a case's verdict is reviewed by whoever reviews a call's: supervisors and admins
CaseReviewer = Annotated[Principal, Depends(authorize(Role.supervisor, Role.admin))]
CLIP_MS_MAX = 10 * 60 * 1000


@router.post(
    "/api/cases/{case_id}/review",
    response_model=CaseDetail,
    responses={404: {}, 409: {"description": "the case has (or has no) outcome to act on"}},
)
def review_case(
    case_id: CaseId, body: ReviewIn, principal: CaseReviewer, db: DbDep, clock: ClockDep
) -> CaseDetail:
    """A supervisor (or admin) sets the outcome of an untagged case (`set`: 409 when it
    has one), confirms the verdict (409 when there is none), or overrides it with a
    reason, exactly as for a call. All are kept in `outcome_history` and sent as
    `case.outcome_set` (a set) or `case.outcome_changed` (a confirm or override)."""
    case = cases.get_case(db, case_id)
    who, now = principal.user_id or 0, clock.now()
    if isinstance(body, SetIn):
        verdicts.set_untagged(db, case, body.outcome, body.decision, body.note, who, now)
    elif isinstance(body, ConfirmIn):
        verdicts.confirm(db, case, who, now)
    else:
        verdicts.override(db, case, body.outcome, body.decision, body.reason, who, now)
    return case_detail(db, case_id)


@router.post(
    "/api/cases/{case_id}/files/{file_id}/stills",
    status_code=201,
    response_model=CaseDetail,
    openapi_extra=PHOTO_BODY,
    responses={
        404: {"description": "no such case or file"},
        409: {"description": "the case holds as many files as it may"},
        413: {"description": f"over {photos.PHOTO_MAX_MB} MB"},
        415: {"description": "not a JPEG, PNG or WebP image"},
        422: {"description": "the file is not a clip, or the moment is not within it"},
    },
)
async def take_still(
    case_id: CaseId,
    file_id: FileId,
    principal: AnyStaff,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
    t_ms: int = Query(ge=0, le=CLIP_MS_MAX, description="the frame's moment in the clip, ms"),
) -> CaseDetail:
    """An agent keeps the clip's frame at `t_ms` (the console captures it from the
    playing clip) as a photo of the case for the clip's step, with `source_file_id` and
    `source_t_ms` naming where it came from. Checked and cleaned as every photo is;
    audited (`take_case_still`)."""
    data = await read_photo_body(request)
    storage = request.app.state.storage

    def store() -> CaseDetail:
        case = cases.get_case(db, case_id)
        clip = cases.get_file(db, case_id, file_id)
        case_stills.take_still(
            db,
            storage,
            case,
            clip,
            data,
            t_ms=t_ms,
            by_user_id=principal.user_id or 0,
            max_files=settings.max_case_files,
            now=clock.now(),
        )
        return case_detail(db, case_id)

    return await run_in_threadpool(store)
