"""An order sent with a link through the API shows to the agent in real Chromium: on the
queue item as one summary line that opens to its lines, and in the call view; the call
still fits the console's screens with the order open."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect
from sqlmodel import Session

from server.accounts.apikeys import create_api_key
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import go_available, sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import CALL_MUST_SEE, assert_call_fits, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.sync_sockets import _said_hello
from tests.helpers.waiting import holds_for, page_pause

ORDER = {
    "lines": [
        {
            "sku": "MUG-01",
            "name": "Stoneware mug, speckled glaze",
            "quantity": 2,
            "lot": "L2026-11",
        },
        {"sku": "PLT-07", "name": "Dinner plate", "quantity": 1},
    ],
    "carrier": "DHL Express",
    "tracking_number": "JD014600006211",
    "channel": "amazon.de",
    "buyer_country": "DE",
    "ordered_at": "2026-11-20T10:00:00Z",
    "delivered_at": "2026-11-24T15:30:00Z",
}


def link_with_order(live_server: LiveServer) -> str:
    """A link made by the shop's order system (an API key) with ``ORDER``; its URL."""
    with Session(live_server.app.state.engine) as db:
        _, key = create_api_key(db, "orders", live_server.app.state.clock.now())
    with httpx.Client(base_url=live_server.url) as shop:
        made = shop.post(
            "/api/links",
            json={"order_ref": "ORD-9100", "purpose": "damage_verification", "order": ORDER},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert made.status_code == 201, made.text
    return made.json()["url"]


def test_the_agent_sees_the_order_of_a_link_on_the_queue_item_and_in_the_call(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    url = link_with_order(live_server)
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    page = open_participant("agent").page
    sign_in(page, "agent@shop.test")
    go_available(page)
    with httpx.Client(base_url=live_server.url) as phone:
        opened = phone.get(url.removeprefix(live_server.url), follow_redirects=False)
        cookie = f"showdesk_call={opened.cookies['showdesk_call']}"
    with _said_hello(live_server, "buyer", cookie) as buyer:
        buyer.consent(locale="de", timezone="Europe/Berlin")
        item = page.get_by_test_id("queue-item")
        expect(item).to_have_count(1)
        box = item.get_by_test_id("queue-order-details")
        expect(box.get_by_test_id("queue-order-details-summary")).to_have_text(
            "3 items · DHL Express · DE"
        )
        expect(box.get_by_test_id("queue-order-details-sku").first).not_to_be_visible()
        shoot(page, "console-queue-order-closed")
        box.get_by_test_id("queue-order-details-summary").click()
        expect(box.get_by_test_id("queue-order-details-sku")).to_have_text(["MUG-01", "PLT-07"])
        expect(box.get_by_test_id("queue-order-details-tracking")).to_have_text("JD014600006211")
        expect(box.get_by_test_id("queue-order-details-channel")).to_have_text("amazon.de")
        # the queue is drawn again every second: the box stays open
        holds_for(
            lambda: box.get_attribute("open") is not None,
            1.5,
            "the order box open across the queue's redraws",
            page_pause(page),
        )
        expect(box).to_have_attribute("open", "")
        shoot(page, "console-queue-order-open")

        item.get_by_test_id("accept").click()
        buyer.next("call", lambda m: m["state"] == "live")
        in_call = page.get_by_test_id("call-order-details")
        expect(in_call.get_by_test_id("call-order-details-summary")).to_have_text(
            "3 items · DHL Express · DE"
        )
        shoot(page, "console-call-order-closed", laptop=True)
        in_call.get_by_test_id("call-order-details-summary").click()
        expect(in_call.get_by_test_id("call-order-details-line")).to_have_count(2)
        expect(in_call.get_by_test_id("call-order-details-carrier")).to_have_text("DHL Express")
        shoot(page, "console-call-order-open", laptop=True)
        # the reloaded console learns the order from its welcome
        page.reload()
        expect(page.get_by_test_id("call-order-details-summary")).to_have_text(
            "3 items · DHL Express · DE"
        )
        # the order opened lies over the call: every control stays where it was
        in_call.get_by_test_id("call-order-details-summary").click()
        expect(in_call.get_by_test_id("call-order-details-line")).to_have_count(2)
        in_call.get_by_test_id("call-order-details-summary").click()
        assert_call_fits(page, "with the order closed", tuple(CALL_MUST_SEE[1:]))
