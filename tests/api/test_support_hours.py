"""Support hours: admins set and clear them (audited), staff read them, and the buyer's
context says whether anyone can answer and whether to offer recording instead."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from signaling import parse_client_message
from tests.helpers.accounts import add_user, login
from tests.helpers.links import make_link

AVAILABLE = '{"type":"set_availability","state":"available"}'
BERLIN_WEEKDAYS = {
    "timezone": "Europe/Berlin",
    "week": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    "closed_dates": ["2026-12-25"],
}


@pytest.fixture
def admin(app, client):
    add_user(app, "root@shop.test", "admin", "Root")
    return {"X-CSRF-Token": login(client, "root@shop.test")}


def at(clock, moment: datetime) -> None:
    clock.advance((moment - clock.now()).total_seconds())


def buyer_for(app) -> TestClient:
    _, url = make_link(app, "ORD-9", "damage_verification")
    buyer = TestClient(app, base_url=app.state.settings.public_url)
    assert buyer.get(urlsplit(url).path, follow_redirects=False).status_code == 303
    return buyer


def test_no_hours_set_is_always_open(client, admin):
    shown = client.get("/api/support-hours").json()
    assert shown == {
        "hours_configured": False,
        "timezone": None,
        "week": None,
        "closed_dates": [],
        "updated_at": None,
    }


def test_an_admin_sets_and_clears_the_hours_and_both_changes_are_audited(client, admin):
    saved = client.put("/api/support-hours", json=BERLIN_WEEKDAYS, headers=admin)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["hours_configured"] is True and body["timezone"] == "Europe/Berlin"
    assert body["week"]["mon"] == ["09:00-17:00"] and body["week"]["sun"] == []
    assert client.get("/api/support-hours").json()["week"] == body["week"]
    assert client.delete("/api/support-hours", headers=admin).status_code == 204
    assert client.get("/api/support-hours").json()["hours_configured"] is False
    audit = client.get("/api/audit", params={"action": "support_hours_changed"}).json()["items"]
    assert sorted(entry["detail"]["change"] for entry in audit) == ["cleared", "set"]
    set_entry = next(e for e in audit if e["detail"]["change"] == "set")
    assert set_entry["detail"]["timezone"] == "Europe/Berlin"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"timezone": "Berlin"}, '"Berlin" is not an IANA time zone'),
        ({"week": {"mon": ["17:00-09:00"]}}, 'mon: "17:00-09:00" ends before it starts'),
        ({"week": {"fri": ["09:00-13:00", "12:00-18:00"]}}, "overlap"),
        ({"week": {"mon": ["9am-5pm"]}}, 'is not an interval like "09:00-17:30"'),
        ({"closed_dates": ["2026-02-30"]}, '"2026-02-30" is not a date'),
    ],
)
def test_a_bad_schedule_is_refused_with_a_clear_error_and_nothing_stored(
    client, admin, change, words
):
    refused = client.put("/api/support-hours", json={**BERLIN_WEEKDAYS, **change}, headers=admin)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "validation_error" and words in error["message"]
    assert client.get("/api/support-hours").json()["hours_configured"] is False


def test_agents_read_the_hours_but_cannot_change_them_and_csrf_is_required(app, client, admin):
    assert client.put("/api/support-hours", json=BERLIN_WEEKDAYS).status_code == 403  # no CSRF
    agent = TestClient(app, base_url=app.state.settings.public_url)
    add_user(app, "ann@shop.test", "agent", "Ann")
    token = login(agent, "ann@shop.test")
    assert agent.get("/api/support-hours").status_code == 200
    refused = agent.put("/api/support-hours", json=BERLIN_WEEKDAYS, headers={"X-CSRF-Token": token})
    assert refused.status_code == 403
    assert agent.delete("/api/support-hours", headers={"X-CSRF-Token": token}).status_code == 403


def test_a_buyer_can_neither_read_nor_change_the_hours(app):
    buyer = buyer_for(app)
    assert buyer.get("/api/support-hours").status_code == 401
    assert buyer.put("/api/support-hours", json=BERLIN_WEEKDAYS).status_code == 401


def test_outside_hours_the_buyer_is_offered_recording_with_the_next_opening(
    app, client, admin, clock
):
    client.put("/api/support-hours", json=BERLIN_WEEKDAYS, headers=admin)
    at(clock, datetime(2026, 12, 24, 22, 0, tzinfo=UTC))  # Thursday night; Friday is closed
    support = buyer_for(app).get("/api/buyer/context").json()["support"]
    assert support["hours_configured"] is True and support["within_hours"] is False
    assert (support["offer_recording"], support["offer_reason"]) == (True, "closed")
    assert support["next_open_at"] == "2026-12-28T08:00:00Z"  # Monday 09:00 in Berlin
    assert support["closes_at"] is None and support["record_offer_wait_s"] == 300


def test_within_hours_with_nobody_online_the_reason_is_nobody_and_a_free_agent_offers_nothing(
    app, client, admin, clock
):
    client.put("/api/support-hours", json=BERLIN_WEEKDAYS, headers=admin)
    at(clock, datetime(2026, 12, 2, 10, 0, tzinfo=UTC))  # Wednesday 11:00 in Berlin
    buyer = buyer_for(app)
    support = buyer.get("/api/buyer/context").json()["support"]
    assert (support["within_hours"], support["offer_reason"]) == (True, "nobody")
    assert support["closes_at"] == "2026-12-02T16:00:00Z"
    assert (support["agents_online"], support["expected_wait_s"]) == (0, None)
    switchboard = app.state.calls.switchboard
    switchboard.connect_staff("c-ann", "7", "Ann", "agent")
    switchboard.handle("c-ann", parse_client_message(AVAILABLE))
    support = buyer.get("/api/buyer/context").json()["support"]
    assert (support["agents_available"], support["expected_wait_s"]) == (1, 0)
    assert (support["offer_recording"], support["offer_reason"]) == (False, None)


def test_the_buyer_context_support_is_described_in_the_openapi_schema(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "support" in schemas["BuyerContext"]["required"]
    assert schemas["BuyerSupport"]["properties"]["offer_reason"]["anyOf"][0]["enum"] == [
        "closed",
        "nobody",
        "long_wait",
    ]
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "put", "delete"} <= set(paths["/api/support-hours"])
    assert "422" in paths["/api/support-hours"]["put"]["responses"]
