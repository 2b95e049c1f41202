"""A call's verdict: ``PUT /api/sessions/{session_id}/outcome`` (the agent's) and
``POST /api/sessions/{session_id}/review`` (a supervisor confirms or overrides it). Both
answer the call as ``GET /api/sessions/{session_id}`` does."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import CallAgent, CallReviewer, ClockDep, DbDep, SettingsDep
from server.evidence import review_list, verdicts
from server.models.call import OUTCOME_NOTE_MAX_CHARS, OVERRIDE_REASON_MAX_CHARS, CallDetailPublic
from server.models.taxonomy import OutcomeCodeStr
from server.models.text import ParagraphStr
from signaling.vocabulary import Decision

router = APIRouter(tags=["sessions"])

WRONG_PURPOSE_TEXT = (
    "invalid input; the code `outcome_wrong_purpose`: the outcome is of another purpose's "
    "categories (a product demo takes only demo results, a damage check or inspection only "
    "return reasons)"
)


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: OutcomeCodeStr
    decision: Decision | None = None
    note: ParagraphStr | None = Field(default=None, max_length=OUTCOME_NOTE_MAX_CHARS)


class SetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["set"]
    outcome: OutcomeCodeStr
    decision: Decision | None = None
    note: ParagraphStr | None = Field(default=None, max_length=OUTCOME_NOTE_MAX_CHARS)


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["confirm"]


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["override"]
    outcome: OutcomeCodeStr
    decision: Decision | None = None
    reason: ParagraphStr = Field(min_length=1, max_length=OVERRIDE_REASON_MAX_CHARS)


ReviewIn = Annotated[SetIn | ConfirmIn | OverrideIn, Field(discriminator="action")]


@router.put(
    "/api/sessions/{session_id}/outcome",
    response_model=CallDetailPublic,
    responses={
        409: {"description": "nobody answered this call"},
        422: {"description": WRONG_PURPOSE_TEXT},
    },
)
def put_outcome(
    body: OutcomeIn, access: CallAgent, db: DbDep, clock: ClockDep, settings: SettingsDep
) -> CallDetailPublic:
    """The call's agent (or an admin) sets the outcome, decision and note, during the
    call or after it. The outcome must be one of the call's purpose (422
    `outcome_wrong_purpose` otherwise). Every change is kept (`outcome_history`)."""
    verdicts.set_outcome(
        db,
        access.call,
        body.outcome,
        body.decision,
        body.note,
        by_user_id=access.principal.user_id or 0,
        now=clock.now(),
    )
    return review_list.call_detail(db, access.call, shop_name=settings.shop_name)


@router.post(
    "/api/sessions/{session_id}/review",
    response_model=CallDetailPublic,
    responses={
        409: {"description": "the call has (or has no) outcome to act on"},
        422: {"description": WRONG_PURPOSE_TEXT},
    },
)
def review_session(
    body: ReviewIn, access: CallReviewer, db: DbDep, clock: ClockDep, settings: SettingsDep
) -> CallDetailPublic:
    """A supervisor (or admin) sets the outcome of an untagged call (`set`: 409 when it
    has one), confirms the verdict, or overrides it with a reason. All are kept in
    `outcome_history`."""
    call = access.call
    who = access.principal.user_id or 0
    if isinstance(body, SetIn):
        verdicts.set_untagged(db, call, body.outcome, body.decision, body.note, who, clock.now())
    elif isinstance(body, ConfirmIn):
        verdicts.confirm(db, call, who, clock.now())
    else:
        verdicts.override(db, call, body.outcome, body.decision, body.reason, who, clock.now())
    return review_list.call_detail(db, call, shop_name=settings.shop_name)
