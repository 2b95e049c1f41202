"""A call's remote inspection: one row per call of purpose ``remote_inspection``, its
checklist, photos per item, the buyer's decisions and sign-off kept as one JSON state
(``server.inspections.checklist`` holds its rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime


class Inspection(SQLModel, table=True):
    """The inspection of call ``call_id`` (at most one per call)."""

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64, unique=True, index=True)
    template: str = Field(max_length=64)
    state: dict[str, Any] = Field(sa_column=Column(JSON(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class InspectionTemplates(SQLModel, table=True):
    """The shop's own checklist templates, the whole set in one row (``id`` 1; no row: the
    shipped ones). ``templates``: ``[{"key", "category", "name": {locale: text}, "items":
    [{"key", "label": {locale: text}, "photos": int}]}]``, as
    ``server.inspections.templates`` checks them."""

    __tablename__ = "inspection_templates"

    id: int = Field(default=1, primary_key=True)
    templates: list[dict[str, Any]] = Field(sa_column=Column(JSON(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_by_user_id: int | None = Field(default=None, foreign_key="user.id")
