"""Every page at a phone size and a desktop size, in real Chromium, through one call: no
page is wider than the screen, and each is saved as a screenshot under
``test-artifacts/screenshots/`` (ignored by git) for a person to look at."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import buyer_ends_call, go_available, sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer


def test_every_page_fits_a_phone_and_a_desktop(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    _, url = make_link(live_server.app, "ORD-2024-0042", buyer_name="Bea Buyer", locale="de")
    make_link(live_server.app, "ORD-2024-0043", "product_demo")

    login = open_participant("visitor")
    login.page.goto("/login")
    shoot(login.page, "login")

    agent = open_participant("agent")
    sign_in(agent.page, "agent@shop.test")
    go_available(agent.page)

    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(url)
    expect(buyer.page.get_by_test_id("consent")).to_be_visible()
    shoot(buyer.page, "buyer-consent")
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("queue-position")).to_have_attribute("data-position", "1")
    shoot(buyer.page, "buyer-waiting")

    expect(agent.page.get_by_test_id("queue-item")).to_have_count(1)
    shoot(agent.page, "console-queue")

    agent.page.get_by_test_id("accept").click()
    expect(buyer.page.get_by_test_id("live")).to_be_visible()
    buyer.page.get_by_test_id("chat-input").fill("Hello, the corner of the box is crushed.")
    buyer.page.get_by_test_id("chat-send").click()
    agent.page.get_by_test_id("chat-input").fill("Thanks. Please turn the box over.")
    agent.page.get_by_test_id("chat-send").click()
    expect(buyer.page.get_by_test_id("chat-log")).to_contain_text("turn the box over")
    agent.page.get_by_test_id("capture").click()
    expect(agent.page.get_by_test_id("evidence-item")).to_have_count(1, timeout=10_000)
    agent.page.get_by_test_id("evidence-caption").fill("Crushed corner, top left")
    agent.page.get_by_test_id("evidence-caption").press("Enter")
    expect(agent.page.get_by_test_id("evidence-caption-status")).to_have_text("Saved")
    agent.page.get_by_test_id("outcome-select").select_option("defect")
    agent.page.get_by_test_id("decision-select").select_option("replace")
    shoot(agent.page, "console-call")
    shoot(buyer.page, "buyer-live")

    agent.page.get_by_test_id("outcome-save").click()
    expect(agent.page.get_by_test_id("outcome-status")).to_contain_text("Saved")
    buyer_ends_call(buyer.page)
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()
    shoot(buyer.page, "buyer-ended")
    expect(agent.page.get_by_test_id("wrap-up")).to_be_visible()
    shoot(agent.page, "console-wrap-up")

    sup = open_participant("supervisor")
    sign_in(sup.page, "sup@shop.test", landing="/review")
    expect(sup.page.get_by_test_id("session-row")).to_have_count(1)
    shoot(sup.page, "review-list")
    sup.page.get_by_test_id("filter-apply").focus()
    for _ in range(20):  # to the row by keyboard: its focus ring shows
        sup.page.keyboard.press("Tab")
        if sup.page.evaluate("() => document.activeElement.dataset.testid") == "session-row-open":
            break
    shoot(sup.page, "review-list-keyboard")
    sup.page.get_by_test_id("session-row-open").click()
    expect(sup.page.get_by_test_id("photo")).to_have_count(1)
    expect(sup.page.get_by_test_id("chat-transcript").locator("li")).to_have_count(2)
    shoot(sup.page, "review-call")

    admin = open_participant("admin")
    sign_in(admin.page, "admin@shop.test", landing="/admin")
    expect(admin.page.get_by_test_id("link-row")).to_have_count(2)
    shoot(admin.page, "admin")

    # a player drops a range request when it is resized or left, as in test_review_flow
    sup.problems[:] = [p for p in sup.problems if "net::ERR_ABORTED" not in p]
    for person in (login, agent, buyer, sup, admin):
        person.assert_clean()

    # a page whose vocabulary cannot be fetched: its error notice, no empty forms
    admin.page.route("**/api/vocabulary", lambda route: route.fulfill(status=503))
    admin.page.goto("/review")
    expect(admin.page.get_by_test_id("notice")).to_be_visible()
    shoot(admin.page, "review-unavailable")
