"""Webhook endpoints of a shop's systems, the outbox of their deliveries, and each
delivery's attempts (``server/webhooks``).

An event is written once per endpoint that asked for its type, as a ``WebhookDelivery``
row holding the whole signed body, in the same transaction as the change it reports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime

WEBHOOK_URL_MAX_CHARS = 2000
DELIVERY_STATES = ("pending", "delivered", "failed")


class WebhookEndpoint(SQLModel, table=True):
    """A receiver: its URL, the event types it gets (space-separated) and its signing
    secret. During a rotation's overlap ``previous_secret`` signs too, until
    ``previous_secret_until``. ``enabled`` turns false by hand or after failing too long
    (``disabled_reason`` says which)."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=WEBHOOK_URL_MAX_CHARS)
    events: str = Field(max_length=1000)
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    enabled: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, max_length=300)
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    consecutive_failures: int = Field(default=0)
    failing_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: ``pending`` until a 2xx answer (``delivered``) or the
    retry horizon passes (``failed``). ``claimed_until`` keeps two senders off one row;
    a sender that died leaves it to be claimed again once that moment passes."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True)
    event_id: str = Field(max_length=40, index=True)
    event_type: str = Field(max_length=40)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_status: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)


class WebhookAttempt(SQLModel, table=True):
    """One try of a delivery: the answer's status (null: none came), how long it took,
    and what went wrong."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    attempt: int
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status_code: int | None = Field(default=None)
    response_ms: int
    error: str | None = Field(default=None, max_length=500)


class WebhookEndpointPublic(BaseModel):
    """An endpoint as the API shows it: never its secret."""

    id: int
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None = PydanticField(
        description="why it was turned off: by hand, or after failing too long"
    )
    disabled_at: datetime | None
    consecutive_failures: int = PydanticField(description="failed attempts in a row")
    failing_since: datetime | None
    secret_rotating_until: datetime | None = PydanticField(
        description="the previous secret signs too until then (a rotation's overlap)"
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: WebhookEndpoint, now: datetime) -> WebhookEndpointPublic:
        assert row.id is not None
        until = row.previous_secret_until
        return cls(
            id=row.id,
            url=row.url,
            events=row.event_list,
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            disabled_at=row.disabled_at,
            consecutive_failures=row.consecutive_failures,
            failing_since=row.failing_since,
            secret_rotating_until=until if until is not None and until > now else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class WebhookAttemptPublic(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None = PydanticField(description="null: no answer came")
    response_ms: int
    error: str | None


class WebhookDeliveryPublic(BaseModel):
    """A delivery with its attempts, newest attempt last."""

    id: int
    event_id: str
    event_type: str
    state: str = PydanticField(description="pending, delivered or failed")
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = PydanticField(description="null once settled")
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None
    payload: dict[str, Any] = PydanticField(description="the event's body as sent")
    attempt_log: list[WebhookAttemptPublic]

    @classmethod
    def from_row(
        cls, row: WebhookDelivery, attempts: list[WebhookAttempt]
    ) -> WebhookDeliveryPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            event_id=row.event_id,
            event_type=row.event_type,
            state=row.state,
            attempts=row.attempts,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at if row.state == "pending" else None,
            delivered_at=row.delivered_at,
            last_status=row.last_status,
            last_error=row.last_error,
            payload=row.payload,
            attempt_log=[
                WebhookAttemptPublic(
                    attempt=a.attempt,
                    at=a.at,
                    status_code=a.status_code,
                    response_ms=a.response_ms,
                    error=a.error,
                )
                for a in attempts
            ],
        )
