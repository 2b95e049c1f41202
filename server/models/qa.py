"""QA scores: the shop's rubric (``QaCriterion``), a reviewer's score of a call
(``QaScore`` with one ``QaScoreItem`` per criterion) and comments pinned to a moment of
the call's review video (``QaComment``).

A criterion is never deleted: a retired one (``retired_at`` set) is no longer offered
for a new score but stays on the scores that have it. Each item keeps the scale and the
weight its value was given against, and the score keeps its total, so a later change of
the rubric never rewrites an old score.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime
from server.models.public import PUBLIC_CONFIG

CRITERION_LABEL_MAX_CHARS = 80
CRITERION_HINT_MAX_CHARS = 300
COMMENT_MAX_CHARS = 1000
WEIGHT_MIN, WEIGHT_MAX = 1, 100
POINTS_MIN, POINTS_MAX = 2, 10  # a points scale runs from 1 to ``points``

QaScale = Literal["pass_fail", "points"]


class QaCriterionBase(SQLModel):
    """A criterion's columns the API shows."""

    label: str = Field(max_length=CRITERION_LABEL_MAX_CHARS)
    hint: str | None = Field(
        default=None, max_length=CRITERION_HINT_MAX_CHARS, description="what to look for"
    )
    scale: QaScale = Field(
        sa_type=String(16), description="pass_fail: 0 (fail) or 1 (pass); points: 1 to points"
    )
    points: int | None = Field(
        default=None, description="the top of a points scale (2-10); null for pass_fail"
    )
    weight: int = Field(description="its share of the total, relative to the others (1-100)")
    position: int = Field(default=0, description="order on the form")
    retired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class QaCriterion(QaCriterionBase, table=True):
    """One criterion of the shop's rubric."""

    __tablename__ = "qa_criterion"

    id: int | None = Field(default=None, primary_key=True)


class QaCriterionPublic(QaCriterionBase):
    model_config = PUBLIC_CONFIG

    id: int


class QaScore(SQLModel, table=True):
    """One reviewer's score of one call (a reviewer updates their own)."""

    __tablename__ = "qa_score"
    __table_args__ = (UniqueConstraint("call_id", "reviewer_id", name="uq_qa_score_reviewer"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64, index=True)
    reviewer_id: int = Field(foreign_key="user.id")
    agent_id: int = Field(foreign_key="user.id", index=True)
    total_pct: float
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class QaScoreItem(SQLModel, table=True):
    """A score's value for one criterion, with the scale and weight it was given against."""

    __tablename__ = "qa_score_item"

    score_id: int = Field(foreign_key="qa_score.id", primary_key=True)
    criterion_id: int = Field(foreign_key="qa_criterion.id", primary_key=True)
    value: int
    scale: str = Field(max_length=16)
    points: int | None = None
    weight: int


class QaComment(SQLModel, table=True):
    """A reviewer's comment at a moment of the call's review video."""

    __tablename__ = "qa_comment"

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64, index=True)
    author_id: int = Field(foreign_key="user.id")
    video_ms: int = Field(description="milliseconds from the start of the review video")
    text: str = Field(max_length=COMMENT_MAX_CHARS)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class QaScoreItemPublic(SQLModel):
    """A score's value for one criterion, as given (its scale and weight then)."""

    model_config = PUBLIC_CONFIG

    criterion_id: int
    label: str = Field(description="the criterion's label now")
    retired: bool = Field(description="the criterion is retired now")
    value: int
    scale: str
    points: int | None
    weight: int


class QaScorePublic(SQLModel):
    """One reviewer's score of a call; ``total_pct`` is the weighted total (0-100) as it
    was given, each value as a share of its scale (pass 1, fail 0; points (v-1)/(top-1))."""

    model_config = PUBLIC_CONFIG

    id: int
    call_id: str
    reviewer_id: int
    reviewer_name: str | None
    agent_id: int
    total_pct: float
    created_at: datetime
    updated_at: datetime
    items: list[QaScoreItemPublic]


class QaCommentPublic(SQLModel):
    """A comment at ``video_ms`` of the call's review video."""

    model_config = PUBLIC_CONFIG

    id: int
    call_id: str
    author_id: int
    author_name: str | None
    video_ms: int
    text: str
    created_at: datetime


class CallQaPublic(SQLModel):
    """A call's scores (one per reviewer) and comments (by video time)."""

    model_config = PUBLIC_CONFIG

    call_id: str
    scorable: bool = Field(description="ended and answered by an agent: it may be scored")
    video_duration_ms: int | None = Field(
        description="the ready review video's length (comments fall within it); null: none"
    )
    scores: list[QaScorePublic]
    comments: list[QaCommentPublic]


class QaCallPublic(CallQaPublic):
    """A scored or commented call as an agent's QA page lists it."""

    order_ref: str
    created_at: datetime
    agent_id: int | None
    agent_name: str | None
    recording_url: str | None = Field(description="the review video, when it is ready")
