"""axe-core over every page and state that the other browser tests do not already check:
the sign-in page, the staff pages as they open, the invalid-link page, and the buyer's
page through a call (consent, waiting, live, ended). Any violation of impact serious or
critical fails, listed by rule, impact and element."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations, violations
from tests.helpers.browser_steps import buyer_ends_call, go_available, sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.servers import LiveServer


def test_the_axe_check_fails_on_a_serious_violation(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    visitor = open_participant("visitor")
    visitor.page.goto("/login")
    # an image button with no name: "button-name", critical
    visitor.page.evaluate("() => document.body.append(document.createElement('button'))")
    assert any(v["rule"] == "button-name" for v in violations(visitor.page))
    try:
        assert_no_serious_violations(visitor.page, "the sign-in page with a nameless button")
    except AssertionError as failure:
        assert "button-name (critical)" in str(failure)
    else:
        raise AssertionError("a nameless button passed the axe check")


def test_staff_pages_and_the_invalid_link_page_have_no_serious_violations(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    visitor = open_participant("visitor")
    visitor.page.goto("/login")
    assert_no_serious_violations(visitor.page, "the sign-in page")
    response = visitor.page.goto(f"{live_server.url}/j/{'x' * 43}")
    assert response is not None and response.status == 404
    assert visitor.page.evaluate("() => document.documentElement.lang") == "en"
    assert_no_serious_violations(visitor.page, "the invalid-link page")

    admin = open_participant("admin")
    sign_in(admin.page, "admin@shop.test", landing="/admin")
    for path, ready in (
        ("/console", "queue-empty"),
        ("/review", "sessions-empty"),
        ("/admin", "apikey-empty"),
    ):
        admin.page.goto(path)
        expect(admin.page.get_by_test_id(ready)).to_be_visible()
        assert admin.page.locator("h1").count() == 1, path
        assert_no_serious_violations(admin.page, path)


def test_the_buyer_page_has_no_serious_violations_through_a_call(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    _, url = make_link(live_server.app, "ORD-A11Y", buyer_name="Bea Buyer")
    agent = open_participant("agent")
    sign_in(agent.page, "agent@shop.test")
    go_available(agent.page)
    buyer = open_participant("buyer", phone=True)
    page = buyer.page
    page.goto(url)
    expect(page.get_by_test_id("consent")).to_be_visible()
    assert_no_serious_violations(page, "the buyer's consent screen")
    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("queue-position")).to_have_attribute("data-position", "1")
    assert_no_serious_violations(page, "the buyer waiting")
    agent.page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("live")).to_be_visible()
    assert_no_serious_violations(page, "the buyer in the call")
    page.get_by_test_id("end-call").click()
    expect(page.get_by_test_id("end-dialog")).to_be_visible()
    assert_no_serious_violations(page, "the buyer asked to confirm the end")
    page.get_by_test_id("end-cancel").click()
    buyer_ends_call(page)
    expect(page.get_by_test_id("call-ended")).to_be_visible()
    assert_no_serious_violations(page, "the buyer after the call")
