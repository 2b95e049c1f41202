"""A seeded set of ended calls with orders, outcomes and decisions for the analytics, and
the figures computed from those rows in plain Python (never through the server's
queries), so a test compares the API and the page with an independent count. Product
demos among them have a demo's results (migration 0020's codes), which are never
return reasons: the return-reason figures leave those calls out."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlmodel import Session

from server.models import Call, CallSku
from server.models.order import order_keys
from signaling.vocabulary import SHIPPED_CATEGORY_OF, CallState, EndReason, Purpose
from tests.helpers.links import make_link

CARRIERS = ["DHL Express", "UPS", "dpd"]
CHANNELS = ["shop", "amazon.de"]
COUNTRIES = ["DE", "FR", "IT"]
SKUS = ["MUG-01", "PLT-07", "BWL-03"]
OUTCOMES = ["damage", "defect", "misuse", "no_fault_found", "wrong_size", None]
DECISIONS = ["refund", "replace", "repair", "reject", "none", None]
PURPOSES = [Purpose.DAMAGE_VERIFICATION, Purpose.REMOTE_INSPECTION]
RETURN_PURPOSES = {"damage_verification", "remote_inspection"}  # a demo's are no returns
DEMO = "product_demo"
DEMO_CATEGORY = "demo_result"
DEMO_CODES = ["purchased", "decide_later", "not_interested", "question_answered", "referred"]
DEMO_OUTCOMES = [*DEMO_CODES[:4], None]


@dataclass(frozen=True)
class Seeded:
    """One stored call as the test knows it."""

    id: str
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    end_reason: str
    purpose: str
    agent_id: int | None
    outcome: str | None
    decision: str | None
    carrier: str
    channel: str
    country: str
    skus: tuple[str, ...]


def seed_calls(
    app: FastAPI,
    agents: list[int],
    n: int,
    *,
    start: datetime,
    demos: int = 0,
    at: list[datetime] | None = None,
) -> list[Seeded]:
    """``n`` ended calls (damage checks and inspections) created over the 28 days after
    ``start`` (or the i-th at ``at[i % len(at)]``): some left the queue, some untagged,
    the rest with an outcome and usually a decision; then ``demos`` product demos over the
    same days, with a demo's results (some with a decision too)."""
    rng = random.Random(15)
    link, _ = make_link(app, "ORD-A")
    seeded: list[Seeded] = []
    with Session(app.state.engine) as db:
        for i in range(n + demos):
            if i == n:
                rng = random.Random(27)  # the first n calls stay as they were without demos
            demo = i >= n
            created = start + timedelta(seconds=rng.randrange(28 * 86400))
            if at:
                created = at[i % len(at)]
            left = rng.random() < 0.1
            agent = None if left else rng.choice(agents)
            answered = None if left else created + timedelta(seconds=rng.randrange(5, 240))
            ended = (answered or created) + timedelta(seconds=rng.randrange(30, 900))
            outcome = None if left else rng.choice(DEMO_OUTCOMES if demo else OUTCOMES)
            decision = rng.choice(DECISIONS) if outcome else None
            skus = tuple(rng.sample(SKUS, rng.choice([1, 1, 2])))
            order = {
                "lines": [{"sku": s, "name": s, "quantity": 1, "lot": None} for s in skus],
                "carrier": rng.choice(CARRIERS),
                "channel": rng.choice(CHANNELS),
                "buyer_country": rng.choice(COUNTRIES),
            }
            keys = order_keys(order)
            call = Seeded(
                id=f"dm{i - n:04d}" if demo else f"an{i:04d}",
                created_at=created,
                answered_at=answered,
                ended_at=ended,
                end_reason=EndReason.BUYER_LEFT_QUEUE if left else EndReason.AGENT_ENDED,
                purpose=DEMO if demo else rng.choice(PURPOSES),
                agent_id=agent,
                outcome=outcome,
                decision=decision,
                carrier=keys.carrier_key or "",
                channel=keys.channel_key or "",
                country=keys.buyer_country or "",
                skus=keys.skus,
            )
            db.add(
                Call(
                    id=call.id,
                    link_id=link.id,
                    order_ref=f"ORD-{i}",
                    purpose=call.purpose,
                    state=CallState.ENDED,
                    agent_id=agent,
                    created_at=created,
                    answered_at=answered,
                    ended_at=ended,
                    end_reason=call.end_reason,
                    outcome=outcome,
                    decision=decision,
                    order=order,
                    carrier_key=keys.carrier_key,
                    channel_key=keys.channel_key,
                    buyer_country=keys.buyer_country,
                )
            )
            db.flush()
            for sku in keys.skus:
                db.add(CallSku(call_id=call.id, sku_key=sku))
            seeded.append(call)
        db.commit()
    return seeded


def week_of(moment: datetime, tz: str) -> str:
    """The Monday of the moment's week on the clock of ``tz``."""
    local = moment.astimezone(ZoneInfo(tz))
    return (local.date() - timedelta(days=local.weekday())).isoformat()


def category_of(outcome: str) -> str:
    """An outcome code's category in the shipped taxonomy."""
    if outcome in DEMO_CODES:
        return DEMO_CATEGORY
    return str(SHIPPED_CATEGORY_OF[outcome])  # type: ignore[index]


def keys_of(call: Seeded, group_by: str, tz: str = "UTC") -> list[str | None]:
    """The group keys a call counts under (none: it is not counted)."""
    if group_by == "category":
        return [category_of(call.outcome)] if call.outcome else []
    if group_by == "outcome":
        return [call.outcome] if call.outcome else []
    if group_by == "sku":
        return list(call.skus) or [None]
    if group_by == "week":
        return [week_of(call.created_at, tz)]
    return [
        {
            "carrier": call.carrier,
            "country": call.country,
            "channel": call.channel,
            "agent": str(call.agent_id) if call.agent_id else None,
        }[group_by]
    ]


def expected_rows(
    calls: list[Seeded], group_by: str, tz: str = "UTC", purpose: str | None = None
) -> dict:
    """{key: {calls, by_outcome, by_decision}} counted from the rows: of the calls of
    ``purpose``, or without one of the return-reason purposes' calls (no demo)."""
    rows: dict = {}
    for call in calls:
        if (call.purpose != purpose) if purpose else (call.purpose not in RETURN_PURPOSES):
            continue
        for key in keys_of(call, group_by, tz):
            row = rows.setdefault(key, {"calls": 0, "by_outcome": {}, "by_decision": {}})
            row["calls"] += 1
            if call.outcome:
                row["by_outcome"][call.outcome] = row["by_outcome"].get(call.outcome, 0) + 1
            if call.decision:
                row["by_decision"][call.decision] = row["by_decision"].get(call.decision, 0) + 1
    return rows


def rank(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else None


def expected_service(calls: list[Seeded]) -> dict:
    answer = [(c.answered_at - c.created_at).total_seconds() for c in calls if c.answered_at]
    handle = [(c.ended_at - c.answered_at).total_seconds() for c in calls if c.answered_at]
    return {
        "calls": len(calls),
        "answered": len(answer),
        "answer_p50_s": rank(answer, 0.5),
        "answer_p90_s": rank(answer, 0.9),
        "handle_p50_s": rank(handle, 0.5),
        "handle_mean_s": round(sum(handle) / len(handle), 1) if handle else None,
        "left_queue": sum(c.end_reason == EndReason.BUYER_LEFT_QUEUE for c in calls),
        "untagged": sum(c.answered_at is not None and c.outcome is None for c in calls),
        "not_reached": sum(c.answered_at is None for c in calls),
    }


START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday; the frozen clock's month


def matching(calls: list[Seeded], params: dict[str, str]) -> list[Seeded]:
    """The seeded calls the review list's filters ``params`` select, decided here from the
    rows (as the review list's contract says), not by the server."""
    from server.models.order import filter_key  # the same normalization the shop's input gets

    def parse(moment: str) -> datetime:
        return datetime.fromisoformat(moment.replace("Z", "+00:00"))

    def keep(c: Seeded) -> bool:
        checks = {
            "since": lambda v: c.created_at >= parse(v),
            "until": lambda v: c.created_at < parse(v),
            "carrier": lambda v: c.carrier == filter_key(v),
            "channel": lambda v: c.channel == filter_key(v),
            "buyer_country": lambda v: c.country == v.upper(),
            "sku": lambda v: filter_key(v) in c.skus,
            "agent_id": lambda v: c.agent_id == int(v),
            "purpose": lambda v: c.purpose == v,
            "return_reasons": lambda v: v != "true" or c.purpose in RETURN_PURPOSES,
            "outcome": lambda v: c.outcome == v,
            "category": lambda v: c.outcome is not None and category_of(c.outcome) == v,
            "decision": lambda v: c.decision == v,
            "end_reason": lambda v: c.end_reason == v,
            "untagged": lambda v: c.answered_at is not None and c.outcome is None,
            "not_reached": lambda v: c.answered_at is None,
            "answered": lambda v: v != "true" or c.answered_at is not None,
        }
        unknown = set(params) - set(checks)
        assert not unknown, unknown
        return all(checks[name](value) for name, value in params.items())

    return [c for c in calls if keep(c)]
