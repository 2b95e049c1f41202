"""``GET /api/sessions`` (the review list: filters, counts, pages) and
``GET /api/sessions/{session_id}`` (one call with everything about it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from server.api.deps import DB_ID_MAX, CallReader, ClockDep, DbDep, Reviewer, SettingsDep
from server.api.sessions.paging import PageNumber, PerPage
from server.evidence import audit, review_list, taxonomy
from server.models.call import CallDetailPublic, CallPublic
from server.models.link import ORDER_REF_MAX_CHARS
from server.models.moments import UTCMoment
from server.models.order import CARRIER_MAX_CHARS, CHANNEL_MAX_CHARS, SKU_MAX_CHARS
from server.models.taxonomy import CODE_MAX_CHARS, CODE_PATTERN, OutcomeCodeStr
from signaling.vocabulary import Decision, EndReason, Purpose

router = APIRouter(tags=["sessions"])


class SessionList(BaseModel):
    items: list[CallPublic]
    total: int = Field(description="calls matching every filter")
    counts: dict[str, int] = Field(
        description="calls per outcome (and `untagged`: answered and ended without one; "
        "`not_reached`: ended before any agent answered) matching the other filters: the "
        "outcome, untagged and not_reached filters are left out, so picking an outcome "
        "still shows how the rest compare"
    )
    page: int
    per_page: int


def _given(text: str | None) -> str | None:
    """A filter's text, None when blank (a cleared input sends an empty value)."""
    return text.strip() or None if text else None


@router.get("/api/sessions", response_model=SessionList)
def list_sessions(
    principal: Reviewer,
    db: DbDep,
    outcome: OutcomeCodeStr | None = None,
    category: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=CODE_MAX_CHARS,
            pattern=CODE_PATTERN,
            description="calls whose outcome is in this return-reason category",
        ),
    ] = None,
    end_reason: EndReason | None = None,
    decision: Decision | None = None,
    purpose: Purpose | None = None,
    return_reasons: Annotated[
        bool,
        Query(
            description="only calls whose verdicts are return reasons (damage checks and "
            "remote inspections, not product demos), as /api/analytics/outcomes counts them"
        ),
    ] = False,
    agent_id: Annotated[int | None, Query(ge=1, le=DB_ID_MAX)] = None,
    order_ref: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=ORDER_REF_MAX_CHARS,
            description="order references starting with this (case-sensitive)",
        ),
    ] = None,
    since: Annotated[
        UTCMoment | None, Query(description="created at or after (UTC if naive)")
    ] = None,
    until: Annotated[UTCMoment | None, Query(description="created before (UTC if naive)")] = None,
    untagged: Annotated[
        bool, Query(description="only answered, ended calls without an outcome")
    ] = False,
    not_reached: Annotated[
        bool,
        Query(description="only calls that ended before any agent answered (declined, left)"),
    ] = False,
    answered: Annotated[
        bool,
        Query(description="only calls an agent answered (as /api/analytics/service counts them)"),
    ] = False,
    sku: Annotated[
        str | None,
        Query(min_length=1, max_length=SKU_MAX_CHARS, description="calls whose order has this SKU"),
    ] = None,
    carrier: Annotated[
        str | None,
        Query(min_length=1, max_length=CARRIER_MAX_CHARS, description="the order's carrier"),
    ] = None,
    channel: Annotated[
        str | None,
        Query(min_length=1, max_length=CHANNEL_MAX_CHARS, description="the order's channel"),
    ] = None,
    buyer_country: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z]{2}$",
            description="the buyer's country, ISO 3166-1 alpha-2 (any case)",
        ),
    ] = None,
    page: PageNumber = 1,
    per_page: PerPage = 25,
) -> SessionList:
    """Calls, newest first, for supervisors, admins and integrations."""
    if outcome is not None:
        taxonomy.require_known(db, outcome)
    if category is not None:
        taxonomy.require_known_category(db, category)
    flt = review_list.CallFilter(
        outcome=outcome,
        category=category,
        end_reason=end_reason,
        decision=decision,
        purpose=purpose,
        return_reasons=return_reasons,
        agent_id=agent_id,
        order_ref=order_ref.strip() or None if order_ref else None,
        since=since,
        until=until,
        untagged=untagged,
        not_reached=not_reached,
        answered=answered,
        sku=_given(sku),
        carrier=_given(carrier),
        channel=_given(channel),
        buyer_country=buyer_country,
    )
    found = review_list.list_calls(db, flt, page, per_page)
    return SessionList(
        items=found.items, total=found.total, counts=found.counts, page=page, per_page=per_page
    )


@router.get("/api/sessions/{session_id}", response_model=CallDetailPublic)
def get_session(
    access: CallReader, db: DbDep, clock: ClockDep, settings: SettingsDep
) -> CallDetailPublic:
    """One call: its timeline events, photos, recordings, outcome history and chat. An API
    key gets the chat (the `chat` list and the timeline's `chat` events) only with the
    scope `calls:chat`. A read that shows chat lines is audited (``view_chat``)."""
    principal = access.principal
    detail = review_list.call_detail(
        db, access.call, with_chat=principal.may("calls:chat"), shop_name=settings.shop_name
    )
    if detail.chat:
        audit.action_done(
            db,
            audit.AUDIT_VIEW_CHAT,
            clock.now(),
            user_id=principal.user_id,
            api_key_id=principal.api_key_id,
            call_id=access.call.id,
        )
        db.commit()
    return detail
