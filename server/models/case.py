"""A buyer's case: what they recorded without a live agent (submissions of clips and
photos, uploaded by tus), the agent's replies, and its verdict. Calls made from the same
link belong to the same case (joined by ``link_id``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime
from server.models.call import (
    OUTCOME_NOTE_MAX_CHARS,
    OVERRIDE_REASON_MAX_CHARS,
    OutcomeChangePublic,
)
from server.models.public import PUBLIC_CONFIG

CASE_NOTE_MAX_CHARS = 2000
REPLY_MAX_CHARS = 1000
STEP_MAX_CHARS = 32


class Case(SQLModel, table=True):
    """One per link, made by the first upload from it."""

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="link.id", unique=True, index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    outcome: str | None = Field(default=None, max_length=32)
    decision: str | None = Field(default=None, max_length=32)
    outcome_note: str | None = Field(default=None, max_length=1000)
    outcome_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    outcome_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # when retention deleted its clips and photos (the case row keeps its verdict)
    media_deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    review_state: str | None = Field(default=None, max_length=16)


class CaseOutcomeChange(SQLModel, table=True):
    """One change of a case's verdict, as ``OutcomeChange`` is for a call (the same
    columns): set by the agent, confirmed or overridden by a supervisor. Never updated,
    only appended (``by_user_id`` is null only for a verdict carried over from before
    there was a history, when its author was not kept)."""

    __tablename__ = "case_outcome_change"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    action: str = Field(max_length=16)
    outcome: str | None = Field(default=None, max_length=32)
    decision: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, max_length=OUTCOME_NOTE_MAX_CHARS)
    reason: str | None = Field(default=None, max_length=OVERRIDE_REASON_MAX_CHARS)
    by_user_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CaseOutcomeChangePublic(OutcomeChangePublic):
    """A case's verdict change with the name of who made it: a call's shape."""

    by_user_id: int | None  # type: ignore[assignment]


class CaseSubmission(SQLModel, table=True):
    """The buyer pressed submit: their note, and the files uploaded until then."""

    __tablename__ = "case_submission"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    note: str | None = Field(default=None, max_length=CASE_NOTE_MAX_CHARS)
    locale: str | None = Field(default=None, max_length=35)
    timezone: str | None = Field(default=None, max_length=64, description="the buyer's IANA zone")
    submitted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CaseFileBase(SQLModel):
    """A file's columns the API shows. ``state``: uploading -> ready (refused files are
    deleted with their row)."""

    step: str = Field(max_length=STEP_MAX_CHARS)
    kind: str = Field(sa_type=String(8), description="clip or photo")
    state: str = Field(max_length=16, description="uploading or ready")
    length: int = Field(description="bytes announced (Upload-Length)")
    offset: int = Field(default=0, description="bytes received and stored")
    content_type: str | None = Field(default=None, max_length=64)
    container: str | None = Field(default=None, max_length=32)
    codecs: str | None = Field(default=None, max_length=64)
    duration_ms: int | None = None
    width: int | None = None
    height: int | None = None
    sha256: str | None = Field(default=None, max_length=64)
    submission_id: int | None = Field(default=None, foreign_key="case_submission.id")
    source_file_id: int | None = Field(
        default=None,
        foreign_key="case_file.id",
        description="a still's clip: the agent took this photo from it",
    )
    source_t_ms: int | None = Field(
        default=None, description="a still's moment in its clip, in milliseconds"
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CaseFile(CaseFileBase, table=True):
    """One upload of a case; ``upload_id`` names it in ``/api/uploads/{upload_id}``."""

    __tablename__ = "case_file"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    upload_id: str = Field(max_length=64, unique=True, index=True)
    storage_key: str = Field(max_length=255)


class CaseFilePublic(CaseFileBase):
    model_config = PUBLIC_CONFIG

    id: int
    upload_id: str
    url: str

    @classmethod
    def from_row(cls, row: CaseFile) -> CaseFilePublic:
        return cls.model_validate(row, update={"url": f"/api/cases/{row.case_id}/files/{row.id}"})


class CaseReply(SQLModel, table=True):
    """The agent's answer the buyer reads when they reopen the link: free text, or a
    quick phrase's key (shown in the buyer's language), or an invitation to a live call
    at ``invite_at`` (with an optional text)."""

    __tablename__ = "case_reply"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    text: str | None = Field(default=None, max_length=REPLY_MAX_CHARS)
    phrase_key: str | None = Field(default=None, max_length=64)
    by_user_id: int | None = Field(default=None, foreign_key="user.id")
    invite_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CaseSteps(SQLModel, table=True):
    """A shop's own recording steps for one purpose (no row: the shipped ones). ``steps``:
    ``[{"key", "prompts": {locale: text}, "clip": bool, "photos": bool}]``, as
    ``server.evidence.case_steps`` checks them."""

    __tablename__ = "case_steps"

    purpose: str = Field(primary_key=True, max_length=32)
    steps: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_by_user_id: int | None = Field(default=None, foreign_key="user.id")
