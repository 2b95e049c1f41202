"""The event types and their bodies (version 1).

Every event is ``{"id": "evt_...", "type", "timestamp", "version": 1, "data": {...}}``.
``data`` only ever gains fields within a version; a field changing its meaning or going
away makes a new version (docs/webhooks.md).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, Field

EVENT_VERSION: Final = 1
EVENT_ID_PREFIX: Final = "evt_"

EventType = Literal[
    "call.waiting",
    "call.live",
    "call.ended",
    "outcome.set",
    "outcome.changed",
    "photo.added",
    "recording.ready",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]


def new_event_id() -> str:
    """An event's id: ``evt_`` and 24 random characters; also the ``webhook-id``."""
    return EVENT_ID_PREFIX + secrets.token_urlsafe(18)


def iso(moment: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC with a ``Z``, or None."""
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def envelope(event_type: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The whole body of a new event of ``event_type`` happening at ``now``."""
    return {
        "id": new_event_id(),
        "type": event_type,
        "timestamp": iso(now),
        "version": EVENT_VERSION,
        "data": data,
    }


# -- the bodies, as the OpenAPI document's ``webhooks`` section describes them ------------


class CallData(BaseModel):
    """A call as call.waiting, call.live and call.ended describe it."""

    call_id: str = Field(description="the call's id (a session in the API)")
    order_ref: str
    purpose: str = Field(description="damage, demo or inspection")
    state: str = Field(description="waiting, live, reconnecting or ended")
    created_at: str = Field(description="ISO 8601, UTC: the buyer's consent")
    answered_at: str | None
    ended_at: str | None
    end_reason: str | None = Field(description="set on call.ended")
    agent_id: int | None = Field(description="the staff user who answered")


class OutcomeData(BaseModel):
    """A verdict: outcome.set (the agent's, or a supervisor's on an untagged call) and
    outcome.changed (a supervisor's confirm or override)."""

    call_id: str
    order_ref: str
    action: str = Field(description="set, confirm or override")
    outcome: str | None
    decision: str | None
    note: str | None
    reason: str | None = Field(description="an override's reason")
    by_user_id: int


class PhotoData(BaseModel):
    """photo.added: a photo the buyer's device took during the call."""

    call_id: str
    order_ref: str
    photo_id: int
    content_type: str
    size_bytes: int
    width: int
    height: int
    sha256: str
    t_ms: int = Field(description="milliseconds since the call was created")


class RecordingData(BaseModel):
    """recording.ready: the call's review file is made."""

    call_id: str
    order_ref: str
    recording_id: int
    content_type: str
    size_bytes: int | None
    duration_ms: int | None
    sha256: str | None


class Event(BaseModel):
    """The envelope every event has."""

    id: str = Field(description="evt_...; the same in webhook-id, and on every retry")
    type: str
    timestamp: str = Field(description="ISO 8601, UTC: when it happened")
    version: Literal[1] = 1


class CallEventBody(Event):
    data: CallData


class OutcomeEventBody(Event):
    data: OutcomeData


class PhotoEventBody(Event):
    data: PhotoData


class RecordingEventBody(Event):
    data: RecordingData


BODIES: dict[str, tuple[type[Event], str]] = {
    "call.waiting": (CallEventBody, "A buyer consented and waits in the queue."),
    "call.live": (CallEventBody, "An agent answered the call."),
    "call.ended": (CallEventBody, "The call ended; data.end_reason says why."),
    "outcome.set": (OutcomeEventBody, "The call's verdict was set."),
    "outcome.changed": (OutcomeEventBody, "A supervisor confirmed or overrode the verdict."),
    "photo.added": (PhotoEventBody, "The buyer's device took a photo during the call."),
    "recording.ready": (RecordingEventBody, "The call's review file is ready."),
}
assert set(BODIES) == set(EVENT_TYPES)
