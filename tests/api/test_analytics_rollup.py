"""The analytics roll-up stays equal to the calls: after any sequence of creating,
answering, ending, tagging, re-tagging, re-assigning, erasing the order of and deleting
calls (each in its transaction, as the server writes them), the stored roll-up equals a
recount from the rows, and every figure read through it equals the one counted in plain
Python from the rows, for periods with partial days and months and weeks in zones with
half-hour offsets. ``showdesk db rollup`` rebuilds and checks it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import Session, select

from server.app import create_app
from server.db.migrate import alembic_config, upgrade
from server.evidence import analytics
from server.evidence.review_list import CallFilter
from server.models import Call, CallRollup, CallSku
from server.models.order import order_keys
from server.models.rollup import bucket_of, rebuild, recount, stored, verify
from signaling.vocabulary import CallState, EndReason, Purpose
from tests.helpers.accounts import add_user
from tests.helpers.analytics_data import Seeded, expected_rows, rank
from tests.helpers.cli import showdesk
from tests.helpers.links import make_link
from tests.helpers.postgres import fresh_database
from tests.helpers.servers import make_settings

T0 = datetime(2026, 10, 20, 5, 17, 3, 250_000, tzinfo=UTC)  # 12 days before a month ends
SPAN_S = 40 * 86400
GROUPS = ["category", "outcome", "sku", "carrier", "country", "channel", "agent", "week"]
OUTCOMES = ["damage", "defect", "misuse", "no_fault_found", "wrong_size", None]
DECISIONS = ["refund", "replace", "reject", None]
PURPOSES = [Purpose.DAMAGE_VERIFICATION, Purpose.REMOTE_INSPECTION, Purpose.PRODUCT_DEMO]
CARRIERS = ["DHL Express", "ups"]
SKUS = ["MUG-01", "PLT-07", "BWL-03"]
ZONES = ["UTC", "Asia/Kolkata", "America/St_Johns", "Australia/Eucla"]

micro = st.integers(min_value=0, max_value=10**6 - 1)
op = st.one_of(
    st.tuples(
        st.just("create"),
        st.integers(0, SPAN_S - 1),
        micro,
        st.integers(0, 2),
        st.sampled_from([*CARRIERS, None]),
        st.sampled_from(["DE", "FR", None]),
        st.sets(st.sampled_from(SKUS), max_size=2),
    ),
    st.tuples(st.just("answer"), st.integers(0, 50), st.integers(0, 400), micro),
    st.tuples(st.just("end"), st.integers(0, 50), st.integers(0, 900), micro, st.booleans()),
    st.tuples(
        st.just("tag"), st.integers(0, 50), st.sampled_from(OUTCOMES), st.sampled_from(DECISIONS)
    ),
    st.tuples(st.just("agent"), st.integers(0, 50), st.integers(0, 1)),
    st.tuples(st.just("erase"), st.integers(0, 50)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
)
period = st.tuples(
    st.integers(-86400, SPAN_S),
    st.integers(3600, SPAN_S + 86400),
    micro,
    st.sampled_from([None, *PURPOSES]),
)


_databases = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, app, tmp_path, clock):
    if request.param == "postgresql":
        admin = request.getfixturevalue("postgres_admin_url")
        url = fresh_database(admin, f"showdesk_rollup_{next(_databases)}")
        app = create_app(make_settings(tmp_path / "pg", database_url=url), clock=clock)
    agents = [add_user(app, f"r{i}@shop.test", "agent", f"R {i}") for i in range(2)]
    link, _ = make_link(app, "ORD-R")
    return app.state.engine, agents, link.id


def _apply(db: Session, step: tuple, agents: list[int], link_id: int, n: int) -> None:
    kind = step[0]
    if kind == "create":
        _, offset, us, purpose, carrier, country, skus = step
        order = {
            "lines": [{"sku": s, "name": s, "quantity": 1, "lot": None} for s in sorted(skus)],
            "carrier": carrier,
            "channel": "shop",
            "buyer_country": country,
        }
        keys = order_keys(order)
        call = Call(
            id=f"r{n:05d}",
            link_id=link_id,
            order_ref=f"ORD-{n}",
            purpose=PURPOSES[purpose],
            state=CallState.WAITING,
            created_at=T0 + timedelta(seconds=offset, microseconds=us),
            order=order,
            carrier_key=keys.carrier_key,
            channel_key=keys.channel_key,
            buyer_country=keys.buyer_country,
        )
        db.add(call)
        db.flush()  # the SKUs in a flush of their own, as the call store writes them
        for sku in keys.skus:
            db.add(CallSku(call_id=call.id, sku_key=sku))
        return
    calls = db.exec(select(Call).order_by(Call.id)).all()
    if not calls:
        return
    call = calls[step[1] % len(calls)]
    if kind == "answer" and call.answered_at is None and call.ended_at is None:
        call.answered_at = call.created_at + timedelta(seconds=step[2], microseconds=step[3])
        call.agent_id = agents[0]
        call.state = CallState.LIVE
    elif kind == "end" and call.ended_at is None:
        call.ended_at = (call.answered_at or call.created_at) + timedelta(
            seconds=step[2], microseconds=step[3]
        )
        left = step[4] and call.answered_at is None
        call.end_reason = EndReason.BUYER_LEFT_QUEUE if left else EndReason.AGENT_ENDED
        call.state = CallState.ENDED
    elif kind == "tag" and call.answered_at is not None:
        call.outcome = step[2]
        call.decision = step[3] if step[2] else None
    elif kind == "agent" and call.agent_id is not None:
        call.agent_id = agents[step[2]]
    elif kind == "erase":
        call.order = call.carrier_key = call.channel_key = call.buyer_country = None
        for sku in db.exec(select(CallSku).where(CallSku.call_id == call.id)).all():
            db.delete(sku)
    elif kind == "delete":
        for sku in db.exec(select(CallSku).where(CallSku.call_id == call.id)).all():
            db.delete(sku)
        db.flush()
        db.delete(call)
        return
    db.add(call)


def _seeded(db: Session) -> list[Seeded]:
    skus: dict[str, list[str]] = {}
    for call_id, sku in db.exec(select(CallSku.call_id, CallSku.sku_key)).all():
        skus.setdefault(call_id, []).append(sku)
    return [
        Seeded(
            id=c.id,
            created_at=c.created_at,
            answered_at=c.answered_at,
            ended_at=c.ended_at,  # type: ignore[arg-type]
            end_reason=c.end_reason or "",
            purpose=str(c.purpose),
            agent_id=c.agent_id,
            outcome=c.outcome,
            decision=c.decision and str(c.decision),
            carrier=c.carrier_key,  # type: ignore[arg-type]  # None: the API's null key
            channel=c.channel_key,  # type: ignore[arg-type]
            country=c.buyer_country,  # type: ignore[arg-type]
            skus=tuple(skus.get(c.id, ())),
        )
        for c in db.exec(select(Call)).all()
    ]


def _expected_service(calls: list[Seeded]) -> dict:
    """The service figures counted from the rows (calls here may still be running)."""
    answered = [c for c in calls if c.answered_at is not None]
    answer = [(c.answered_at - c.created_at).total_seconds() for c in answered]
    handle = [(c.ended_at - c.answered_at).total_seconds() for c in answered if c.ended_at]
    ended = [c for c in calls if c.ended_at is not None and c.outcome is None]
    return {
        "calls": len(calls),
        "answered": len(answered),
        "answer_p50_s": rank(answer, 0.5),
        "answer_p90_s": rank(answer, 0.9),
        "handle_p50_s": rank(handle, 0.5),
        "handle_mean_s": round(sum(handle) / len(handle), 1) if handle else None,
        "left_queue": sum(c.end_reason == EndReason.BUYER_LEFT_QUEUE for c in calls),
        "untagged": sum(c.answered_at is not None for c in ended),
        "not_reached": sum(c.answered_at is None for c in ended),
    }


def _as_dict(rows: list) -> dict:
    return {
        r.key: {"calls": r.calls, "by_outcome": r.by_outcome, "by_decision": r.by_decision}
        for r in rows
    }


@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a database is slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(op, min_size=1, max_size=40),
    periods=st.lists(period, min_size=1, max_size=3),
    zone=st.sampled_from(ZONES),
)
def test_the_rollup_equals_a_recount_after_any_changes(world, steps, periods, zone):
    engine, agents, link_id = world
    with Session(engine) as db:
        for table in (CallSku, Call, CallRollup):
            db.exec(delete(table))  # type: ignore[call-overload]
        db.commit()
    for n, step in enumerate(steps):
        with Session(engine) as db:
            _apply(db, step, agents, link_id, n)
            db.commit()
    with engine.connect() as conn:
        assert stored(conn) == recount(conn)
    with Session(engine) as db:
        calls = _seeded(db)
        for start, length, us, purpose in periods:
            since = T0 + timedelta(seconds=start, microseconds=us)
            until = since + timedelta(seconds=length)
            flt = CallFilter(since=since, until=until, purpose=purpose)
            inside = [
                c for c in calls if since <= c.created_at < until and purpose in (None, c.purpose)
            ]
            returns = [c for c in inside if purpose or c.purpose != Purpose.PRODUCT_DEMO]
            for group in GROUPS:
                found = analytics.outcome_rows(db, flt, group, zone)  # type: ignore[arg-type]
                assert _as_dict(found) == expected_rows(returns, group, zone, purpose), group
            assert vars(analytics.service(db, flt)) == _expected_service(inside)


@pytest.mark.parametrize("zone", [*ZONES, "Asia/Kathmandu", "Australia/Lord_Howe"])
def test_calls_either_side_of_the_viewers_monday_midnight_count_in_their_own_weeks(world, zone):
    engine, agents, link_id = world
    monday = datetime(2026, 10, 26, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    # seconds from the viewer's Monday 00:00 (the last 300 microseconds of Sunday too)
    near = [-3000, -1200, -1, -0.0003, 0, 1, 1200, 3000]
    with Session(engine) as db:
        for n, seconds in enumerate(near * 2):
            offset = (monday - T0).total_seconds() + seconds
            whole, part = int(offset // 1), round(offset % 1 * 10**6)
            step = ("create", whole, part, n % 2, CARRIERS[n % 2], "DE", {"MUG-01"})
            _apply(db, step, agents, link_id, n)
            db.commit()
    with Session(engine) as db:
        calls = _seeded(db)
        assert {c.created_at for c in calls} == {monday + timedelta(seconds=s) for s in near}
        periods = [
            (bucket_of(T0, "d"), bucket_of(T0, "d") + timedelta(days=14)),  # whole UTC days
            (monday - timedelta(days=7), monday + timedelta(days=7)),  # the viewer's days
            # over Lord Howe Island's change from +10:30 to +11:00 on 4 October
            (monday - timedelta(days=28), monday + timedelta(days=7)),
        ]
        for since, until in periods:
            for carrier in (None, "ups"):
                flt = CallFilter(since=since, until=until, carrier=carrier)
                keep = [c for c in calls if carrier in (None, c.carrier)]
                found = _as_dict(analytics.outcome_rows(db, flt, "week", zone))
                assert found == expected_rows(keep, "week", zone), (since, carrier)
                assert sorted(found) == ["2026-10-19", "2026-10-26"], (since, carrier)
                assert found["2026-10-19"]["calls"] == sum(c.created_at < monday for c in keep)


def test_the_cli_rebuilds_and_checks_the_rollup(tmp_path):
    assert showdesk(tmp_path, "db", "rollup", "--check").returncode == 0
    rebuilt = showdesk(tmp_path, "db", "rollup")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.strip().splitlines()[-1] == "roll-up rebuilt from 0 calls"


def test_a_rollup_that_drifted_is_found_and_rebuilt(world):
    engine, agents, link_id = world
    with Session(engine) as db:
        _apply(db, ("create", 100, 5, 0, "ups", "DE", {"MUG-01"}), agents, link_id, 1)
        db.commit()
    with engine.begin() as conn:
        assert verify(conn) == 0
        conn.execute(delete(CallRollup.__table__).where(CallRollup.__table__.c.dim == "sku"))
        assert verify(conn) == 2  # the SKU's row (no outcome yet), per day and per month
        assert rebuild(conn) == 1
        assert verify(conn) == 0


def test_the_migration_builds_the_rollup_from_the_calls_and_goes_down_and_up(world):
    engine, agents, link_id = world
    with Session(engine) as db:
        _apply(db, ("create", 100, 5, 0, "ups", "DE", {"MUG-01"}), agents, link_id, 1)
        db.commit()
    with Session(engine) as db:
        _apply(db, ("answer", 0, 42, 7), agents, link_id, 2)
        db.commit()
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    command.downgrade(alembic_config(url), "0021")
    names = {c["name"] for c in sa.inspect(engine).get_columns("call")}
    assert "answer_us" not in names and "call_rollup" not in sa.inspect(engine).get_table_names()
    upgrade(url)
    with engine.connect() as conn:
        assert verify(conn) == 0
        month = bucket_of(T0, "m")
        answered = ("service", "m", month, "damage_verification", "", "c", "answered")
        assert stored(conn)[answered] == 1
        answer_us = conn.execute(sa.select(Call.__table__.c.answer_us)).scalar_one()
    assert answer_us == 42 * 10**6 + 7
    # 0025's SKU ranking rows alone go down and come back, equal to a recount
    engine.dispose()
    command.downgrade(alembic_config(url), "0024_cluster")
    with engine.connect() as conn:
        dims = {row[0] for row in stored(conn)}
        assert "sku" in dims and not dims & {"sku_calls", "sku_outcome"}
    upgrade(url)
    with engine.connect() as conn:
        assert verify(conn) == 0
        assert "sku_calls" in {row[0] for row in stored(conn)}  # no outcome yet: no sku_outcome
