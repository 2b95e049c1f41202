"""Buyer links: ``/api/links`` (staff, or an integration's API key: ``links:write`` to
create and revoke, ``links:read`` to list)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from server.api.deps import ClockDep, DbDep, LinkId, LinkReader, LinkWriter, SettingsDep
from server.evidence import audit
from server.infra.config import Settings
from server.links import buyer_links
from server.models.link import Link, LinkBase
from server.models.order import OrderIn, OrderPublic
from server.models.text import Documented
from signaling.vocabulary import CallState

router = APIRouter(tags=["links"])


class LinkCreateIn(LinkBase):
    model_config = ConfigDict(extra="forbid")
    expires_in_s: (
        Annotated[
            StrictInt,
            Documented.of(
                minimum=buyer_links.LINK_TTL_MIN_S,
                maximum=Settings.model_fields["link_ttl_max_s"].default,
            ),
        ]
        | None
    ) = Field(
        default=None,
        description="seconds; default 72 h; at most the server's `SHOWDESK_LINK_TTL_MAX_S` "
        "(90 days unless set)",
    )
    order: OrderIn | None = Field(
        default=None, description="the order the link is about; each call made from it keeps it"
    )


class LinkCreated(BaseModel):
    id: int
    url: str
    expires_at: datetime


class LinkOut(LinkBase):
    id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: str = Field(description="`active`, `expired` or `revoked`")
    call_state: CallState | None = Field(
        description="the state of the link's newest call (`ended`: its call is over); "
        "null when the link was never used"
    )
    calls_used: int = Field(description="calls the link has started, declined ones included")
    calls_left: int = Field(
        description="calls the link may still start: its `max_calls` (or the server's "
        "default) less `calls_used`; 0: the link is used up"
    )
    created_by_user_id: int | None
    created_by_api_key_id: int | None
    order: OrderPublic | None


class LinkList(BaseModel):
    items: list[LinkOut]


@router.post("/api/links", status_code=201, response_model=LinkCreated)
def create_link(
    body: LinkCreateIn,
    principal: LinkWriter,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> LinkCreated:
    """Create a buyer link; the URL carries the token and is shown only in this answer."""
    made = buyer_links.create_link(
        db,
        LinkBase.model_validate(body.model_dump(exclude={"expires_in_s", "order"})),
        ttl_s=body.expires_in_s if body.expires_in_s is not None else settings.link_ttl_s,
        max_ttl_s=settings.link_ttl_max_s,
        public_url=settings.public_url,
        now=clock.now(),
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        order=body.order,
    )
    return LinkCreated(id=made.link.id, url=made.url, expires_at=made.link.expires_at)


@router.get("/api/links", response_model=LinkList)
def list_links(
    principal: LinkReader, db: DbDep, clock: ClockDep, settings: SettingsDep
) -> LinkList:
    """The newest links first, without their tokens (which are never stored)."""
    now = clock.now()
    links = buyer_links.list_links(db)
    ids = [link.id for link in links if link.id]
    calls = buyer_links.newest_call_states(db, ids)
    used = buyer_links.calls_made_by(db, ids)

    def out(link: Link) -> LinkOut:
        calls_used = used.get(link.id or 0, 0)
        return LinkOut(
            **link.model_dump(exclude={"token_hash", "order"}),
            order=OrderPublic.of(link.order),
            status=link.status_at(now),
            call_state=calls.get(link.id or 0),
            calls_used=calls_used,
            calls_left=buyer_links.calls_left(link, calls_used, settings.max_calls_per_link),
        )

    return LinkList(items=[out(link) for link in links])


@router.delete("/api/links/{link_id}", status_code=204)
async def revoke_link(
    link_id: LinkId, principal: LinkWriter, request: Request, db: DbDep, clock: ClockDep
) -> Response:
    """Revoke a link: it stops opening, and a call on it ends with ``link_revoked``.
    Staff may revoke the links they created, admins any; an API key (``links:write``)
    only the links that same key created (403 otherwise)."""
    from starlette.concurrency import run_in_threadpool

    def revoke() -> None:
        link = buyer_links.revoke_link(
            db, link_id, clock.now(), principal.user, api_key_id=principal.api_key_id
        )
        audit.action_done(
            db,
            audit.AUDIT_LINK_REVOKED,
            clock.now(),
            user_id=principal.user_id,
            api_key_id=principal.api_key_id,
            detail={"link_id": link.id, "order_ref": link.order_ref},
        )
        db.commit()

    await run_in_threadpool(revoke)
    await request.app.state.calls.link_revoked(link_id)
    return Response(status_code=204)
