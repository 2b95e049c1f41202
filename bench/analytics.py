"""How fast the analytics answer at 1,000,000 calls, on SQLite (the embedded default) and,
with ``--postgres``, on a PostgreSQL started as the tests start it.

    python bench/analytics.py [--calls N] [--repeat R] [--postgres]

Creates a temporary database, migrates it, inserts N calls (default 1,000,000) spread
over a year across 20 agents, three purposes, the eleven shipped outcomes (a sixth of
the calls untagged, a tenth never reached), the five decisions, 8 carriers, 6 channels,
30 countries and 1-3 of 2,000 SKUs a call (as ``bench/review_query.py`` seeds them),
then times every query ``/analytics`` makes (``GET /api/analytics/service`` and
``/outcomes`` for each ``group_by`` it shows) for the page's default period (the last
30 days), a quarter with a carrier filter and a whole year, and the review list's
decision filter, printing the median, p95 and slowest of R runs. Never part of the test
suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from call_seed import add_link_and_agents  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from server.db import make_engine, migrate  # noqa: E402
from server.evidence import analytics  # noqa: E402
from server.evidence.review_list import CallFilter, list_calls  # noqa: E402
from server.models import Call, CallSku  # noqa: E402
from signaling.vocabulary import Outcome  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=365)
OUTCOMES = [str(o) for o in Outcome]
DECISIONS = ["refund", "replace", "repair", "reject", "none"]
PURPOSES = ["damage_verification", "remote_inspection", "product_demo"]
CARRIERS = ["dhl express", "ups", "dpd", "gls", "fedex", "colissimo", "poste italiane", "sf"]
CHANNELS = ["shop", "amazon.de", "amazon.fr", "ebay", "zalando", "allegro"]
COUNTRIES = (
    "DE FR IT ES NL BE AT PL SE DK FI IE PT CZ HU RO GR SK SI HR BG LT LV EE LU MT CY GB CH NO"
)
GROUPS = ["category", "week", "carrier", "sku", "country", "channel", "agent"]


def populate(engine, calls: int) -> None:  # noqa: ANN001
    rng = random.Random(15)
    countries = COUNTRIES.split()
    with Session(engine) as db:
        add_link_and_agents(db, START)
        rows, skus = [], []
        for n in range(calls):
            created = START + timedelta(seconds=rng.randrange(365 * 86400))
            reached = rng.random() >= 0.1
            answered = created + timedelta(seconds=rng.randrange(5, 300)) if reached else None
            outcome = rng.choice(OUTCOMES) if reached and rng.random() >= 0.17 else None
            rows.append(
                {
                    "id": f"c{n:08d}",
                    "link_id": 1,
                    "order_ref": f"ORD-{rng.randrange(20000)}",
                    "purpose": rng.choice(PURPOSES),
                    "state": "ended",
                    "agent_id": 1 + rng.randrange(20) if reached else None,
                    "created_at": created,
                    "answered_at": answered,
                    "ended_at": (answered or created) + timedelta(seconds=rng.randrange(30, 900)),
                    "end_reason": "agent_ended" if reached else "buyer_left_queue",
                    "outcome": outcome,
                    "decision": rng.choice(DECISIONS) if outcome else None,
                    "carrier_key": rng.choice(CARRIERS),
                    "channel_key": rng.choice(CHANNELS),
                    "buyer_country": rng.choice(countries),
                }
            )
            for sku in {f"sku-{rng.randrange(2000)}" for _ in range(1 + rng.randrange(3))}:
                skus.append({"call_id": f"c{n:08d}", "sku_key": sku})
            if len(rows) == 20_000:
                db.execute(insert(Call), rows)
                db.execute(insert(CallSku), skus)
                rows, skus = [], []
        if rows:
            db.execute(insert(Call), rows)
            db.execute(insert(CallSku), skus)
        db.commit()
        db.execute(text("ANALYZE"))
        db.commit()


def p95(times: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]


def queries(flt: CallFilter) -> dict[str, Callable[[Session], object]]:
    found: dict[str, Callable[[Session], object]] = {
        "service": lambda db: analytics.service(db, flt)
    }
    for group in GROUPS:
        found[f"outcomes group_by={group}"] = lambda db, g=group: analytics.outcome_rows(
            db, flt, g, "Europe/Berlin"
        )
    return found


def run(url: str, calls: int, repeat: int, label: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    began = time.perf_counter()
    populate(engine, calls)
    print(f"{label}: {calls:,} calls inserted in {time.perf_counter() - began:.1f} s")
    periods = {
        "last 30 days": CallFilter(since=END - timedelta(days=30), until=END),
        "a quarter, carrier=ups": CallFilter(
            since=END - timedelta(days=91), until=END, carrier="ups"
        ),
        "a whole year": CallFilter(since=START, until=END),
    }
    print(f"{'period':24} {'query':28} {'median ms':>10} {'p95 ms':>7} {'max ms':>8}")
    with Session(engine) as db:
        for period, flt in periods.items():
            for name, query in queries(flt).items():
                times = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    query(db)
                    times.append((time.perf_counter() - t0) * 1000)
                print(
                    f"{period:24} {name:28} {statistics.median(times):10.1f}"
                    f" {p95(times):7.1f} {max(times):8.1f}"
                )
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            list_calls(db, CallFilter(decision="refund"), 1, 25)
            times.append((time.perf_counter() - t0) * 1000)
        print(
            f"{'review list':24} {'decision=refund':28} {statistics.median(times):10.1f}"
            f" {p95(times):7.1f} {max(times):8.1f}"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", args.calls, args.repeat, "SQLite")
        if args.postgres:
            from tests.helpers.postgres import postgres_server

            with postgres_server() as url:
                run(url, args.calls, args.repeat, "PostgreSQL")


if __name__ == "__main__":
    main()
