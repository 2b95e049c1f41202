"""The shop's support hours: one row at most (none: no hours set, support always open)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime


class SupportHours(SQLModel, table=True):
    """The weekly schedule (``week``: ``mon``..``sun`` -> ``["09:00-17:00", ...]``) in
    ``timezone`` and the ``closed_dates`` (ISO dates), as ``server.hours.schedule`` reads
    them. Who changed it last and when; every change is also in the audit log."""

    __tablename__ = "support_hours"

    id: int | None = Field(default=None, primary_key=True)
    timezone: str = Field(max_length=64)
    week: dict[str, list[str]] = Field(sa_column=Column(JSON, nullable=False))
    closed_dates: list[str] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_by: int | None = Field(default=None, foreign_key="user.id")
