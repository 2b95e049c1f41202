"""Cases: what a buyer recorded without a live agent. Staff (``/api/cases``) list them,
read one with its submissions, files (with SHA-256), calls from the same link, replies,
verdict history and one timeline, play its files (range requests, audited like
recordings), set its verdict and reply, download its signed evidence bundle (as a
call's); the buyer (``/api/buyer/case``) submits and reads the replies. A supervisor's
review of the verdict and an agent's stills from a clip: ``case_review.py``."""

from __future__ import annotations

from datetime import datetime
from typing import IO, Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from server.api.deps import (
    DB_ID_MAX,
    AnyStaff,
    BuyerLink,
    ClockDep,
    DbDep,
    Principal,
    SettingsDep,
    authorize,
)
from server.api.sessions.bundle import zip_response
from server.api.sessions.files import RangeFileResponse, evidence_file, opens_file
from server.evidence import audit, bundle, case_steps, case_timeline, cases, uploads
from server.infra import signing
from server.models import Link, Role
from server.models.case import (
    CASE_NOTE_MAX_CHARS,
    REPLY_MAX_CHARS,
    CaseFilePublic,
    CaseOutcomeChangePublic,
    CaseReply,
)
from server.models.moments import UTCMoment
from server.models.taxonomy import OutcomeCodeStr
from server.phrases import phrases
from signaling.locales import DEFAULT_LOCALE, IANA_TIMEZONES, choose_buyer_locale
from signaling.vocabulary import Decision

router = APIRouter(tags=["cases"])

CaseId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a case's id")]
FileId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a case file's id")]
AUDIT_VIEW_CASE_FILE = audit.AUDIT_VIEW_CASE_FILE
# a case's evidence bundle: as a call's (supervisors, admins, keys with recordings:read)
BundleReader = Annotated[
    Principal, Depends(authorize(Role.supervisor, Role.admin, scope="recordings:read"))
]


class SubmissionPublic(BaseModel):
    id: int
    note: str | None
    locale: str | None
    submitted_at: datetime


class CaseCall(BaseModel):
    id: str
    state: str
    created_at: datetime
    ended_at: datetime | None
    outcome: str | None


class CaseReplyPublic(BaseModel):
    id: int
    text: str | None
    phrase_key: str | None
    by_user_id: int | None
    invite_at: datetime | None = Field(description="an invitation to a live call at this time")
    at: datetime


class CaseSummary(BaseModel):
    id: int
    link_id: int
    order_ref: str
    purpose: str
    created_at: datetime
    outcome: str | None
    decision: str | None
    review_state: str | None = Field(description="confirmed, overridden, or null")


class TimelineEntry(BaseModel):
    kind: str = Field(description="submission, still, call, reply or verdict")
    at: datetime
    id: int | str = Field(
        description="the id of the submission, the still's file, the call, the reply or "
        "the outcome_history entry"
    )


class CaseDetail(CaseSummary):
    outcome_note: str | None
    outcome_by_user_id: int | None
    outcome_by_name: str | None
    submissions: list[SubmissionPublic]
    files: list[CaseFilePublic]
    calls: list[CaseCall] = Field(description="live calls made from the same link")
    replies: list[CaseReplyPublic]
    buyer_timezone: str | None = Field(
        description="the buyer's IANA time zone as their page told it; null when unknown"
    )
    link_expires_at: datetime = Field(description="an invitation must be before this")
    outcome_history: list[CaseOutcomeChangePublic] = Field(
        description="every change of the verdict: set, confirm, override, oldest first"
    )
    timeline: list[TimelineEntry] = Field(
        description="the case's moments in time order: submissions (with their files), "
        "stills taken from its clips, calls of the same link, replies, verdict changes"
    )
    step_titles: dict[str, str] = Field(
        default_factory=dict,
        description="the shop's own steps for the link's purpose, key -> English prompt, "
        "for naming a file's step; empty while the purpose has the shipped steps (staff "
        "pages name those themselves). A step no longer among them is named by its key.",
    )


class CaseList(BaseModel):
    cases: list[CaseSummary]


class CaseOutcomeIn(BaseModel):
    outcome: OutcomeCodeStr
    decision: Decision
    note: str | None = Field(default=None, max_length=1000)


class CaseReplyIn(BaseModel):
    text: str | None = Field(default=None, max_length=REPLY_MAX_CHARS)
    phrase_id: int | None = Field(default=None, ge=1, le=DB_ID_MAX)
    invite_at: UTCMoment | None = Field(
        default=None,
        description="invite the buyer to a live call at this time: at least a minute ahead "
        "and before the link expires; with a text or nothing",
    )


class SubmitIn(BaseModel):
    note: str | None = Field(default=None, max_length=CASE_NOTE_MAX_CHARS)
    locale: str | None = Field(default=None, max_length=35)
    timezone: str | None = Field(
        default=None, max_length=64, description="the buyer's IANA time zone, from the page"
    )


class BuyerReply(BaseModel):
    text: str
    at: datetime
    invite_at: datetime | None = Field(
        default=None, description="an invitation to a live call from this link at this time"
    )


class BuyerCase(BaseModel):
    submitted: int = Field(description="submissions made from this link")
    replies: list[BuyerReply] = Field(description="in the buyer's language when a quick phrase")


def case_detail(db: DbDep, case_id: int) -> CaseDetail:
    """``GET /api/cases/{case_id}``'s answer (NotFound for an unknown case)."""
    case = cases.get_case(db, case_id)
    link = db.get(Link, case.link_id)
    assert link is not None and case.id is not None
    submissions = cases.submissions(db, case.id)
    files = cases.files(db, case.id)
    calls = cases.calls(db, case.link_id)
    replies = cases.replies(db, case.id)
    changes = cases.history(db, case.id)
    names = cases.names(db, {ch.by_user_id for ch in changes} | {case.outcome_by_user_id})
    return CaseDetail(
        id=case.id,
        link_id=case.link_id,
        order_ref=link.order_ref,
        purpose=str(link.purpose),
        created_at=case.created_at,
        outcome=case.outcome,
        decision=case.decision,
        outcome_note=case.outcome_note,
        outcome_by_user_id=case.outcome_by_user_id,
        outcome_by_name=names.get(case.outcome_by_user_id or -1),
        review_state=case.review_state,
        submissions=[SubmissionPublic.model_validate(s, from_attributes=True) for s in submissions],
        files=[CaseFilePublic.from_row(f) for f in files],
        calls=[
            CaseCall(
                id=c.id,
                state=str(c.state),
                created_at=c.created_at,
                ended_at=c.ended_at,
                outcome=c.outcome and str(c.outcome),
            )
            for c in calls
        ],
        replies=[CaseReplyPublic.model_validate(r, from_attributes=True) for r in replies],
        outcome_history=[
            CaseOutcomeChangePublic.model_validate(
                ch, update={"by_name": names.get(ch.by_user_id or -1)}
            )
            for ch in changes
        ],
        timeline=[
            TimelineEntry(kind=e.kind, at=e.at, id=e.id)
            for e in case_timeline.timeline(submissions, files, calls, replies, changes)
        ],
        buyer_timezone=cases.buyer_timezone(db, case),
        link_expires_at=link.expires_at,
        step_titles=step_titles(db, str(link.purpose)),
    )


def step_titles(db: DbDep, purpose: str) -> dict[str, str]:
    """The shop's own steps' English prompts by key (none for the shipped steps)."""
    if not case_steps.is_customized(db, purpose):
        return {}
    return {s["key"]: case_steps.prompt_in(s, "en") for s in case_steps.steps_for(db, purpose)}


@router.get("/api/cases", response_model=CaseList)
def list_cases(principal: AnyStaff, db: DbDep) -> CaseList:
    """Cases with a submission, newest first (staff)."""
    return CaseList(
        cases=[
            CaseSummary(
                id=case.id or 0,
                link_id=case.link_id,
                order_ref=link.order_ref,
                purpose=str(link.purpose),
                created_at=case.created_at,
                outcome=case.outcome,
                decision=case.decision,
                review_state=case.review_state,
            )
            for case, link in cases.list_cases(db)
        ]
    )


@router.get("/api/cases/{case_id}", response_model=CaseDetail, responses={404: {}})
def get_case(case_id: CaseId, principal: AnyStaff, db: DbDep) -> CaseDetail:
    """The case with its submissions, submitted files (with ``sha256``), the calls made
    from the same link, and the replies."""
    return case_detail(db, case_id)


@router.get(
    "/api/cases/{case_id}/files/{file_id}",
    response_class=RangeFileResponse,
    responses={206: {"description": "a byte range"}, 404: {}, 416: {}},
)
def get_case_file(
    case_id: CaseId,
    file_id: FileId,
    principal: AnyStaff,
    request: Request,
    db: DbDep,
    clock: ClockDep,
) -> Response:
    """A clip or photo of the case, with range requests; every view is audited."""
    row = cases.get_file(db, case_id, file_id)
    response = evidence_file(request.app.state.storage, row.storage_key, row.content_type or "")
    if opens_file(request):
        audit.action_done(
            db,
            AUDIT_VIEW_CASE_FILE,
            clock.now(),
            user_id=principal.user_id,
            api_key_id=principal.api_key_id,
            detail={"case_id": case_id, "file_id": file_id},
        )
        db.commit()
    return response


@router.get(
    "/api/cases/{case_id}/bundle",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/zip": {}}, "description": "the case's signed bundle"},
        404: {"description": "no such case"},
    },
)
async def get_case_bundle(
    case_id: CaseId,
    principal: BundleReader,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> FileResponse:
    """The case's evidence as a ZIP: each clip (`clips/`) and photo (`photos/`) as
    stored, the submissions (notes, times, locales), the replies, the verdict
    (`case.json`), the link's order, the live calls of the same link by id (each call's
    own bundle is at `/api/sessions/{id}/bundle`), and `manifest.json` (`kind` "case",
    `case_id`, every file's name, size and SHA-256) with `manifest.sig`, as a call's
    bundle. Supervisors, admins and API keys with `recordings:read`. Audited
    (`evidence_bundle`, naming the case)."""
    storage, now = request.app.state.storage, clock.now()

    def write(out: IO[bytes]) -> None:  # NotFound for an unknown case
        bundle.write_case_bundle(
            db,
            storage,
            cases.get_case(db, case_id),
            signing.signing_key(settings.data_dir),
            now,
            out,
            user_id=principal.user_id,
            api_key_id=principal.api_key_id,
        )

    return await zip_response(write, f"showdesk-case-evidence-{case_id}.zip")


@router.put("/api/cases/{case_id}/outcome", response_model=CaseDetail, responses={404: {}})
def set_case_outcome(
    case_id: CaseId, body: CaseOutcomeIn, principal: AnyStaff, db: DbDep, clock: ClockDep
) -> CaseDetail:
    """Set the case's outcome and decision (kept in `outcome_history`, as a call's; a new
    verdict undoes an earlier review)."""
    case = cases.get_case(db, case_id)
    cases.set_outcome(
        db,
        case,
        outcome=body.outcome,
        decision=body.decision,
        note=body.note,
        by_user_id=principal.user_id or 0,
        now=clock.now(),
    )
    return case_detail(db, case_id)


@router.post(
    "/api/cases/{case_id}/replies",
    status_code=201,
    response_model=CaseDetail,
    responses={404: {}, 422: {}},
)
def reply_to_case(
    case_id: CaseId, body: CaseReplyIn, principal: AnyStaff, db: DbDep, clock: ClockDep
) -> CaseDetail:
    """Reply to the buyer: a text, or a quick phrase (the buyer reads it in their
    language), or an invitation to a live call at ``invite_at`` (the buyer sees it in
    their own time and starts the call from the same link, so it joins the case).
    422 ``invite_in_past`` / ``invite_after_link_expiry`` / ``link_revoked`` for a time
    the buyer could not keep."""
    case = cases.get_case(db, case_id)
    phrase_key = _phrase_key(db, body.phrase_id)
    phrase_text, phrase_locale = None, None
    if phrase_key is not None:
        phrase_locale = cases.buyer_locale(db, case)
        texts = phrases.active_texts(db, int(phrase_key)) or {}
        if not texts.get(phrase_locale):
            phrase_locale = DEFAULT_LOCALE
        phrase_text = texts.get(phrase_locale) or ""
    cases.add_reply(
        db,
        case,
        text=body.text,
        phrase_key=phrase_key,
        by_user_id=principal.user_id,
        now=clock.now(),
        phrase_text=phrase_text,
        phrase_locale=phrase_locale,
        invite_at=body.invite_at,
    )
    return case_detail(db, case_id)


@router.post("/api/buyer/case/submit", status_code=201, response_model=BuyerCase)
def submit_case(link: BuyerLink, body: SubmitIn, db: DbDep, clock: ClockDep) -> BuyerCase:
    """The buyer submits the files uploaded so far with a note."""
    assert link.id is not None
    case = uploads.case_for_link(db, link.id, clock.now())
    cases.submit(
        db,
        case,
        note=body.note,
        locale=body.locale,
        now=clock.now(),
        timezone=_known_zone(body.timezone),
    )
    return _buyer_case(db, link.id, body.locale or link.locale or "en")


@router.get("/api/buyer/case", response_model=BuyerCase)
def buyer_case(link: BuyerLink, db: DbDep, locale: str | None = None) -> BuyerCase:
    """What the buyer's link has submitted, and the agent's replies."""
    assert link.id is not None
    chosen = choose_buyer_locale(locale[:35] if locale else None, link.locale, None)
    return _buyer_case(db, link.id, chosen)


def _buyer_case(db: DbDep, link_id: int, locale: str) -> BuyerCase:
    case = cases.case_of_link(db, link_id)
    if case is None or case.id is None:
        return BuyerCase(submitted=0, replies=[])
    return BuyerCase(
        submitted=len(cases.submissions(db, case.id)),
        replies=[
            BuyerReply(text=_reply_text(db, r, locale), at=r.at, invite_at=r.invite_at)
            for r in cases.replies(db, case.id)
        ],
    )


def _known_zone(zone: str | None) -> str | None:
    """The page's time zone if it is an IANA name the server knows, else None."""
    return zone if zone and zone in IANA_TIMEZONES else None


def _phrase_key(db: DbDep, phrase_id: int | None) -> str | None:
    if phrase_id is None:
        return None
    phrases.get_phrase(db, phrase_id)  # NotFound for an unknown phrase
    return str(phrase_id)


def _reply_text(db: DbDep, reply: CaseReply, locale: str) -> str:
    """What the buyer reads: the text, or the phrase in ``locale`` (else English)."""
    if reply.phrase_key is None:
        return reply.text or ""
    texts = phrases.active_texts(db, int(reply.phrase_key)) or {}
    return texts.get(locale) or texts.get(DEFAULT_LOCALE) or ""
