"""The buyer's side: ``/j/<token>`` exchanges the link token for a call cookie."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

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
from server.consent import texts
from server.hours import support_hours
from server.hours.offer import support_status
from server.inspections import store as inspections
from server.links import buyer_links
from signaling.locales import BUYER_LOCALES, choose_buyer_locale, direction

router = APIRouter(tags=["buyer"])

BUYER_PAGE = "/call"
MAX_LOCALE_CHARS = 35  # the longest BCP 47 tag worth reading


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
    answered: bool = Field(description="an agent answered it (false: nobody saw the call)")
    session_id: str | None = Field(
        default=None, description="the call's id (its inspection report is read by it)"
    )
    inspection: bool = Field(default=False, description="the call has a remote inspection")


class LocaleChoice(BaseModel):
    code: str = Field(description="BCP 47, e.g. pt-BR")
    name: str = Field(description="the language's name in itself, e.g. Deutsch")
    dir: Literal["ltr", "rtl"]


class BuyerConsent(BaseModel):
    """The consent text the buyer reads, ``{shop}`` and ``{order}`` filled in; the page
    sends ``locale`` and ``version`` back with its ``consent`` message."""

    purpose: str
    locale: str = Field(description="the text's language (English when none in the page's)")
    version: int
    title: str
    paragraphs: list[str]
    recorded_note: str


class BuyerSupport(BaseModel):
    """Whether anyone can answer now, and whether (and why) the page offers to record a
    video instead. Times are aware UTC; the page shows them in the buyer's own zone."""

    hours_configured: bool = Field(description="false: no support hours set, always open")
    within_hours: bool
    next_open_at: datetime | None = Field(
        description="outside hours: when support opens again (null: no opening ahead)"
    )
    closes_at: datetime | None = Field(description="within set hours: when they end")
    agents_online: int = Field(ge=0, description="connected agents, available or not")
    agents_available: int = Field(ge=0, description="agents ready for a call now")
    agents_busy: int = Field(ge=0, description="agents in a call")
    queue_length: int = Field(ge=0, description="buyers waiting now")
    expected_wait_s: int | None = Field(
        description="the wait of one more buyer: 0 while an agent is free, else (queue "
        "length + 1) x the average call length / agents available or busy; null when "
        "no agent is available or busy"
    )
    record_offer_wait_s: int = Field(description="a longer expected wait offers recording")
    offer_recording: bool
    offer_reason: Literal["closed", "nobody", "long_wait"] | None = Field(
        description="closed: outside hours; nobody: no agent available or in a call; "
        "long_wait: the expected wait passes record_offer_wait_s"
    )


class BuyerContext(BaseModel):
    shop_name: str
    order_ref: str
    purpose: str
    locale: str = Field(
        description="the page's language: ?locale=, else the link's, else the browser's, else en"
    )
    link_locale: str | None = Field(description="the locale the link was made with, as given")
    dir: Literal["ltr", "rtl"]
    locales: list[LocaleChoice] = Field(description="every language the page speaks")
    buyer_name: str | None
    recorded: bool = True
    follow_up_days: int
    last_call: LastCall | None = None
    calls_left: int = Field(
        ge=0, description="calls the link can still start (its max_calls, else the server's)"
    )
    expires_at: datetime = Field(description="after this the link starts no calls")
    consent: BuyerConsent | None = Field(description="null only if no text is stored at all")
    support: BuyerSupport


@router.get("/api/buyer/context", response_model=BuyerContext)
def buyer_context(
    link: BuyerLink,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
    locale: Annotated[
        str | None, Query(description="the page's own choice; unknown: ignored")
    ] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> BuyerContext:
    """What the buyer page shows before consent: who calls whom, why, that it is recorded,
    in which language, the consent text to accept, how the link's last call went
    (null before the first), whether the link can start another call, and whether anyone
    can answer now (``support``: hours, agents, the wait, the offer to record)."""
    last = buyer_links.last_call(db, link.id)
    made = buyer_links.calls_made(db, link.id)
    explicit = locale[:MAX_LOCALE_CHARS] if locale is not None else None
    chosen = choose_buyer_locale(explicit, link.locale, accept_language)
    text = texts.for_buyer(db, link.purpose, chosen)
    consent = None
    if text is not None:
        shown = texts.rendered(text, shop=settings.shop_name, order=link.order_ref)
        consent = BuyerConsent(
            purpose=str(text.purpose),
            locale=text.locale,
            version=text.version,
            **shown.model_dump(),
        )
    return BuyerContext(
        shop_name=settings.shop_name,
        order_ref=link.order_ref,
        purpose=link.purpose,
        locale=chosen,
        link_locale=link.locale,
        dir=direction(chosen),
        locales=[LocaleChoice(code=x.code, name=x.name, dir=x.dir) for x in BUYER_LOCALES],
        buyer_name=link.buyer_name,
        follow_up_days=settings.follow_up_days,
        last_call=LastCall(
            state=last.state,
            end_reason=last.end_reason,
            ended_at=last.ended_at,
            answered=last.answered_at is not None,
            session_id=last.id,
            inspection=inspections.find(db, last.id) is not None,
        )
        if last is not None
        else None,
        calls_left=buyer_links.calls_left(link, made, settings.max_calls_per_link),
        expires_at=link.expires_at,
        consent=consent,
        support=BuyerSupport(
            **vars(
                support_status(
                    support_hours.current(db),
                    request.app.state.calls.switchboard.presence(),
                    clock.now(),
                    settings.record_offer_wait_s,
                )
            )
        ),
    )
