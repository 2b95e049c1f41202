"""The event types and their bodies (version 1).

Every event is ``{"id": "evt_...", "type", "timestamp", "version": 1, "data": {...}}``.
``data`` only ever gains fields within a version; a field changing its meaning or going
away makes a new version (docs/webhooks.md).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.models.order import OrderPublic


class OrderData(OrderPublic):
    """The order as the bodies carry it: ``OrderPublic``, every field present (null when
    not given); described as it is sent, not as a request the server would check."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_serialization_defaults_required=True,
        json_schema_mode_override="serialization",
    )


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
    "case.submitted",
    "case.outcome_set",
    "case.replied",
    "case.outcome_changed",
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
    order: OrderData | None = Field(
        description="the order the call is about, as its link had it when the call was "
        "made; null when the link had none"
    )


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
    order: OrderData | None = Field(description="the call's order; null when none")


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


class CaseFileData(BaseModel):
    """One file of a case's submission, checked by its content."""

    file_id: int
    step: str = Field(description="the guided step it was recorded for, e.g. outer_box")
    kind: str = Field(description="clip or photo")
    content_type: str | None
    duration_ms: int | None = Field(description="a clip's length; null for a photo")
    width: int | None
    height: int | None
    sha256: str = Field(description="hex SHA-256 of the file as stored (a photo's clean copy)")


class CaseRef(BaseModel):
    """What every case.* event says of the case."""

    case_id: int = Field(description="GET /api/cases/{case_id}")
    link_id: int
    order_ref: str
    purpose: str = Field(description="the link's purpose")
    order: OrderData | None = Field(description="the link's order; null when none")


class CaseSubmittedData(CaseRef):
    """case.submitted: the buyer submitted what they recorded, with their note."""

    submission_id: int
    note: str | None
    locale: str | None = Field(description="the buyer page's language")
    submitted_at: str = Field(description="ISO 8601, UTC")
    files: list[CaseFileData] = Field(description="the files this submission sent, in order")


class CaseOutcomeData(CaseRef):
    """case.outcome_set: an agent (or a supervisor, on an untagged case) set the case's
    verdict; case.outcome_changed: a supervisor confirmed or overrode it, as
    outcome.changed is for a call."""

    action: str = Field(description="set, confirm or override")
    outcome: str
    decision: str | None
    note: str | None = Field(description="the note given with a set; null otherwise")
    reason: str | None = Field(description="an override's reason")
    by_user_id: int | None = Field(description="who made this change")


class CaseReplyData(CaseRef):
    """case.replied: an agent answered the buyer, who reads it when they reopen the link."""

    reply_id: int
    text: str = Field(description="what the buyer reads: the agent's text, or the phrase")
    phrase_id: int | None = Field(description="the quick phrase sent; null for free text")
    locale: str = Field(description="the language the buyer reads a quick phrase in")
    by_user_id: int | None
    invite_at: str | None = Field(
        default=None, description="an invitation to a live call at this time (UTC); else null"
    )


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


class CaseSubmittedEventBody(Event):
    data: CaseSubmittedData


class CaseOutcomeEventBody(Event):
    data: CaseOutcomeData


class CaseReplyEventBody(Event):
    data: CaseReplyData


BODIES: dict[str, tuple[type[Event], str]] = {
    "call.waiting": (CallEventBody, "A buyer consented and waits in the queue."),
    "call.live": (CallEventBody, "An agent answered the call."),
    "call.ended": (CallEventBody, "The call ended; data.end_reason says why."),
    "outcome.set": (OutcomeEventBody, "The call's verdict was set."),
    "outcome.changed": (OutcomeEventBody, "A supervisor confirmed or overrode the verdict."),
    "photo.added": (PhotoEventBody, "The buyer's device took a photo during the call."),
    "recording.ready": (RecordingEventBody, "The call's review file is ready."),
    "case.submitted": (CaseSubmittedEventBody, "A buyer submitted recorded evidence."),
    "case.outcome_set": (CaseOutcomeEventBody, "An agent set a recorded case's verdict."),
    "case.replied": (CaseReplyEventBody, "An agent replied to a recorded case's buyer."),
    "case.outcome_changed": (
        CaseOutcomeEventBody,
        "A supervisor confirmed or overrode a recorded case's verdict.",
    ),
}
assert set(BODIES) == set(EVENT_TYPES)
