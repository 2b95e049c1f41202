"""Calls ("sessions" in the API) and their timeline events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime


class Call(SQLModel, table=True):
    """One call: from the buyer's consent (or decline) to its end reason."""

    id: str = Field(primary_key=True, max_length=64)
    link_id: int = Field(foreign_key="link.id", index=True)
    order_ref: str = Field(max_length=100, index=True)
    purpose: str = Field(max_length=32)
    locale: str | None = Field(default=None, max_length=35)
    buyer_name: str | None = Field(default=None, max_length=100)
    state: str = Field(max_length=16, index=True)
    agent_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    end_reason: str | None = Field(default=None, max_length=32)


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
