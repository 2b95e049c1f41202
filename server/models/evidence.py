"""A call's evidence: recordings (per-track files and the review file) and photos,
and the audit log of who looked at them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime

CAPTION_MAX_CHARS = 500


class Recording(SQLModel, table=True):
    """One media file of a call, stored under ``storage_key``.

    ``kind`` is ``track`` (one encoded track as it arrived: ``track`` names it, e.g.
    ``buyer_video``; ``segment`` counts reconnects) or ``review`` (the playable file made
    after the call). ``state``: recording -> finalizing -> ready | failed.
    """

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64, index=True)
    kind: str = Field(max_length=16)
    track: str | None = Field(default=None, max_length=32)
    segment: int = 0
    storage_key: str = Field(max_length=255)
    content_type: str = Field(max_length=64)
    codec: str | None = Field(default=None, max_length=32)
    state: str = Field(max_length=16, index=True)
    progress: int = 0  # percent, while a review file is being made
    start_offset_ms: int = 0  # from the call's start
    duration_ms: int | None = None
    size_bytes: int | None = None
    sha256: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class Photo(SQLModel, table=True):
    """A full-resolution still taken by the buyer's device during a call."""

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64, index=True)
    storage_key: str = Field(max_length=255)
    content_type: str = Field(max_length=32)
    size_bytes: int
    width: int
    height: int
    sha256: str = Field(max_length=64)
    t_ms: int  # from the call's start
    caption: str | None = Field(default=None, max_length=CAPTION_MAX_CHARS)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AuditEntry(SQLModel, table=True):
    """Who viewed which recording or photo, when."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    action: str = Field(max_length=32)  # view_recording | view_photo
    call_id: str = Field(max_length=64, index=True)
    object_id: int | None = None
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
