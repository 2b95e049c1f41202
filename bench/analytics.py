"""How fast the analytics answer at 1,000,000 calls, on SQLite (the embedded default) and,
with ``--postgres``, on a PostgreSQL started as the tests start it.

    python bench/analytics.py [--calls N] [--repeat R] [--postgres | --postgres-only] [--keep FILE]

Creates a temporary database, migrates it, inserts N calls (default 1,000,000) spread
over a year across 20 agents, three purposes, the eleven shipped outcomes (a sixth of
the calls untagged, a tenth never reached), the five decisions, 8 carriers, 6 channels,
30 countries and 1-3 of 2,000 SKUs a call (as ``bench/review_query.py`` seeds them),
then times every query ``/analytics`` makes (``GET /api/analytics/service`` and
``/outcomes`` for each ``group_by`` it shows) for the page's default period (the last
30 days, from UTC midnights and from Berlin's), a quarter with a carrier filter and a
whole year, and the review list's decision filter, printing the median, p95 and slowest
of R runs. Never part of the test suite.
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
from sqlmodel import Session  # noqa: E402

from server.db import make_engine, migrate  # noqa: E402
from server.evidence import analytics  # noqa: E402
from server.evidence.review_list import CallFilter, list_calls  # noqa: E402
from server.models.rollup import micros, rebuild  # noqa: E402
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


COLUMNS = (
    "id link_id order_ref purpose state agent_id created_at answered_at ended_at end_reason"
    " outcome decision carrier_key channel_key buyer_country answer_us handle_us"
).split()
CHUNK = 50_000


def _stamp(moment: datetime | None) -> str | None:
    """A timestamp as SQLAlchemy stores it (naive UTC, microseconds)."""
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(calls: int):  # noqa: ANN201
    """Chunks of (call rows, call_sku rows), the calls as ``COLUMNS``."""
    rng = random.Random(15)
    countries = COUNTRIES.split()
    rows, skus = [], []
    for n in range(calls):
        created = START + timedelta(seconds=rng.randrange(365 * 86400))
        reached = rng.random() >= 0.1
        answered = created + timedelta(seconds=rng.randrange(5, 300)) if reached else None
        outcome = rng.choice(OUTCOMES) if reached and rng.random() >= 0.17 else None
        ended = (answered or created) + timedelta(seconds=rng.randrange(30, 900))
        call_id = f"c{n:08d}"
        rows.append(
            (
                call_id,
                1,
                f"ORD-{rng.randrange(20000)}",
                rng.choice(PURPOSES),
                "ended",
                1 + rng.randrange(20) if reached else None,
                created,
                answered,
                ended,
                "agent_ended" if reached else "buyer_left_queue",
                outcome,
                rng.choice(DECISIONS) if outcome else None,
                rng.choice(CARRIERS),
                rng.choice(CHANNELS),
                rng.choice(countries),
                micros(created, answered) if answered else None,
                micros(answered, ended) if answered else None,
            )
        )
        for sku in {f"sku-{rng.randrange(2000)}" for _ in range(1 + rng.randrange(3))}:
            skus.append((call_id, sku))
        if len(rows) == CHUNK:
            yield rows, skus
            rows, skus = [], []
    if rows:
        yield rows, skus


def _indexes(conn, postgres: bool) -> list[tuple[str, str]]:  # noqa: ANN001
    """(name, CREATE statement) of the secondary indexes of call and call_sku."""
    if postgres:
        found = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('call', 'call_sku')"
            " AND indexname NOT LIKE '%%pkey'"
        ).all()
    else:
        found = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            " AND tbl_name IN ('call', 'call_sku') AND sql IS NOT NULL"
        ).all()
    return [(name, sql) for name, sql in found]


def populate(engine, calls: int) -> None:  # noqa: ANN001
    """Insert the calls in bulk (executemany on SQLite, COPY on PostgreSQL) with the
    secondary indexes dropped and made again after, then build the roll-up."""
    postgres = engine.dialect.name == "postgresql"
    with Session(engine) as db:
        add_link_and_agents(db, START)
    with engine.begin() as conn:
        indexes = _indexes(conn, postgres)
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for rows, skus in generate(calls):
            if postgres:
                with cursor.copy(f"COPY call ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                with cursor.copy("COPY call_sku (call_id, sku_key) FROM STDIN") as copy:
                    for sku in skus:
                        copy.write_row(sku)
            else:
                marks = ", ".join("?" for _ in COLUMNS)
                cursor.executemany(
                    f"INSERT INTO call ({', '.join(COLUMNS)}) VALUES ({marks})",
                    [(*r[:6], *map(_stamp, r[6:9]), *r[9:]) for r in rows],
                )
                cursor.executemany("INSERT INTO call_sku (call_id, sku_key) VALUES (?, ?)", skus)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        for _, sql in indexes:
            conn.exec_driver_sql(sql)
    with engine.begin() as conn:
        rebuild(conn)
    # what autovacuum does to a table after this many inserts; the roll-up's sums are then
    # index-only scans on PostgreSQL (migration 0025)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if postgres else "ANALYZE")


def p95(times: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]


# the page's requests beyond one per group: (label, group_by, limit, rank_by)
TOP_QUERIES = [
    ("sku top 12", "sku", 12, None),
    ("sku top 10 by product", "sku", 10, "product"),
    ("carrier top 10 by logistics", "carrier", 10, "logistics"),
]


def queries(flt: CallFilter) -> dict[str, Callable[[Session], object]]:
    """The page's queries, then (marked "API") the whole SKU list it no longer asks for."""
    found: dict[str, Callable[[Session], object]] = {
        "service": lambda db: analytics.service(db, flt)
    }
    for group in GROUPS:
        if group == "sku":
            continue  # the page asks for the top SKUs only
        found[f"outcomes group_by={group}"] = lambda db, g=group: analytics.outcome_rows(
            db, flt, g, "Europe/Berlin"
        )
    for label, group, limit, rank_by in TOP_QUERIES:
        found[f"outcomes {label}"] = lambda db, g=group, n=limit, r=rank_by: analytics.outcome_rows(
            db, flt, g, "Europe/Berlin", limit=n, rank_by=r
        )
    found["API: every sku"] = lambda db: analytics.outcome_rows(db, flt, "sku", "Europe/Berlin")
    return found


def run(url: str, calls: int, repeat: int, label: str, *, seed: bool = True) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    if seed:
        began = time.perf_counter()
        populate(engine, calls)
        print(
            f"{label}: {calls:,} calls inserted, indexed and rolled up in"
            f" {time.perf_counter() - began:.1f} s"
        )
    periods = {
        "last 30 days": CallFilter(since=END - timedelta(days=30), until=END),
        # as the page asks in Berlin (UTC+1): from and to its midnights, so 23 of the
        # last day's hours and one hour before the first are counted from the calls
        "30 days from Berlin": CallFilter(
            since=END - timedelta(days=30, hours=1), until=END - timedelta(hours=1)
        ),
        "a quarter, carrier=ups": CallFilter(
            since=END - timedelta(days=91), until=END, carrier="ups"
        ),
        "a whole year": CallFilter(since=START, until=END),
    }
    print(f"{'period':24} {'query':36} {'median ms':>10} {'p95 ms':>7} {'max ms':>8}")
    with Session(engine) as db:
        for period, flt in periods.items():
            for name, query in queries(flt).items():
                times = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    query(db)
                    times.append((time.perf_counter() - t0) * 1000)
                print(
                    f"{period:24} {name:36} {statistics.median(times):10.1f}"
                    f" {p95(times):7.1f} {max(times):8.1f}"
                )
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            list_calls(db, CallFilter(decision="refund"), 1, 25)
            times.append((time.perf_counter() - t0) * 1000)
        print(
            f"{'review list':24} {'decision=refund':36} {statistics.median(times):10.1f}"
            f" {p95(times):7.1f} {max(times):8.1f}"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--postgres-only", action="store_true", help="on PostgreSQL alone")
    parser.add_argument(
        "--keep", metavar="FILE", help="SQLite file kept after the run; timed again unseeded"
    )
    args = parser.parse_args()
    if args.keep:
        seeded = Path(args.keep).exists()
        run(f"sqlite:///{args.keep}", args.calls, args.repeat, "SQLite", seed=not seeded)
        return
    with tempfile.TemporaryDirectory() as tmp:
        if not args.postgres_only:
            run(f"sqlite:///{tmp}/bench.db", args.calls, args.repeat, "SQLite")
        if args.postgres or args.postgres_only:
            from tests.helpers.postgres import postgres_server

            with postgres_server() as url:
                run(url, args.calls, args.repeat, "PostgreSQL")


if __name__ == "__main__":
    main()
