"""A call's evidence: recordings (per-track files and the review file) and photos,
and the audit log of who looked at them.

Each table comes with its public shape (``RecordingPublic``, ``PhotoPublic``,
``AuditEntryPublic``): what the API answers, with the columns of the shared ``...Base``
and never the storage key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime
from server.models.public import PUBLIC_CONFIG

CAPTION_MAX_CHARS = 500

RecordingKind = Literal["track", "review"]


class RecordingBase(SQLModel):
    """A recording's columns the API shows.

    ``kind`` is ``track`` (one encoded track as it arrived: ``track`` names it, e.g.
    ``buyer_video``; ``segment`` counts reconnects) or ``review`` (the playable file made
    after the call). ``state``: recording -> finalizing -> ready | failed.
    """

    kind: RecordingKind | str = Field(sa_type=String(16))
    track: str | None = Field(default=None, max_length=32)
    segment: int = 0
    content_type: str = Field(max_length=64)
    codec: str | None = Field(default=None, max_length=32)
    state: str = Field(
        max_length=16, index=True, description="recording, finalizing, ready or failed"
    )
    progress: int = Field(default=0, description="percent done, while a review file is being made")
    start_offset_ms: int = Field(default=0, description="where the file starts on the call's clock")
    duration_ms: int | None = None
    size_bytes: int | None = None
    sha256: str | None = Field(default=None, max_length=64)


class Recording(RecordingBase, table=True):
    """One media file of a call, stored under ``storage_key``."""

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64, index=True)
    storage_key: str = Field(max_length=255)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class RecordingPublic(RecordingBase):
    """A recording as the API shows it: ``url`` serves the file (the review file has its
    own address, ``/api/sessions/{id}/recording``)."""

    model_config = PUBLIC_CONFIG

    id: int
    url: str

    @classmethod
    def from_row(cls, row: Recording) -> RecordingPublic:
        url = (
            f"/api/sessions/{row.call_id}/recording"
            if row.kind == "review"
            else f"/api/sessions/{row.call_id}/recordings/{row.id}"
        )
        return cls.model_validate(row, update={"url": url})


class PhotoBase(SQLModel):
    """A photo's columns the API shows."""

    content_type: str = Field(max_length=32)
    size_bytes: int
    width: int
    height: int
    sha256: str = Field(max_length=64, description="of the file kept (and served)")
    original_sha256: str | None = Field(
        default=None,
        max_length=64,
        description="of the upload as it arrived, before its metadata was removed",
    )
    t_ms: int = Field(description="milliseconds from the call's start")
    caption: str | None = Field(default=None, max_length=CAPTION_MAX_CHARS)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Photo(PhotoBase, table=True):
    """A full-resolution still taken by the buyer's device during a call."""

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64, index=True)
    storage_key: str = Field(max_length=255)


class PhotoPublic(PhotoBase):
    """A photo as the API shows it: ``url`` serves the image."""

    model_config = PUBLIC_CONFIG

    id: int
    url: str

    @classmethod
    def from_row(cls, row: Photo) -> PhotoPublic:
        url = f"/api/sessions/{row.call_id}/photos/{row.id}"
        return cls.model_validate(row, update={"url": url})


class AuditEntryBase(SQLModel):
    """An audit entry's columns the API shows."""

    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    user_id: int | None = Field(
        default=None, foreign_key="user.id", index=True, description="the staff member's id"
    )
    api_key_id: int | None = Field(
        default=None, foreign_key="api_key.id", index=True, description="or the API key's id"
    )
    action: str = Field(
        max_length=32,
        description="what was done (view_recording, view_photo, view_chat, user_created, "
        "user_changed, link_revoked, hold_add, hold_remove, erase_order, export_order, "
        "retention_run); neither a user nor a key: the system did it",
    )
    call_id: str | None = Field(default=None, max_length=64, index=True)
    object_id: int | None = Field(default=None, description="the recording's or photo's id")
    detail: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON), description="what the action did"
    )


class AuditEntry(AuditEntryBase, table=True):
    """Who viewed which recording or photo, when."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)


class AuditEntryPublic(AuditEntryBase):
    """An audit entry with the viewer's email and name (null when no account matches), or
    the name of the API key that viewed."""

    model_config = PUBLIC_CONFIG

    id: int
    user_email: str | None
    user_name: str | None
    api_key_name: str | None = None
    order_ref: str | None = Field(
        default=None, description="the order of the call the entry is about, if any"
    )
