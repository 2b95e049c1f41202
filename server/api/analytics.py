"""``GET /api/analytics/outcomes`` (verdicts per category, outcome, SKU, carrier,
country, channel, agent or week) and ``GET /api/analytics/service`` (answer and handle
times, buyers who left the queue, untagged calls): the figures of ``/analytics``, for
supervisors, admins and API keys with ``calls:read``. Every parameter is checked; a
period longer than ``MAX_PERIOD_DAYS`` or ending before it starts is refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from server.api.deps import DB_ID_MAX, DbDep, Reviewer
from server.errors import InvalidInput
from server.evidence import analytics
from server.evidence.analytics import GroupBy
from server.evidence.review_list import CallFilter
from server.models.moments import UTCMoment
from server.models.order import CARRIER_MAX_CHARS, CHANNEL_MAX_CHARS, SKU_MAX_CHARS
from server.models.taxonomy import CODE_MAX_CHARS, CODE_PATTERN
from signaling.locales import IANA_TIMEZONES
from signaling.vocabulary import Purpose

router = APIRouter(tags=["analytics"])

MAX_PERIOD_DAYS = 400  # a year and a bit: a year-on-year look fits
MAX_ROWS = 500  # the largest limit; for more rows, leave limit out


def analytics_filter(
    since: Annotated[UTCMoment, Query(description="calls created at or after (UTC if naive)")],
    until: Annotated[UTCMoment, Query(description="calls created before (UTC if naive)")],
    purpose: Purpose | None = None,
    channel: Annotated[
        str | None,
        Query(min_length=1, max_length=CHANNEL_MAX_CHARS, description="the order's channel"),
    ] = None,
    country: Annotated[
        str | None,
        Query(pattern=r"^[A-Za-z]{2}$", description="the buyer's country, ISO 3166-1 alpha-2"),
    ] = None,
    carrier: Annotated[
        str | None,
        Query(min_length=1, max_length=CARRIER_MAX_CHARS, description="the order's carrier"),
    ] = None,
    sku: Annotated[
        str | None,
        Query(min_length=1, max_length=SKU_MAX_CHARS, description="calls whose order has it"),
    ] = None,
    agent: Annotated[
        int | None, Query(ge=1, le=DB_ID_MAX, description="the answering agent's id")
    ] = None,
) -> CallFilter:
    """The calls a figure counts: a period (both ends required) and the filters."""
    if until <= since:
        raise InvalidInput("until: the period must end after it starts (until > since)")
    if until - since > timedelta(days=MAX_PERIOD_DAYS):
        raise InvalidInput(f"until: a period is at most {MAX_PERIOD_DAYS} days long")

    def given(text: str | None) -> str | None:
        return text.strip() or None if text else None

    return CallFilter(
        since=since,
        until=until,
        purpose=purpose,
        channel=given(channel),
        buyer_country=country,
        carrier=given(carrier),
        sku=given(sku),
        agent_id=agent,
    )


FilterDep = Annotated[CallFilter, Depends(analytics_filter)]


class OutcomeRowOut(BaseModel):
    key: str | None = Field(
        description="the group's key (a category or outcome code, a normalized SKU, carrier "
        "or channel, a country code, an agent's id, a week's Monday); null: calls without it"
    )
    label: str | None = Field(description="the agent's name when grouped by agent")
    calls: int
    by_outcome: dict[str, int] = Field(description="calls per outcome code (none: left out)")
    by_decision: dict[str, int] = Field(description="calls per decision (none: left out)")


class OutcomeFigures(BaseModel):
    group_by: GroupBy
    since: datetime
    until: datetime
    rows: list[OutcomeRowOut]


class ServiceOut(BaseModel):
    since: datetime
    until: datetime
    calls: int = Field(description="calls created in the period under the filters")
    answered: int = Field(description="of them, answered by an agent")
    answer_p50_s: float | None = Field(description="answer time, median (seconds)")
    answer_p90_s: float | None = Field(description="answer time, 90th percentile (seconds)")
    handle_p50_s: float | None = Field(description="handle time (answer to end), median")
    handle_mean_s: float | None = Field(description="handle time, mean (seconds)")
    left_queue: int = Field(description="buyers who left the queue before an answer")
    untagged: int = Field(description="answered, ended calls without an outcome")
    not_reached: int = Field(description="calls that ended before any agent answered")


@router.get("/api/analytics/outcomes", response_model=OutcomeFigures)
def outcome_figures(
    principal: Reviewer,
    db: DbDep,
    flt: FilterDep,
    group_by: GroupBy,
    tz: Annotated[
        str, Query(max_length=64, description="the IANA time zone weeks are counted in")
    ] = "UTC",
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_ROWS,
            description="only the first rows of the order (the top SKUs, carriers, ...); "
            "not with group_by=week",
        ),
    ] = None,
    rank_by: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=CODE_MAX_CHARS,
            pattern=CODE_PATTERN,
            description="a category's code (of the return reasons, or with purpose set of "
            "that purpose's outcomes): rows ordered by the share of their calls whose "
            "outcome is in it, most first (then by those calls, then by key); the row "
            "without a key left out; not with group_by=week",
        ),
    ] = None,
) -> OutcomeFigures:
    """Calls with their outcome and decision mix per group, for a period and filters.
    Without `purpose`, the return reasons: damage checks' and remote inspections' calls
    only; a product demo's results are read with `purpose=product_demo`. Rows are sorted
    by calls, most first (weeks in order), or by a category's rate with `rank_by`; with
    `limit`, only the first rows, each with the same figures as in the whole answer."""
    if tz not in IANA_TIMEZONES:
        raise InvalidInput(f"tz: {tz!r} is not an IANA time zone, e.g. Europe/Berlin")
    if group_by == "week" and (limit is not None or rank_by is not None):
        raise InvalidInput("limit, rank_by: weeks are listed whole, in order")
    try:
        rows = analytics.outcome_rows(db, flt, group_by, tz, limit=limit, rank_by=rank_by)
    except analytics.UnknownCategory:
        raise InvalidInput(
            f"rank_by: {rank_by!r} is no category of these calls' outcomes"
            " (GET /api/outcome-taxonomy; a demo's results only with purpose=product_demo)"
        ) from None
    return OutcomeFigures(
        group_by=group_by,
        since=flt.since,  # type: ignore[arg-type]
        until=flt.until,  # type: ignore[arg-type]
        rows=[OutcomeRowOut(**vars(r)) for r in rows],
    )


class QaRowOut(BaseModel):
    agent_id: int
    agent_name: str | None
    week: str | None = Field(description="the week's Monday (YYYY-MM-DD); null: the period")
    scores: int = Field(description="QA scores given (one per reviewer and call)")
    mean_pct: float = Field(description="their mean weighted total, 0-100")


class QaFigures(BaseModel):
    since: datetime
    until: datetime
    rows: list[QaRowOut] = Field(description="per agent and week, by agent name then week")
    agents: list[QaRowOut] = Field(description="per agent over the whole period")


def _row(r: analytics.QaRow) -> QaRowOut:
    return QaRowOut(
        agent_id=r.agent_id,
        agent_name=r.agent_name,
        week=r.week,
        scores=r.scores,
        mean_pct=r.mean_pct,
    )


@router.get("/api/analytics/qa", response_model=QaFigures)
def qa_figures(
    principal: Reviewer,
    db: DbDep,
    flt: FilterDep,
    tz: Annotated[
        str, Query(max_length=64, description="the IANA time zone weeks are counted in")
    ] = "UTC",
) -> QaFigures:
    """QA scores per agent over time: the calls of the period and filters, by week."""
    if tz not in IANA_TIMEZONES:
        raise InvalidInput(f"tz: {tz!r} is not an IANA time zone, e.g. Europe/Berlin")
    weeks, agents = analytics.qa_rows(db, flt, tz)
    return QaFigures(
        since=flt.since,  # type: ignore[arg-type]
        until=flt.until,  # type: ignore[arg-type]
        rows=[_row(r) for r in weeks],
        agents=[_row(r) for r in agents],
    )


@router.get("/api/analytics/service", response_model=ServiceOut)
def service_figures(principal: Reviewer, db: DbDep, flt: FilterDep) -> ServiceOut:
    """Answer time p50/p90, handle time, buyers who left the queue and untagged calls."""
    found = analytics.service(db, flt)
    return ServiceOut(since=flt.since, until=flt.until, **vars(found))  # type: ignore[arg-type]
