"""Calls ("sessions" in the API) and their timeline events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from server.db import EnumText, UTCDateTime
from signaling.vocabulary import CallState, Decision, EndReason, Outcome, Purpose

OUTCOME_NOTE_MAX_CHARS = 2000
OVERRIDE_REASON_MAX_CHARS = 2000


class Call(SQLModel, table=True):
    """One call: from the buyer's consent (or decline) to its end reason.

    ``outcome`` is null until the agent tags the call (an ended untagged call shows up
    for supervisors); every change is kept in ``OutcomeChange``.
    """

    __table_args__ = (
        Index("ix_call_outcome_created", "outcome", "created_at"),
        Index("ix_call_agent_created", "agent_id", "created_at"),
        Index("ix_call_purpose_created", "purpose", "created_at"),
        Index("ix_call_decision_created", "decision", "created_at"),
        # counts per outcome under a purpose or agent filter come from the index alone
        Index("ix_call_purpose_outcome", "purpose", "outcome"),
        Index("ix_call_agent_outcome", "agent_id", "outcome"),
    )

    id: str = Field(primary_key=True, max_length=64)
    link_id: int = Field(foreign_key="link.id", index=True)
    order_ref: str = Field(max_length=100, index=True)
    purpose: Purpose = Field(sa_type=EnumText(Purpose, 32))
    locale: str | None = Field(default=None, max_length=35)
    buyer_name: str | None = Field(default=None, max_length=100)
    state: CallState = Field(sa_type=EnumText(CallState, 16), index=True)
    agent_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    end_reason: EndReason | None = Field(default=None, sa_type=EnumText(EndReason, 32))
    outcome: Outcome | None = Field(default=None, sa_type=EnumText(Outcome, 32))
    decision: Decision | None = Field(default=None, sa_type=EnumText(Decision, 16))
    outcome_note: str | None = Field(default=None, max_length=OUTCOME_NOTE_MAX_CHARS)
    outcome_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    outcome_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    review_state: str | None = Field(default=None, max_length=16)  # confirmed | overridden


class OutcomeChange(SQLModel, table=True):
    """One change of a call's verdict: set by the agent, confirmed or overridden by a
    supervisor (an override carries a reason). Never updated, only appended."""

    __tablename__ = "outcome_change"

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64, index=True)
    action: str = Field(max_length=16)  # set | confirm | override
    outcome: Outcome | None = Field(default=None, sa_type=EnumText(Outcome, 32))
    decision: Decision | None = Field(default=None, sa_type=EnumText(Decision, 16))
    note: str | None = Field(default=None, max_length=OUTCOME_NOTE_MAX_CHARS)
    reason: str | None = Field(default=None, max_length=OVERRIDE_REASON_MAX_CHARS)
    by_user_id: int = Field(foreign_key="user.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CallEvent(SQLModel, table=True):
    """A timeline entry of a call; ``t_ms`` is relative to the call's start."""

    __tablename__ = "call_event"
    __table_args__ = (Index("ix_call_event_call_t", "call_id", "t_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64)
    kind: str = Field(max_length=32)
    t_ms: int
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
