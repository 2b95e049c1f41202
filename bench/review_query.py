"""How fast the review list answers at 100,000 calls (SQLite, the embedded default).

    python bench/review_query.py [--calls N] [--repeat R] [--only NAME]

Creates a temporary data directory, migrates it, inserts N calls (default 100,000)
spread over a year across 20 agents, three purposes, the five outcomes (a fifth
untagged), 20,000 order references and their orders (8 carriers, 6 channels, 30
countries, 1-3 of 2,000 SKUs a call), then times ``review_list.list_calls`` (the
page, the total and the counts per outcome, as ``GET /api/sessions`` runs them) for the
common filters and the order's (SKU, carrier, channel, country) and prints the median,
p95 and slowest of R runs, with the query plan of each
page query. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from call_seed import add_link_and_agents  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.dialects import sqlite  # noqa: E402
from sqlmodel import Session  # noqa: E402

from server.db import (
    make_engine,  # noqa: E402
    migrate,  # noqa: E402
)
from server.evidence.review_list import CallFilter, list_calls, page_query  # noqa: E402
from server.models import Call, CallSku  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=UTC)
OUTCOMES = ["damage", "defect", "misuse", "no_fault_found", "inconclusive", None]
PURPOSES = ["damage_verification", "remote_inspection", "product_demo"]
CARRIERS = ["dhl express", "ups", "dpd", "gls", "fedex", "colissimo", "poste italiane", "sf"]
CHANNELS = ["shop", "amazon.de", "amazon.fr", "ebay", "zalando", "allegro"]
COUNTRIES = [
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
    "BE",
    "AT",
    "PL",
    "SE",
    "DK",
    "FI",
    "IE",
    "PT",
    "CZ",
    "HU",
    "RO",
    "GR",
    "SK",
    "SI",
    "HR",
    "BG",
    "LT",
    "LV",
    "EE",
    "LU",
    "MT",
    "CY",
    "GB",
    "CH",
    "NO",
]


def populate(engine, calls: int) -> None:  # noqa: ANN001
    rng = random.Random(7)
    with Session(engine) as db:
        add_link_and_agents(db, START)
        rows, skus = [], []
        for n in range(calls):
            created = START + timedelta(seconds=rng.randrange(365 * 86400))
            outcome = rng.choice(OUTCOMES)
            rows.append(
                {
                    "id": f"c{n:08d}",
                    "link_id": 1,
                    "order_ref": f"ORD-{rng.randrange(20000)}",
                    "purpose": rng.choice(PURPOSES),
                    "state": "ended",
                    "agent_id": 1 + rng.randrange(20),
                    "created_at": created,
                    "answered_at": created + timedelta(seconds=20),
                    "ended_at": created + timedelta(seconds=200),
                    "end_reason": "agent_ended",
                    "outcome": outcome,
                    "decision": "refund" if outcome == "damage" else None,
                    "carrier_key": rng.choice(CARRIERS),
                    "channel_key": rng.choice(CHANNELS),
                    "buyer_country": rng.choice(COUNTRIES),
                }
            )
            for sku in {f"sku-{rng.randrange(2000)}" for _ in range(1 + rng.randrange(3))}:
                skus.append({"call_id": f"c{n:08d}", "sku_key": sku})
            if len(rows) == 10_000:
                db.execute(insert(Call), rows)
                db.execute(insert(CallSku), skus)
                rows, skus = [], []
        if rows:
            db.execute(insert(Call), rows)
            db.execute(insert(CallSku), skus)
        db.commit()
        db.execute(text("ANALYZE"))


def p95(times: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", help="time only the filters whose name contains this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        began = time.perf_counter()
        populate(engine, args.calls)
        print(f"{args.calls:,} calls inserted in {time.perf_counter() - began:.1f} s")
        march = datetime(2026, 3, 1, tzinfo=UTC)
        cases = {
            "no filter, page 1": (CallFilter(), 1),
            "no filter, page 200": (CallFilter(), 200),
            "outcome=damage": (CallFilter(outcome="damage"), 1),
            "outcome=damage, page 100": (CallFilter(outcome="damage"), 100),
            "untagged": (CallFilter(untagged=True), 1),
            "agent_id=3": (CallFilter(agent_id=3), 1),
            "purpose=product_demo": (CallFilter(purpose="product_demo"), 1),
            "order_ref=ORD-1042": (CallFilter(order_ref="ORD-1042"), 1),
            "one week": (CallFilter(since=march, until=march + timedelta(days=7)), 1),
            "outcome + one month": (
                CallFilter(outcome="defect", since=march, until=march + timedelta(days=30)),
                1,
            ),
            "decision=refund": (CallFilter(decision="refund"), 1),
            "sku=SKU-42": (CallFilter(sku="SKU-42"), 1),
            "carrier=DHL Express": (CallFilter(carrier="DHL Express"), 1),
            "channel=ebay": (CallFilter(channel="ebay"), 1),
            "buyer_country=fr": (CallFilter(buyer_country="fr"), 1),
            "country + carrier, page 20": (CallFilter(buyer_country="DE", carrier="ups"), 20),
            "sku + outcome": (CallFilter(sku="sku-42", outcome="damage"), 1),
        }
        print(
            f"{'filter':32} {'median ms':>10} {'p95 ms':>7} {'max ms':>8}  total   "
            "plan of the page query"
        )
        with Session(engine) as db:
            for name, (flt, page) in cases.items():
                if args.only and args.only not in name:
                    continue
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    found = list_calls(db, flt, page, 25)
                    times.append((time.perf_counter() - t0) * 1000)
                sql = str(
                    page_query(flt, page, 25).compile(
                        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
                    )
                )
                plan = "; ".join(r[3] for r in db.execute(text("EXPLAIN QUERY PLAN " + sql)))
                print(
                    f"{name:32} {statistics.median(times):10.1f} {p95(times):7.1f}"
                    f" {max(times):8.1f}"
                    f"  {found.total:6}  {plan}"
                )
        engine.dispose()


if __name__ == "__main__":
    main()
