"""Orders on links: validated on ``POST /api/links``, copied to each call made from the
link (a call keeps it when the link changes), shown to the agent on the queue item, in
``GET /api/sessions/{id}``, and filterable on the review list."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session

from server.models import Link
from tests.helpers.accounts import add_user, login
from tests.helpers.orders import assert_filters_pick_exactly_the_matching_calls, stored_orders
from tests.helpers.sync_sockets import _said_hello

ORDER = {
    "lines": [
        {
            "sku": "MUG-01",
            "name": "Stoneware mug",
            "quantity": 2,
            "lot": "L2026-11",
            "category": "Kitchenware",
        },
        {"sku": "PLT-07", "name": "Dinner plate", "quantity": 1},
    ],
    "carrier": "DHL Express",
    "tracking_number": "JD014600006211",
    "channel": "amazon.de",
    "buyer_country": "de",
    "ordered_at": "2026-11-20T10:00:00Z",
    "delivered_at": "2026-11-24T15:30:00Z",
}
LINK = {"order_ref": "ORD-2001", "purpose": "damage_verification"}


@pytest.fixture
def agent(app, client):
    add_user(app, "ana@shop.test", "agent", "Ana")
    return {"X-CSRF-Token": login(client, "ana@shop.test")}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"buyer_country": "XX"}, "not an ISO 3166-1 alpha-2 country code"),
        ({"buyer_country": "DEU"}, "buyer country must be at most 2 characters"),
        ({"delivered_at": "2026-11-19T10:00:00Z"}, "delivered_at must not be before ordered_at"),
        ({"lines": [{"sku": "A", "name": "B", "quantity": 0}]}, "quantity"),
        ({"lines": [{"sku": "   ", "name": "B", "quantity": 1}]}, "must not be empty"),
        ({"lines": [{"sku": "A\x07", "name": "B", "quantity": 1}]}, "control characters"),
        ({"carrier": "x" * 65}, "carrier"),
        (
            {"lines": [{"sku": "A", "name": "B", "quantity": 1, "category": "x" * 65}]},
            "category must be at most 64 characters",
        ),
        (
            {"lines": [{"sku": "A", "name": "B", "quantity": 1, "category": "Cam\neras"}]},
            "category",
        ),
        ({"lines": [{"sku": "A", "name": "B", "quantity": 1, "category": " "}]}, "category"),
        ({"lines": [{"sku": "A", "name": "B", "quantity": 1}] * 101}, "lines"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_order_is_refused_with_a_sentence_naming_what_is_wrong(client, agent, change, words):
    answer = client.post("/api/links", json={**LINK, "order": {**ORDER, **change}}, headers=agent)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert words.lower() in error["message"].lower(), error["message"]


def test_a_links_order_is_listed_with_it_the_country_in_capitals(client, agent):
    assert (
        client.post("/api/links", json={**LINK, "order": ORDER}, headers=agent).status_code == 201
    )
    order = client.get("/api/links").json()["items"][0]["order"]
    assert order["buyer_country"] == "DE"
    assert order["lines"][0] == ORDER["lines"][0]
    assert order["lines"][1]["lot"] is None and order["lines"][1]["category"] is None
    assert order["carrier"] == "DHL Express" and order["tracking_number"] == "JD014600006211"
    assert order["delivered_at"].startswith("2026-11-24T15:30:00")


def test_the_call_keeps_the_order_its_link_had_and_the_agent_sees_it_in_the_queue(
    live_server,
):
    add_user(live_server.app, "ana@shop.test", "agent", "Ana")
    add_user(live_server.app, "sue@shop.test", "supervisor", "Sue")
    with httpx.Client(base_url=live_server.url) as staff:
        csrf = login(staff, "ana@shop.test")
        made = staff.post(
            "/api/links", json={**LINK, "order": ORDER}, headers={"X-CSRF-Token": csrf}
        )
        assert made.status_code == 201, made.text
        staff_cookie = f"showdesk_session={staff.cookies['showdesk_session']}"
    with httpx.Client(base_url=live_server.url) as phone:
        opened = phone.get(made.json()["url"].removeprefix(live_server.url), follow_redirects=False)
        buyer_cookie = f"showdesk_call={opened.cookies['showdesk_call']}"
    with (
        _said_hello(live_server, "staff", staff_cookie) as agent,
        _said_hello(live_server, "buyer", buyer_cookie) as buyer,
    ):
        agent.send({"type": "set_availability", "state": "available"})
        waiting = buyer.consent(locale="en", timezone="Europe/Berlin")
        assert "order" not in waiting  # the buyer is not sent the shop's order data
        queue = agent.next("queue", lambda m: bool(m["items"]))
        item = queue["items"][0]
        assert item["order"]["lines"][0]["sku"] == "MUG-01"
        assert item["order"]["carrier"] == "DHL Express"
        agent.answer(waiting["session_id"])
        agent.send({"type": "end"})
        agent.next("call", lambda m: m["state"] == "ended")
    call_id = waiting["session_id"]
    with Session(live_server.app.state.engine) as db:
        link = db.get(Link, made.json()["id"])
        link.order = {**link.order, "carrier": "UPS"}  # the link changes later
        db.add(link)
        db.commit()
    with httpx.Client(base_url=live_server.url) as supervisor:
        login(supervisor, "sue@shop.test")
        detail = supervisor.get(f"/api/sessions/{call_id}").json()
        assert detail["order"]["carrier"] == "DHL Express"
        assert [line["sku"] for line in detail["order"]["lines"]] == ["MUG-01", "PLT-07"]
        found = supervisor.get("/api/sessions", params={"sku": "mug-01"}).json()
        assert [c["id"] for c in found["items"]] == [call_id]


def test_review_filters_by_sku_carrier_channel_and_country_return_exactly_the_matching_calls(
    app, client
):
    add_user(app, "sue@shop.test", "supervisor", "Sue")
    login(client, "sue@shop.test")
    assert_filters_pick_exactly_the_matching_calls(client, stored_orders(app))


def test_a_country_filter_that_is_not_two_letters_is_refused(app, client):
    add_user(app, "sue@shop.test", "supervisor", "Sue")
    login(client, "sue@shop.test")
    answer = client.get("/api/sessions", params={"buyer_country": "FRA"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "validation_error"


def test_erasing_an_order_removes_its_order_data_from_calls_and_links(app, client):
    add_user(app, "root@shop.test", "admin", "Root")
    headers = {"X-CSRF-Token": login(client, "root@shop.test")}
    made = client.post("/api/links", json={**LINK, "order": ORDER}, headers=headers)
    assert made.status_code == 201
    ids = stored_orders(app)
    erased = client.post("/api/erasures", json={"order_ref": "ORD-dhl_de_mug"}, headers=headers)
    assert erased.status_code == 200, erased.text
    assert client.get("/api/sessions", params={"sku": "MUG-01"}).json()["total"] == 1
    assert client.get(f"/api/sessions/{ids['dhl_de_mug']}").json()["order"] is None
    client.post("/api/erasures", json={"order_ref": "ORD-2001"}, headers=headers)
    assert client.get("/api/links").json()["items"][0]["order"] is None
