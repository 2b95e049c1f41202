"""The review page filters calls by their order in real Chromium: SKU, carrier, channel
and country narrow the list to exactly the calls whose order matches, and a call's page
shows its order and offers its evidence bundle."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.orders import stored_orders
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer


def test_a_supervisor_narrows_the_review_list_by_the_order_and_sees_it_on_the_call(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    ids = stored_orders(live_server.app)
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    page = open_participant("supervisor").page
    sign_in(page, "sup@shop.test", landing="/review")
    rows = page.get_by_test_id("session-row")
    expect(rows).to_have_count(4)

    def apply(**values: str) -> None:
        for name in ("sku", "carrier", "channel", "country"):
            page.get_by_test_id(f"filter-{name}").fill(values.get(name, ""))
        page.get_by_test_id("filter-apply").click()

    apply(carrier="dhl express")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("session-row-order")).to_have_text(
        ["ORD-dhl_fr_plate", "ORD-dhl_de_mug"]
    )
    shoot(page, "review-list-order-filters")
    apply(sku="MUG-01", country="fr")
    expect(page.get_by_test_id("session-row-order")).to_have_text(["ORD-ups_fr_mug_plate"])
    apply(channel="Shop")
    expect(rows).to_have_count(2)

    page.locator('[data-testid="session-row"]', has_text="ORD-dhl_fr_plate").get_by_test_id(
        "session-row-open"
    ).click()
    box = page.get_by_test_id("session-order-details")
    expect(box.get_by_test_id("session-order-details-sku")).to_have_text(["PLT-07"])
    expect(box.get_by_test_id("session-order-details-carrier")).to_have_text("dhl  express")
    bundle = page.get_by_test_id("session-bundle")
    expect(bundle).to_have_attribute("href", f"/api/sessions/{ids['dhl_fr_plate']}/bundle")
    shoot(page, "review-call-order")
