"""The buyer's side: ``/j/<token>`` exchanges the link token for a call cookie."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from server.api.deps import (
    BUYER_COOKIE,
    BUYER_CSRF_COOKIE,
    BuyerLink,
    ClockDep,
    DbDep,
    SettingsDep,
    buyer_csrf_token,
    client_address,
)
from server.links import buyer_links

router = APIRouter(tags=["buyer"])

BUYER_PAGE = "/call"


@router.get("/j/{token}", include_in_schema=False)
def open_link(
    token: str, request: Request, db: DbDep, clock: ClockDep, settings: SettingsDep
) -> RedirectResponse:
    """Redeem a link: set the call cookie and move to ``/call`` so the token leaves the
    address bar. Unknown, expired and revoked tokens all get the same 404 page; opening
    links is limited per address."""
    request.app.state.rate_limits.link_opened(client_address(request))
    _, credential = buyer_links.redeem_token(
        db,
        token[:200],
        clock.now(),
        settings.buyer_cookie_ttl_s,
        current=request.cookies.get(BUYER_COOKIE),
    )
    response = RedirectResponse(BUYER_PAGE, status_code=303)
    response.set_cookie(
        BUYER_COOKIE,
        credential,
        max_age=settings.buyer_cookie_ttl_s,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    response.set_cookie(
        BUYER_CSRF_COOKIE,
        buyer_csrf_token(request.app.state.secret_key, credential),
        max_age=settings.buyer_cookie_ttl_s,
        httponly=False,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


class LastCall(BaseModel):
    """The link's most recent call, so that a reopened link shows how it ended."""

    state: str
    end_reason: str | None
    ended_at: datetime | None


class BuyerContext(BaseModel):
    shop_name: str
    order_ref: str
    purpose: str
    locale: str | None
    buyer_name: str | None
    recorded: bool = True
    follow_up_days: int
    last_call: LastCall | None = None


@router.get("/api/buyer/context", response_model=BuyerContext)
def buyer_context(link: BuyerLink, settings: SettingsDep, db: DbDep) -> BuyerContext:
    """What the buyer page shows before consent: who calls whom, why, that it is recorded,
    and how the link's last call went (null before the first)."""
    last = buyer_links.last_call(db, link.id)
    return BuyerContext(
        shop_name=settings.shop_name,
        order_ref=link.order_ref,
        purpose=link.purpose,
        locale=link.locale,
        buyer_name=link.buyer_name,
        follow_up_days=settings.follow_up_days,
        last_call=LastCall(state=last.state, end_reason=last.end_reason, ended_at=last.ended_at)
        if last is not None
        else None,
    )
