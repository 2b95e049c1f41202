"""Webhook endpoints: ``/api/webhooks`` (admins, or an API key with ``webhooks:write``):
create (the answer carries the secret, shown this once), list, read, change, delete,
rotate the secret, each endpoint's delivery log and a delivery's replay.

Checking a URL resolves its host, so those routes run in a thread.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from server.api.deps import DB_ID_MAX, ClockDep, DbDep, Principal, SettingsDep, authorize
from server.models import Role
from server.models.webhook import (
    WEBHOOK_URL_MAX_CHARS,
    WebhookDeliveryPublic,
    WebhookEndpointPublic,
)
from server.webhooks import endpoints
from server.webhooks.events import BODIES, EventType

router = APIRouter(tags=["webhooks"])

WebhookAdmin = Annotated[Principal, Depends(authorize(Role.admin, scope="webhooks:write"))]
EndpointId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a webhook endpoint's id")]
DeliveryId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a delivery's id")]
NOT_FOUND = {404: {"description": "no such webhook endpoint (or delivery of it)"}}
REFUSED = {
    422: {
        "description": "a bad body; a URL that is not http(s), does not resolve, or reaches "
        "a loopback, private, link-local or reserved address (`webhook_address_refused`)"
    }
}


class EndpointCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=WEBHOOK_URL_MAX_CHARS, description="http(s)")
    events: list[EventType] = Field(min_length=1, description="the event types to receive")


class EndpointUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(default=None, min_length=1, max_length=WEBHOOK_URL_MAX_CHARS)
    events: list[EventType] | None = Field(default=None, min_length=1)
    enabled: StrictBool | None = Field(
        default=None, description="true again after a receiver is fixed clears its failures"
    )


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overlap_s: StrictInt = Field(
        default=endpoints.ROTATION_OVERLAP_DEFAULT_S,
        ge=0,
        le=endpoints.ROTATION_OVERLAP_MAX_S,
        description="seconds the previous secret keeps signing beside the new one",
    )


class EndpointWithSecret(WebhookEndpointPublic):
    secret: str = Field(description="whsec_...: shown in this answer only")


class EndpointList(BaseModel):
    items: list[WebhookEndpointPublic]


class DeliveryList(BaseModel):
    items: list[WebhookDeliveryPublic] = Field(description="newest first, at most 50")


@router.post("/api/webhooks", status_code=201, response_model=EndpointWithSecret, responses=REFUSED)
async def create_endpoint(
    body: EndpointCreateIn,
    principal: WebhookAdmin,
    request: Request,
    clock: ClockDep,
    settings: SettingsDep,
) -> EndpointWithSecret:
    """Create an endpoint; the answer carries its signing secret, shown only this once."""
    engine = request.app.state.engine

    def create() -> EndpointWithSecret:
        from sqlmodel import Session

        with Session(engine, expire_on_commit=False) as db:
            now = clock.now()
            row, secret = endpoints.create_endpoint(
                db, body.url, body.events, now, allow_private=settings.webhooks_allow_private
            )
            public = WebhookEndpointPublic.from_row(row, now)
        return EndpointWithSecret(**public.model_dump(), secret=secret)

    return await asyncio.to_thread(create)


@router.get("/api/webhooks", response_model=EndpointList)
def list_endpoints(principal: WebhookAdmin, db: DbDep, clock: ClockDep) -> EndpointList:
    """Every endpoint, oldest first, with its state; never a secret."""
    now = clock.now()
    return EndpointList(
        items=[WebhookEndpointPublic.from_row(r, now) for r in endpoints.list_endpoints(db)]
    )


@router.get(
    "/api/webhooks/{endpoint_id}", response_model=WebhookEndpointPublic, responses=NOT_FOUND
)
def get_endpoint(
    endpoint_id: EndpointId, principal: WebhookAdmin, db: DbDep, clock: ClockDep
) -> WebhookEndpointPublic:
    """One endpoint: enabled or disabled (and why), its failures in a row."""
    return WebhookEndpointPublic.from_row(endpoints.get_endpoint(db, endpoint_id), clock.now())


@router.patch(
    "/api/webhooks/{endpoint_id}",
    response_model=WebhookEndpointPublic,
    responses={**NOT_FOUND, **REFUSED},
)
async def update_endpoint(
    endpoint_id: EndpointId,
    body: EndpointUpdateIn,
    principal: WebhookAdmin,
    request: Request,
    clock: ClockDep,
    settings: SettingsDep,
) -> WebhookEndpointPublic:
    """Change the URL, the event types, or enable or disable the endpoint."""
    engine = request.app.state.engine

    def update() -> WebhookEndpointPublic:
        from sqlmodel import Session

        with Session(engine, expire_on_commit=False) as db:
            now = clock.now()
            row = endpoints.update_endpoint(
                db,
                endpoint_id,
                now,
                allow_private=settings.webhooks_allow_private,
                url=body.url,
                events=body.events,
                enabled=body.enabled,
            )
            return WebhookEndpointPublic.from_row(row, now)

    return await asyncio.to_thread(update)


@router.delete("/api/webhooks/{endpoint_id}", status_code=204, responses=NOT_FOUND)
def delete_endpoint(endpoint_id: EndpointId, principal: WebhookAdmin, db: DbDep) -> Response:
    """Delete an endpoint and its delivery log; nothing more is sent to it."""
    endpoints.delete_endpoint(db, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/api/webhooks/{endpoint_id}/rotate-secret",
    response_model=EndpointWithSecret,
    responses=NOT_FOUND,
)
def rotate_secret(
    endpoint_id: EndpointId,
    principal: WebhookAdmin,
    db: DbDep,
    clock: ClockDep,
    body: RotateIn | None = None,
) -> EndpointWithSecret:
    """A new secret, shown only in this answer; deliveries carry a signature by each of
    the new and the previous secret until the overlap ends."""
    now = clock.now()
    overlap = (body or RotateIn()).overlap_s
    row, secret = endpoints.rotate_secret(db, endpoint_id, now, overlap)
    return EndpointWithSecret(
        **WebhookEndpointPublic.from_row(row, now).model_dump(), secret=secret
    )


@router.get(
    "/api/webhooks/{endpoint_id}/deliveries", response_model=DeliveryList, responses=NOT_FOUND
)
def list_deliveries(endpoint_id: EndpointId, principal: WebhookAdmin, db: DbDep) -> DeliveryList:
    """The endpoint's delivery log: each delivery with its attempts (status, time taken,
    error), newest first."""
    return DeliveryList(
        items=[
            WebhookDeliveryPublic.from_row(row, attempts)
            for row, attempts in endpoints.list_deliveries(db, endpoint_id)
        ]
    )


@router.post(
    "/api/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=WebhookDeliveryPublic,
    responses=NOT_FOUND,
)
def replay_delivery(
    endpoint_id: EndpointId,
    delivery_id: DeliveryId,
    principal: WebhookAdmin,
    request: Request,
    db: DbDep,
    clock: ClockDep,
) -> WebhookDeliveryPublic:
    """Send a delivery's event again (same event id and body) as a new delivery, due at
    once. A disabled endpoint gets it once it is enabled again."""
    row = endpoints.replay(db, endpoint_id, delivery_id, clock.now())
    sender = getattr(request.app.state, "webhooks", None)
    if sender is not None:
        sender.wake()
    return WebhookDeliveryPublic.from_row(row, [])


SIGNATURE_NOTE = (
    " Signed as Standard Webhooks says: headers `webhook-id` (the event's id), "
    "`webhook-timestamp` (seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`, "
    "space-separated when two secrets sign during a rotation). Answer 2xx within the "
    "timeout; anything else is retried (docs/webhooks.md)."
)


def describe_events(app: FastAPI) -> None:
    """The OpenAPI document's ``webhooks`` section: each event type and its body."""
    for event_type, (body_model, summary) in BODIES.items():

        def receiver(body: object) -> None:
            pass

        receiver.__annotations__ = {"body": body_model, "return": None}  # a real type
        receiver.__doc__ = summary + SIGNATURE_NOTE
        app.webhooks.post(
            event_type,
            summary=summary,
            operation_id=f"webhook_{event_type.replace('.', '_')}",
            tags=["webhooks"],
        )(receiver)
