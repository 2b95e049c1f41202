"""Calls ("sessions" in the API), their timeline events and their verdict's history.

Each table comes with its public shape, what the API answers: ``CallPublic`` (a call in
the review list), ``CallDetailPublic`` (one call with its timeline, evidence, history and
chat), ``CallEventPublic``, ``OutcomeChangePublic`` and ``ChatLine``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, BigInteger, Column, Index, String
from sqlmodel import Field, SQLModel

from server.db import EnumText, UTCDateTime
from server.models.evidence import PhotoPublic, RecordingPublic
from server.models.order import OrderPublic
from server.models.public import PUBLIC_CONFIG
from signaling.vocabulary import CallState, Decision, EndReason, Purpose

OUTCOME_NOTE_MAX_CHARS = 2000
HOLD_REASON_MAX_CHARS = 500
OVERRIDE_REASON_MAX_CHARS = 2000

ReviewState = Literal["confirmed", "overridden"]
ConsentDecision = Literal["accepted", "declined"]
VerdictAction = Literal["set", "confirm", "override"]


class CallBase(SQLModel):
    """A call's columns the API shows."""

    id: str = Field(primary_key=True, max_length=64)
    order_ref: str = Field(max_length=100, index=True)
    purpose: Purpose = Field(sa_type=EnumText(Purpose, 32))
    locale: str | None = Field(default=None, max_length=35)
    buyer_name: str | None = Field(default=None, max_length=100)
    consent_decision: ConsentDecision | None = Field(
        default=None, sa_type=String(16), description="accepted or declined"
    )
    consent_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime()), description="when the buyer decided"
    )
    consent_locale: str | None = Field(
        default=None, max_length=35, description="the language of the consent text the buyer saw"
    )
    consent_version: int | None = Field(
        default=None,
        description="its version (of this purpose and locale); null: a page that did not say",
    )
    buyer_timezone: str | None = Field(
        default=None, max_length=64, description="the buyer's IANA time zone, from the page"
    )
    state: CallState = Field(
        sa_type=EnumText(CallState, 16),
        index=True,
        description="waiting, live, reconnecting or ended",
    )
    end_reason: EndReason | None = Field(default=None, sa_type=EnumText(EndReason, 32))
    agent_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    outcome: str | None = Field(
        default=None,
        sa_type=String(32),
        description="a code of the shop's outcome taxonomy (GET /api/outcome-taxonomy); "
        "null until tagged",
    )
    decision: Decision | None = Field(default=None, sa_type=EnumText(Decision, 16))
    outcome_note: str | None = Field(default=None, max_length=OUTCOME_NOTE_MAX_CHARS)
    outcome_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    review_state: ReviewState | None = Field(default=None, sa_type=String(16))


FILTERED_FIGURES = (
    "purpose",
    "outcome",
    "decision",
    "answered_at",
    "ended_at",
    "end_reason",
    "answer_us",
    "handle_us",
    "agent_id",
    "carrier_key",
    "channel_key",
    "buyer_country",
    "id",
)
"""What the analytics read of a call under an agent, carrier, channel or country filter:
each of those indexes (the filter, created_at) carries them, so a filtered period's
figures come from the index alone (server.evidence.analytics_rollup)."""


def _without(column: str) -> list[str]:
    return [c for c in FILTERED_FIGURES if c != column]


class Call(CallBase, table=True):
    """One call: from the buyer's consent (or decline) to its end reason.

    ``outcome`` is null until the agent tags the call (an ended untagged call shows up
    for supervisors); every change is kept in ``OutcomeChange``.
    """

    __table_args__ = (
        Index("ix_call_outcome_created", "outcome", "created_at"),
        Index("ix_call_agent_created", "agent_id", "created_at", *_without("agent_id")),
        Index("ix_call_purpose_created", "purpose", "created_at"),
        Index("ix_call_decision_created", "decision", "created_at"),
        # counts per outcome under a purpose, agent or decision filter come from the
        # index alone
        Index("ix_call_purpose_outcome", "purpose", "outcome"),
        Index("ix_call_agent_outcome", "agent_id", "outcome"),
        Index("ix_call_decision_outcome", "decision", "outcome"),
        # the review list's order filters, newest first (the SKUs: ``call_sku``)
        Index("ix_call_carrier_created", "carrier_key", "created_at", *_without("carrier_key")),
        Index("ix_call_channel_created", "channel_key", "created_at", *_without("channel_key")),
        Index("ix_call_country_created", "buyer_country", "created_at", *_without("buyer_country")),
        Index("ix_call_carrier_outcome", "carrier_key", "outcome"),
        Index("ix_call_channel_outcome", "channel_key", "outcome"),
        Index("ix_call_country_outcome", "buyer_country", "outcome"),
        # the analytics: a period's calls with every column their figures read, from the
        # index alone (server.evidence.analytics)
        Index(
            "ix_call_analytics",
            *[
                "created_at",
                "outcome",
                "decision",
                "answered_at",
                "ended_at",
                "end_reason",
                "agent_id",
                "carrier_key",
                "channel_key",
                "buyer_country",
                "purpose",
                "id",
            ],
        ),
        # an answer / handle time percentile: the roll-up's histogram names the whole
        # second it falls in, these read that second's calls in order (models/rollup.py)
        Index("ix_call_answer_us", "answer_us", "created_at"),
        Index("ix_call_handle_us", "handle_us", "created_at"),
    )

    link_id: int = Field(foreign_key="link.id", index=True)
    # answered_at - created_at and ended_at - answered_at in microseconds, kept by the
    # roll-up's flush hook (server.models.rollup); null when not answered / not ended
    answer_us: int | None = Field(default=None, sa_column=Column(BigInteger()))
    handle_us: int | None = Field(default=None, sa_column=Column(BigInteger()))
    outcome_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    # a legal hold keeps the call's evidence from retention and erasure until it is lifted
    hold_reason: str | None = Field(default=None, max_length=HOLD_REASON_MAX_CHARS)
    hold_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    hold_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # when its recordings, photos and chat were deleted (retention or erasure)
    media_deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    erased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # the buyer's connection as the relay measured it (``CallQuality``), stored at the end
    quality: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # the order of its link when the call was made (``OrderIn`` as JSON), and its values
    # as the review list filters them (``server.models.order.order_keys``)
    order: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    carrier_key: str | None = Field(default=None, max_length=64)
    channel_key: str | None = Field(default=None, max_length=64)
    buyer_country: str | None = Field(default=None, max_length=2)
    # the node whose relay carries the call (server/infra/cluster.py); restart recovery
    # ends only the open calls of nodes that are gone. Null: made before nodes were named.
    node_id: str | None = Field(default=None, max_length=64)


class CallQuality(BaseModel):
    """How the buyer's connection was during the call, as the server measured it (the
    buyer's media at the relay): a gap in the recording with freezes here was the network."""

    freezes: int = PydanticField(
        ge=0, description="times the buyer's media stopped for at least half a second"
    )
    worst_stall_ms: int = PydanticField(ge=0, description="the longest of those stops")
    loss_pct: float | None = PydanticField(
        ge=0, le=100, description="packets from the buyer lost on the way (percent)"
    )
    rtt_ms: int | None = PydanticField(
        ge=0, description="round trip between the server and the buyer (median)"
    )
    poor: bool = PydanticField(
        description="the network was poor: a freeze, 3% loss or more, or 400 ms or more"
    )


def _duration_s(call: Call) -> float | None:
    if call.answered_at is None:
        return None
    end = call.ended_at or call.answered_at
    return round((end - call.answered_at).total_seconds(), 1)


class CallPublic(CallBase):
    """A call in the review list."""

    model_config = PUBLIC_CONFIG

    agent_name: str | None
    duration_s: float | None = Field(description="from answer to end (seconds)")

    @classmethod
    def from_row(cls, call: Call, names: dict[int, str], **more: Any) -> Self:
        """The call's public shape; ``names`` maps user ids to names (the agent's), and
        ``more`` gives the fields a subclass adds (``CallDetailPublic``)."""
        agent_name = names.get(call.agent_id) if call.agent_id is not None else None
        derived = {"agent_name": agent_name, "duration_s": _duration_s(call)}
        return cls.model_validate(call, update={**derived, **more})


class OutcomeChangeBase(SQLModel):
    """A verdict change's columns the API shows."""

    action: VerdictAction | str = Field(sa_type=String(16))
    outcome: str | None = Field(default=None, sa_type=String(32), description="an outcome code")
    decision: Decision | None = Field(default=None, sa_type=EnumText(Decision, 16))
    note: str | None = Field(default=None, max_length=OUTCOME_NOTE_MAX_CHARS)
    reason: str | None = Field(default=None, max_length=OVERRIDE_REASON_MAX_CHARS)
    by_user_id: int = Field(foreign_key="user.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class OutcomeChange(OutcomeChangeBase, table=True):
    """One change of a call's verdict: set by the agent, confirmed or overridden by a
    supervisor (an override carries a reason). Never updated, only appended."""

    __tablename__ = "outcome_change"

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64, index=True)


class OutcomeChangePublic(OutcomeChangeBase):
    """A verdict change with the name of who made it."""

    model_config = PUBLIC_CONFIG

    id: int
    by_name: str | None


class CallEventBase(SQLModel):
    """A timeline entry's columns the API shows."""

    kind: str = Field(max_length=32)
    t_ms: int
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CallEvent(CallEventBase, table=True):
    """A timeline entry of a call; ``t_ms`` is relative to the call's start."""

    __tablename__ = "call_event"
    __table_args__ = (Index("ix_call_event_call_t", "call_id", "t_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(foreign_key="call.id", max_length=64)


class CallEventPublic(CallEventBase):
    """A timeline entry as the API shows it."""

    model_config = PUBLIC_CONFIG


class ChatCard(BaseModel):
    """A product card the agent shared in the chat (checked as the signaling message)."""

    name: str
    sku: str
    price: str
    url: str = PydanticField(description="the product's page, http or https")


class ChatLine(BaseModel):
    """One chat message of the call (a ``chat`` event), for the transcript."""

    t_ms: int
    at: datetime
    from_: str | None = PydanticField(alias="from", serialization_alias="from")
    name: str | None
    text: str | None
    phrase_id: int | None = PydanticField(
        default=None, description="set for an agent's quick phrase; text is in the agent's language"
    )
    buyer_text: str | None = PydanticField(
        default=None, description="a quick phrase as the buyer read it (buyer_locale)"
    )
    buyer_locale: str | None = None
    card: ChatCard | None = PydanticField(
        default=None, description="set for a product card; text is the card as one line"
    )

    model_config = ConfigDict(populate_by_name=True)

    @classmethod
    def from_event(cls, event: CallEvent) -> ChatLine:
        data = event.data
        return cls(
            t_ms=event.t_ms,
            at=event.at,
            from_=data.get("from"),
            name=data.get("name"),
            text=data.get("text"),
            phrase_id=data.get("phrase_id"),
            buyer_text=data.get("buyer_text"),
            buyer_locale=data.get("buyer_locale"),
            card=data.get("card"),
        )


class ConsentShown(BaseModel):
    """The consent text a buyer accepted or declined, as the page showed it (``{shop}``
    and ``{order}`` filled in)."""

    purpose: str
    locale: str
    version: int
    title: str
    paragraphs: list[str]
    recorded_note: str
    sha256: str = PydanticField(description="of the stored text, before filling in")


class CallDetailPublic(CallPublic):
    """One call: its timeline, photos, recordings, verdict history and chat transcript."""

    consent_text: ConsentShown | None = Field(
        description="the text of consent_locale and consent_version; null when not known"
    )
    outcome_by_user_id: int | None
    outcome_by_name: str | None
    events: list[CallEventPublic]
    photos: list[PhotoPublic]
    recordings: list[RecordingPublic]
    review_recording: RecordingPublic | None = Field(
        description="the playable file (newest review recording), whatever its state"
    )
    outcome_history: list[OutcomeChangePublic]
    chat: list[ChatLine]
    quality: CallQuality | None = Field(
        description="the buyer's connection during the call; null when not measured"
    )
    order: OrderPublic | None = Field(
        description="the order the call is about, as its link had it when the call was "
        "made; null when the link had none"
    )
    case_id: int | None = Field(
        default=None,
        description="the case of the call's link (GET /api/cases/{case_id}): what its buyer "
        "recorded, on one timeline with this call; null when the link has none",
    )
