"""``GET /api/analytics/outcomes`` and ``/service``: every figure equals the one counted
from the seeded rows; a product demo's results are never counted as return reasons, and
are read apart with ``purpose=product_demo``; parameters are checked; supervisors,
admins and keys with ``calls:read`` read them, agents and other keys do not; each
figure's review-list filters find exactly the calls behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from sqlmodel import Session

from server.accounts.apikeys import create_api_key
from tests.helpers.accounts import add_user, login
from tests.helpers.analytics_data import (
    DEMO,
    DEMO_CATEGORY,
    RETURN_PURPOSES,
    START,
    expected_rows,
    expected_service,
    matching,
    seed_calls,
)

GROUPS = ["category", "outcome", "sku", "carrier", "country", "channel", "agent", "week"]
PERIOD = {"since": START.isoformat(), "until": (START + timedelta(days=28)).isoformat()}


@pytest.fixture
def seeded(app, client):
    agents = [add_user(app, f"a{i}@shop.test", "agent", f"Agent {i}") for i in range(3)]
    add_user(app, "sue@shop.test", "supervisor", "Sue")
    calls = seed_calls(app, agents, 160, start=START, demos=40)
    login(client, "sue@shop.test")
    return calls


def _as_dict(rows: list[dict]) -> dict:
    return {
        r["key"]: {
            "calls": r["calls"],
            "by_outcome": r["by_outcome"],
            "by_decision": r["by_decision"],
        }
        for r in rows
    }


@pytest.mark.parametrize("group_by", GROUPS)
def test_every_group_equals_the_count_from_the_rows(client, seeded, group_by):
    answer = client.get("/api/analytics/outcomes", params={**PERIOD, "group_by": group_by})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert _as_dict(rows) == expected_rows(seeded, group_by)
    if group_by != "week":
        assert [r["calls"] for r in rows] == sorted((r["calls"] for r in rows), reverse=True)


def _in_order(rows: dict, codes: set[str] | None) -> list:
    """(key, figures) of ``rows`` in the answer's order, decided here: by calls, most
    first, the keyless row after its equals; by a category (its ``codes``): by the share
    of calls in it, then by those calls, then by key, without the keyless row."""
    if codes is None:
        return sorted(rows.items(), key=lambda kv: (-kv[1]["calls"], kv[0] is None, kv[0] or ""))

    def faults(row: dict) -> int:
        return sum(n for code, n in row["by_outcome"].items() if code in codes)

    keyed = [(k, row) for k, row in rows.items() if k is not None]
    return sorted(
        keyed, key=lambda kv: (-Fraction(faults(kv[1]), kv[1]["calls"]), -faults(kv[1]), kv[0])
    )


RANKS = {None: None, "product": {"defect", "wrong_size"}, "logistics": {"damage"}}
PERIODS = {  # whole days and partial ends; a whole month (November) and days around it
    "days": (START + timedelta(hours=5), START + timedelta(days=20, hours=7)),
    "month": (datetime(2026, 10, 25, tzinfo=UTC), datetime(2026, 12, 3, 13, tzinfo=UTC)),
}


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize(
    "params",
    [{}, {"purpose": "remote_inspection"}, {"channel": "shop"}],
    ids=["rolled-up", "rolled-up-purpose", "filtered"],
)
@pytest.mark.parametrize("group_by", ["sku", "carrier", "outcome"])
@pytest.mark.parametrize("rank_by", RANKS)
def test_the_top_rows_are_the_first_rows_of_the_whole_answer(
    client, seeded, period, params, group_by, rank_by
):
    since, until = PERIODS[period]
    picked = matching(seeded, {"since": since.isoformat(), "until": until.isoformat(), **params})
    whole = expected_rows(picked, group_by, purpose=params.get("purpose"))
    want = _in_order(whole, RANKS[rank_by])
    assert len(want) >= 3  # the limit leaves rows out
    query = {"since": since.isoformat(), "until": until.isoformat(), **params}
    query |= {"group_by": group_by, "limit": 2} | ({"rank_by": rank_by} if rank_by else {})
    answer = client.get("/api/analytics/outcomes", params=query)
    assert answer.status_code == 200, answer.text
    found = [
        (
            r["key"],
            {"calls": r["calls"], "by_outcome": r["by_outcome"], "by_decision": r["by_decision"]},
        )
        for r in answer.json()["rows"]
    ]
    assert found == want[:2]
    query["limit"] = 500  # every row, in the same order, with the same figures
    rows = client.get("/api/analytics/outcomes", params=query).json()["rows"]
    assert [r["key"] for r in rows] == [k for k, _ in want]
    assert _as_dict(rows) == dict(want)


@pytest.mark.parametrize("params", [{}, {"carrier": "ups"}], ids=["rolled-up", "filtered"])
def test_demo_results_are_no_return_reasons_and_are_read_apart(client, seeded, params):
    demos = [c for c in seeded if c.purpose == DEMO]
    assert any(c.outcome for c in demos) and any(c.decision for c in demos)
    if params:
        seeded = [c for c in seeded if c.carrier == "ups"]
    returns = [c for c in seeded if c.purpose in RETURN_PURPOSES]
    query = {**PERIOD, **params}
    by_category = client.get(
        "/api/analytics/outcomes", params={**query, "group_by": "category"}
    ).json()["rows"]
    assert DEMO_CATEGORY not in {r["key"] for r in by_category}
    assert sum(r["calls"] for r in by_category) == sum(c.outcome is not None for c in returns)
    # the share settled without a refund: of the return reasons' decisions only
    decided = [c.decision for c in returns if c.outcome and c.decision]
    counted = {}
    for r in by_category:
        for decision, n in r["by_decision"].items():
            counted[decision] = counted.get(decision, 0) + n
    assert sum(counted.values()) == len(decided)
    assert sum(n for d, n in counted.items() if d != "refund") == sum(
        d != "refund" for d in decided
    )
    for group_by in ("outcome", "category", "carrier", "week"):
        found = client.get(
            "/api/analytics/outcomes", params={**query, "group_by": group_by, "purpose": DEMO}
        ).json()["rows"]
        assert _as_dict(found) == expected_rows(seeded, group_by, purpose=DEMO), group_by
    by_outcome = client.get(
        "/api/analytics/outcomes", params={**query, "group_by": "outcome", "purpose": DEMO}
    ).json()["rows"]
    for row in by_outcome:
        listed = client.get(
            "/api/sessions",
            params={**query, "purpose": DEMO, "outcome": row["key"], "per_page": 1},
        ).json()
        assert listed["total"] == row["calls"]


def test_weeks_are_counted_in_the_viewers_time_zone(client, seeded):
    params = {**PERIOD, "group_by": "week", "tz": "America/Los_Angeles"}
    rows = client.get("/api/analytics/outcomes", params=params).json()["rows"]
    assert _as_dict(rows) == expected_rows(seeded, "week", "America/Los_Angeles")
    assert [r["key"] for r in rows] == sorted(r["key"] for r in rows)


# Monday 2026-11-09 00:00 on the clocks of zones whose offset is not whole hours
WEEK_STARTS = {
    "Asia/Kolkata": datetime(2026, 11, 8, 18, 30, tzinfo=UTC),  # +5:30
    "Asia/Kathmandu": datetime(2026, 11, 8, 18, 15, tzinfo=UTC),  # +5:45
    "Australia/Eucla": datetime(2026, 11, 8, 15, 15, tzinfo=UTC),  # +8:45
    "America/St_Johns": datetime(2026, 11, 9, 3, 30, tzinfo=UTC),  # -3:30
}
NEAR = [-50 * 60, -20 * 60, -1, 0, 1, 20 * 60, 50 * 60]  # seconds from the week's start


@pytest.mark.parametrize("zone", sorted(WEEK_STARTS))
def test_a_week_starts_at_the_viewers_midnight_in_a_half_hour_time_zone(app, client, zone):
    agents = [add_user(app, "a@shop.test", "agent", "Agent")]
    add_user(app, "sue@shop.test", "supervisor", "Sue")
    monday = WEEK_STARTS[zone]
    near = [monday + timedelta(seconds=s) for s in NEAR]
    seeded = seed_calls(app, agents, 70, start=START, at=near)
    login(client, "sue@shop.test")
    expected = expected_rows(seeded, "week", zone)
    before = sum(c.created_at < monday for c in seeded if c.purpose in RETURN_PURPOSES)
    assert expected["2026-11-02"]["calls"] == before  # the helper's weeks are the clock's
    assert expected["2026-11-09"]["calls"] == 70 - before - sum(
        c.purpose not in RETURN_PURPOSES for c in seeded
    )
    local_midnight = monday - timedelta(days=7)  # a period from the viewer's midnight
    periods = {
        "whole UTC days": (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC)),
        "the viewer's days": (local_midnight, monday + timedelta(days=7)),
    }
    for name, (since, until) in periods.items():
        base = {"since": since.isoformat(), "until": until.isoformat(), "group_by": "week"}
        for narrow in ({}, {"carrier": "ups"}):
            params = {**base, "tz": zone, **narrow}
            answer = client.get("/api/analytics/outcomes", params=params)
            assert answer.status_code == 200, answer.text
            keep = [c for c in seeded if not narrow or c.carrier == "ups"]
            assert _as_dict(answer.json()["rows"]) == expected_rows(keep, "week", zone), (
                name,
                narrow,
            )


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"carrier": "dhl express"}, lambda c: c.carrier == "dhl express"),
        ({"country": "fr"}, lambda c: c.country == "FR"),
        ({"channel": "Amazon.de"}, lambda c: c.channel == "amazon.de"),
        ({"sku": "mug-01"}, lambda c: "mug-01" in c.skus),
        ({"purpose": "remote_inspection"}, lambda c: c.purpose == "remote_inspection"),
    ],
)
def test_filters_narrow_every_figure(client, seeded, params, keep):
    picked = [c for c in seeded if keep(c)]
    found = client.get(
        "/api/analytics/outcomes", params={**PERIOD, **params, "group_by": "category"}
    ).json()["rows"]
    assert _as_dict(found) == expected_rows(picked, "category")
    service = client.get("/api/analytics/service", params={**PERIOD, **params}).json()
    assert {k: service[k] for k in expected_service(picked)} == expected_service(picked)


def test_an_agent_filter_and_a_shorter_period(client, seeded):
    agent = seeded[1].agent_id or seeded[2].agent_id
    since, until = START + timedelta(days=3), START + timedelta(days=10)
    picked = [c for c in seeded if c.agent_id == agent and since <= c.created_at < until]
    params = {"since": since.isoformat(), "until": until.isoformat(), "agent": agent}
    found = client.get("/api/analytics/outcomes", params={**params, "group_by": "sku"}).json()
    assert _as_dict(found["rows"]) == expected_rows(picked, "sku")


def test_service_figures_equal_the_rows(client, seeded):
    answer = client.get("/api/analytics/service", params=PERIOD)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {k: body[k] for k in expected_service(seeded)} == expected_service(seeded)
    assert body["left_queue"] > 0 and body["untagged"] > 0
    # the figures' review-list filters: the answered, untagged and never-reached calls
    for figure, params in (
        ("answered", {"answered": "true"}),
        ("untagged", {"untagged": "true"}),
        ("not_reached", {"not_reached": "true"}),
    ):
        listed = client.get("/api/sessions", params={**PERIOD, **params, "per_page": 1})
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == body[figure] == len(matching(seeded, {**PERIOD, **params}))
    assert 0 < body["answered"] < body["calls"]


def test_each_figure_s_review_list_filters_find_exactly_its_calls(client, seeded):
    rows = client.get("/api/analytics/outcomes", params={**PERIOD, "group_by": "carrier"}).json()[
        "rows"
    ]
    for row in rows:
        for outcome, n in row["by_outcome"].items():
            listed = client.get(
                "/api/sessions",
                params={**PERIOD, "carrier": row["key"], "outcome": outcome, "per_page": 100},
            ).json()
            ids = {c.id for c in seeded if c.carrier == row["key"] and c.outcome == outcome}
            assert listed["total"] == n == len(ids)
            assert {item["id"] for item in listed["items"]} == ids
        # a row's calls (untagged ones too) are the return reasons' calls of its carrier
        listed = client.get(
            "/api/sessions",
            params={**PERIOD, "carrier": row["key"], "return_reasons": "true", "per_page": 100},
        ).json()
        ids = {c.id for c in seeded if c.carrier == row["key"] and c.purpose in RETURN_PURPOSES}
        assert listed["total"] == row["calls"] == len(ids)
        assert {item["id"] for item in listed["items"]} == ids
    by_category = client.get(
        "/api/analytics/outcomes", params={**PERIOD, "group_by": "category"}
    ).json()["rows"]
    for row in by_category:
        listed = client.get(
            "/api/sessions", params={**PERIOD, "category": row["key"], "per_page": 100}
        ).json()
        assert listed["total"] == row["calls"]
    left = client.get(
        "/api/sessions", params={**PERIOD, "end_reason": "buyer_left_queue", "per_page": 1}
    ).json()
    assert left["total"] == expected_service(seeded)["left_queue"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"group_by": "colour"}, "group_by"),
        ({"group_by": "sku", "since": None}, "since"),
        ({"group_by": "sku", "until": "yesterday"}, "until"),
        ({"group_by": "sku", "until": PERIOD["since"]}, "must end after it starts"),
        ({"group_by": "sku", "until": "2028-01-01T00:00:00Z"}, "at most 400 days"),
        ({"group_by": "week", "tz": "Mars/Olympus"}, "not an IANA time zone"),
        ({"group_by": "sku", "country": "DEU"}, "country"),
        ({"group_by": "sku", "agent": "0"}, "agent"),
        ({"group_by": "sku", "purpose": "fun"}, "purpose"),
        ({"group_by": "sku", "limit": "0"}, "limit"),
        ({"group_by": "sku", "limit": "501"}, "limit"),
        ({"group_by": "sku", "rank_by": "Product!"}, "rank_by"),
        ({"group_by": "sku", "rank_by": "weather"}, "no category"),
        ({"group_by": "sku", "rank_by": "demo_result"}, "no category"),  # not a return reason
        ({"group_by": "sku", "purpose": "product_demo", "rank_by": "product"}, "no category"),
        ({"group_by": "week", "limit": "3"}, "weeks are listed whole"),
        ({"group_by": "week", "rank_by": "product"}, "weeks are listed whole"),
    ],
)
def test_bad_parameters_are_refused_with_a_sentence(client, seeded, params, words):
    query = {k: v for k, v in {**PERIOD, **params}.items() if v is not None}
    answer = client.get("/api/analytics/outcomes", params=query)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert words.lower() in error["message"].lower(), error["message"]


def test_agents_are_refused_and_keys_need_calls_read(app, client, seeded):
    client.post("/api/auth/logout", headers={"X-CSRF-Token": client.cookies.get("csrf_token")})
    client.cookies.clear()
    login(client, "a0@shop.test")
    assert client.get("/api/analytics/service", params=PERIOD).status_code == 403
    client.cookies.clear()
    with Session(app.state.engine, expire_on_commit=False) as db:
        _, reader = create_api_key(db, "bi", app.state.clock.now(), scopes=["calls:read"])
        _, writer = create_api_key(db, "links", app.state.clock.now(), scopes=["links:write"])
    ok = client.get(
        "/api/analytics/outcomes",
        params={**PERIOD, "group_by": "country"},
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert ok.status_code == 200, ok.text
    assert _as_dict(ok.json()["rows"]) == expected_rows(seeded, "country")
    refused = client.get(
        "/api/analytics/service", params=PERIOD, headers={"Authorization": f"Bearer {writer}"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "missing_scope"
