"""QA scores. The rubric: ``GET /api/qa/rubric`` (staff), and the admin's changes
``POST /api/qa/criteria``, ``PATCH /api/qa/criteria/{criterion_id}`` (rename, hint,
scale, weight, retire or bring back) and ``PUT /api/qa/rubric/order``, audited
``qa_rubric_changed``. A call's scores and comments: ``GET /api/sessions/{id}/qa``
(supervisors, admins, the call's own agent), ``PUT .../qa/score`` (a supervisor's or
admin's own score of the call), ``POST .../qa/comments`` and ``DELETE
.../qa/comments/{comment_id}``. ``GET /api/qa/calls``: the scored and commented calls of
an agent (an agent: only their own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import (
    DB_ID_MAX,
    Admin,
    AnyStaff,
    CallQaReader,
    CallReviewer,
    ClockDep,
    DbDep,
)
from server.errors import NotFound
from server.evidence import audit, qa_rubric, qa_scores
from server.models.qa import (
    COMMENT_MAX_CHARS,
    CRITERION_HINT_MAX_CHARS,
    CRITERION_LABEL_MAX_CHARS,
    POINTS_MAX,
    POINTS_MIN,
    WEIGHT_MAX,
    WEIGHT_MIN,
    CallQaPublic,
    QaCallPublic,
    QaCommentPublic,
    QaCriterionPublic,
    QaScale,
    QaScorePublic,
)
from server.models.text import LineStr, ParagraphStr
from server.models.user import Role

router = APIRouter(tags=["QA scores"])

MAX_CRITERIA = 50  # more than any form a reviewer would fill in
VIDEO_MS_MAX = 24 * 3600 * 1000  # no call is longer than a day; the recording's end is checked
CriterionId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a criterion's id")]
CommentId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a comment's id")]
Label = Annotated[LineStr, Field(min_length=1, max_length=CRITERION_LABEL_MAX_CHARS)]
Hint = Annotated[LineStr, Field(min_length=1, max_length=CRITERION_HINT_MAX_CHARS)]
Points = Annotated[int, Field(ge=POINTS_MIN, le=POINTS_MAX, description="the scale's top")]
Weight = Annotated[int, Field(ge=WEIGHT_MIN, le=WEIGHT_MAX)]


class RubricOut(BaseModel):
    criteria: list[QaCriterionPublic] = Field(description="by position, retired ones included")


class CriterionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Label
    hint: Hint | None = None
    scale: QaScale
    points: Points | None = Field(default=None, description="required for points, else absent")
    weight: Weight


class CriterionChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Label | None = None
    hint: Hint | None = Field(default=None, description="null clears it")
    scale: QaScale | None = None
    points: Points | None = None
    weight: Weight | None = None
    retired: bool | None = Field(default=None, description="true retires, false brings back")


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[Annotated[int, Field(ge=1, le=DB_ID_MAX)]] = Field(
        min_length=1, max_length=500, description="every criterion's id once, in the new order"
    )


class ScoreItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    criterion_id: int = Field(ge=1, le=DB_ID_MAX)
    value: int = Field(ge=0, le=POINTS_MAX, description="pass/fail: 0 or 1; points: 1 to top")


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ScoreItemIn] = Field(
        min_length=1, max_length=MAX_CRITERIA, description="one per active criterion"
    )


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    video_ms: int = Field(
        ge=0, le=VIDEO_MS_MAX, description="from the review video's start, at most its length"
    )
    text: ParagraphStr = Field(min_length=1, max_length=COMMENT_MAX_CHARS)


class QaCallsOut(BaseModel):
    items: list[QaCallPublic] = Field(description="newest call first")
    total: int
    page: int
    per_page: int


def _audit(db: DbDep, clock: ClockDep, principal: Admin, detail: dict[str, object]) -> None:
    audit.action_done(
        db, audit.AUDIT_QA_RUBRIC_CHANGED, clock.now(), user_id=principal.user_id, detail=detail
    )
    db.commit()


@router.get("/api/qa/rubric", response_model=RubricOut)
def get_rubric(principal: AnyStaff, db: DbDep) -> RubricOut:
    """Every criterion, retired ones included (``retired_at``)."""
    return RubricOut(criteria=[QaCriterionPublic.model_validate(c) for c in qa_rubric.load(db)])


@router.post("/api/qa/criteria", status_code=201, response_model=QaCriterionPublic)
def add_criterion(
    body: CriterionIn, principal: Admin, db: DbDep, clock: ClockDep
) -> QaCriterionPublic:
    """Add a criterion at the end of the rubric."""
    row = qa_rubric.add(
        db,
        label=body.label,
        hint=body.hint,
        scale=body.scale,
        points=body.points,
        weight=body.weight,
    )
    _audit(db, clock, principal, {"change": "criterion_added", "criterion_id": row.id})
    return QaCriterionPublic.model_validate(row)


@router.patch("/api/qa/criteria/{criterion_id}", response_model=QaCriterionPublic)
def change_criterion(
    criterion_id: CriterionId,
    body: CriterionChange,
    principal: Admin,
    db: DbDep,
    clock: ClockDep,
) -> QaCriterionPublic:
    """Rename, re-hint, rescale, reweigh, retire or bring back a criterion. Scores given
    before keep the scale and weight they were given against, and their totals."""
    given = body.model_fields_set
    extra: dict[str, object] = {}
    if "hint" in given:
        extra["hint"] = body.hint
    if "points" in given:
        extra["points"] = body.points
    row = qa_rubric.change(
        db,
        criterion_id,
        clock.now(),
        label=body.label,
        scale=body.scale,
        weight=body.weight,
        retired=body.retired,
        **extra,  # type: ignore[arg-type]
    )
    detail = {"change": "criterion_changed", "criterion_id": criterion_id, "fields": sorted(given)}
    _audit(db, clock, principal, detail)
    return QaCriterionPublic.model_validate(row)


@router.put("/api/qa/rubric/order", response_model=RubricOut)
def reorder_rubric(body: OrderIn, principal: Admin, db: DbDep, clock: ClockDep) -> RubricOut:
    """Put the criteria in a new order (every criterion named once)."""
    rows = qa_rubric.reorder(db, body.ids)
    _audit(db, clock, principal, {"change": "rubric_reordered", "ids": body.ids})
    return RubricOut(criteria=[QaCriterionPublic.model_validate(c) for c in rows])


@router.get("/api/sessions/{session_id}/qa", response_model=CallQaPublic)
def get_call_qa(access: CallQaReader, db: DbDep) -> CallQaPublic:
    """The call's scores (one per reviewer) and comments by video time."""
    return qa_scores.call_qa(db, access.call)


@router.put(
    "/api/sessions/{session_id}/qa/score",
    response_model=QaScorePublic,
    responses={409: {"description": "the call has not ended or nobody answered it"}},
)
def put_score(body: ScoreIn, access: CallReviewer, db: DbDep, clock: ClockDep) -> QaScorePublic:
    """Give or update your own score of the call: a value for every active criterion."""
    return qa_scores.save_score(
        db,
        access.call,
        access.principal.user_id or 0,
        [(i.criterion_id, i.value) for i in body.items],
        clock.now(),
    )


@router.post(
    "/api/sessions/{session_id}/qa/comments",
    status_code=201,
    response_model=QaCommentPublic,
    responses={409: {"description": "the call has no ready review video"}},
)
def add_comment(
    body: CommentIn, access: CallReviewer, db: DbDep, clock: ClockDep
) -> QaCommentPublic:
    """A comment at a time of the review video (0 to its length)."""
    return qa_scores.add_comment(
        db, access.call, access.principal.user_id or 0, body.video_ms, body.text, clock.now()
    )


@router.delete("/api/sessions/{session_id}/qa/comments/{comment_id}", status_code=204)
def delete_comment(comment_id: CommentId, access: CallReviewer, db: DbDep) -> Response:
    """Delete a comment: its author or an admin (403 for another reviewer)."""
    user = access.principal.user
    assert user is not None  # no key reaches a reviewer's route
    qa_scores.delete_comment(db, access.call, comment_id, user)
    return Response(status_code=204)


@router.get("/api/qa/calls", response_model=QaCallsOut)
def scored_calls(
    principal: AnyStaff,
    db: DbDep,
    agent_id: Annotated[
        int | None,
        Query(ge=1, le=DB_ID_MAX, description="the agent (an agent: their own id or none)"),
    ] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> QaCallsOut:
    """The calls that have a score or a comment, newest first: an agent's own; a
    supervisor's or admin's choice of agent (all agents without ``agent_id``)."""
    user = principal.user
    assert user is not None
    if user.role == Role.agent:
        if agent_id is not None and agent_id != user.id:
            raise NotFound("no scored calls of this agent for you")
        agent_id = user.id
    items, total = qa_scores.agent_calls(db, agent_id, page=page, per_page=per_page)
    return QaCallsOut(items=items, total=total, page=page, per_page=per_page)
