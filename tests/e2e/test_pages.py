"""End to end: the staff pages and the buyer page in real Chromium against a real server."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import Session, select

from server.models import Call
from signaling.vocabulary import Purpose, label
from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import go_available, sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until


def stored_end_reason(live_server: LiveServer, order_ref: str) -> str | None:
    with Session(live_server.app.state.engine) as db:
        call = db.exec(select(Call).where(Call.order_ref == order_ref)).first()
        return call.end_reason if call is not None else None


def test_first_run_admin_adds_agent_creates_link_and_agent_sees_buyer_waiting(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    admin = open_participant("admin")
    sign_in(admin.page, "admin@shop.test", landing="/admin")
    page = admin.page
    expect(page.get_by_test_id("whoami")).to_contain_text("Ada Admin")

    page.get_by_test_id("user-email").fill("agent@shop.test")
    page.get_by_test_id("user-name").fill("Aggie Agent")
    page.get_by_test_id("user-role").select_option("agent")
    page.get_by_test_id("user-add").click()
    otp = page.get_by_test_id("one-time-password")
    expect(otp).to_be_visible()
    one_time_password = otp.inner_text().strip()
    assert len(one_time_password) >= 10
    expect(page.locator('[data-testid="user-row"][data-email="agent@shop.test"]')).to_be_visible()

    page.get_by_test_id("link-order").fill("ORD-1001")
    page.get_by_test_id("link-purpose").select_option("damage_verification")
    page.get_by_test_id("link-locale").fill("de")
    page.get_by_test_id("link-create").click()
    expect(page.get_by_test_id("link-url")).to_contain_text("/j/")
    link_url = page.get_by_test_id("link-url").inner_text().strip()
    assert link_url.startswith(f"{live_server.url}/j/")
    expect(page.locator('[data-testid="link-row"][data-order-ref="ORD-1001"]')).to_be_visible()

    agent = open_participant("agent")
    agent.page.goto("/login")
    agent.page.get_by_test_id("login-email").fill("agent@shop.test")
    agent.page.get_by_test_id("login-password").fill(one_time_password)
    agent.page.get_by_test_id("login-submit").click()
    expect(agent.page.get_by_test_id("password-new")).to_be_visible()
    agent.page.get_by_test_id("password-current").fill(one_time_password)
    agent.page.get_by_test_id("password-new").fill("a new and long password")
    agent.page.get_by_test_id("password-submit").click()
    agent.page.wait_for_url("**/console")
    expect(agent.page.get_by_test_id("whoami")).to_contain_text("Aggie Agent")
    go_available(agent.page)

    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(link_url)
    assert buyer.page.url.endswith("/call"), buyer.page.url
    assert link_url.rsplit("/", 1)[1] not in buyer.page.url
    # the link was made in German: the buyer reads German
    expect(buyer.page.locator("html")).to_have_attribute("lang", "de")
    expect(buyer.page.get_by_test_id("consent-title")).to_have_text("Zeigen Sie uns das Problem")
    expect(buyer.page.get_by_test_id("consent-what")).to_contain_text("ORD-1001")
    expect(buyer.page.get_by_test_id("consent-what")).to_contain_text("Test Shop")
    expect(buyer.page.get_by_test_id("consent-purpose")).to_have_text("Schaden prüfen")
    expect(buyer.page.get_by_test_id("consent-recorded")).to_contain_text("aufgezeichnet")
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    expect(buyer.page.get_by_test_id("queue-position")).to_have_attribute("data-position", "1")
    expect(buyer.page.get_by_test_id("queue-position")).to_contain_text("Nummer 1")  # de

    items = agent.page.get_by_test_id("queue-item")
    expect(items).to_have_count(1, timeout=2000)
    expect(items.first).to_contain_text("ORD-1001", timeout=2000)
    # staff read the vocabulary's label; the buyer above reads the buyer page's own words
    expect(items.first.get_by_test_id("queue-purpose")).to_have_text(
        label(Purpose.DAMAGE_VERIFICATION)
    )
    expect(items.first.get_by_test_id("queue-locale")).to_have_text("German (Deutsch)")
    expect(agent.page).to_have_title("(1) Showdesk console", timeout=2000)

    for person in (admin, agent, buyer):
        person.assert_clean()


def test_buyer_who_declines_gets_a_goodbye_and_never_reaches_the_queue(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    _, url = make_link(live_server.app, "ORD-2002", "product_demo")
    agent = open_participant("agent")
    sign_in(agent.page, "agent@shop.test")
    go_available(agent.page)

    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(url)
    expect(buyer.page.get_by_test_id("consent-purpose")).to_have_text("product demonstration")
    buyer.page.get_by_test_id("consent-decline").click()
    expect(buyer.page.get_by_test_id("declined")).to_be_visible()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "ended")
    expect(buyer.page.get_by_test_id("consent")).to_be_hidden()

    reason = wait_until(
        lambda: stored_end_reason(live_server, "ORD-2002"), 5, "the declined call to be stored"
    )
    assert reason == "buyer_declined"
    expect(agent.page.get_by_test_id("queue-item")).to_have_count(0)
    expect(agent.page).to_have_title("Showdesk console")
    agent.assert_clean()
    buyer.assert_clean()


def test_first_agent_to_accept_gets_the_call_chat_flows_both_ways_and_agent_ends_it(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "one@shop.test", "agent", "Agent One")
    add_user(live_server.app, "two@shop.test", "agent", "Agent Two")
    _, url = make_link(live_server.app, "ORD-3003", buyer_name="Bea Buyer", locale="fr")
    first = open_participant("first agent")
    second = open_participant("second agent")
    sign_in(first.page, "one@shop.test")
    sign_in(second.page, "two@shop.test")
    go_available(first.page)
    go_available(second.page)

    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(url)
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("queue-position")).to_have_attribute("data-position", "1")
    expect(buyer.page.get_by_test_id("queue-position")).to_contain_text("Attente prévue")  # fr
    item = first.page.locator('[data-testid="queue-item"]', has_text="ORD-3003")
    expect(item).to_have_count(1)
    expect(second.page.get_by_test_id("queue-item")).to_have_count(1)

    item.get_by_test_id("accept").click()
    for page in (first.page, buyer.page):
        expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    expect(first.page.get_by_test_id("availability")).to_have_attribute("data-busy", "true")
    expect(first.page.get_by_test_id("availability")).to_have_attribute("data-state", "available")
    expect(first.page.get_by_test_id("call-order")).to_have_text("ORD-3003")
    expect(first.page.get_by_test_id("call-buyer")).to_have_text("Bea Buyer")
    expect(buyer.page.get_by_test_id("agent-name")).to_have_text("Agent One")
    for testid in ("agent-video", "local-video", "mute", "camera-toggle", "camera-switch"):
        expect(buyer.page.get_by_test_id(testid)).to_be_attached()
    expect(second.page.get_by_test_id("queue-item")).to_have_count(0)
    expect(second.page.get_by_test_id("call-view")).to_be_hidden()

    first.page.get_by_test_id("chat-input").fill("Hello, please show me the box")
    first.page.get_by_test_id("chat-send").click()
    buyer_log = buyer.page.get_by_test_id("chat-log")
    expect(buyer_log).to_contain_text("Agent One: Hello, please show me the box")
    buyer.page.get_by_test_id("chat-input").fill("Here it is")
    buyer.page.get_by_test_id("chat-send").click()
    agent_log = first.page.get_by_test_id("chat-log")
    expect(agent_log).to_contain_text("Bea Buyer: Here it is")
    expect(buyer_log).to_contain_text("Vous: Here it is")  # the buyer's own lines, in fr
    expect(buyer_log).not_to_contain_text("Bea Buyer")
    expect(agent_log).to_contain_text("Agent One: Hello, please show me the box")

    first.page.get_by_test_id("end-call").click()
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "ended")
    expect(first.page.get_by_test_id("call-view")).to_be_hidden()
    expect(first.page.get_by_test_id("queue")).to_be_attached()
    expect(first.page.get_by_test_id("availability")).to_have_attribute("data-state", "available")
    reason = wait_until(
        lambda: stored_end_reason(live_server, "ORD-3003") or None, 5, "the ended call stored"
    )
    assert reason == "agent_ended"
    for person in (first, second, buyer):
        person.assert_clean()


def test_waiting_buyer_is_told_honestly_when_no_agent_is_online(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    _, url = make_link(live_server.app, "ORD-4004", "remote_inspection")
    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(url)
    expect(buyer.page.get_by_test_id("consent-purpose")).to_have_text(
        "inspect goods before shipping"
    )
    buyer.page.get_by_test_id("consent-accept").click()
    position = buyer.page.get_by_test_id("queue-position")
    expect(position).to_have_attribute("data-position", "1")
    expect(position).to_contain_text("No agent is online right now")
    expect(position).to_contain_text("same link")
    buyer.assert_clean()


def test_unknown_expired_and_revoked_links_all_show_the_same_not_valid_page(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    admin = open_participant("admin")
    sign_in(admin.page, "admin@shop.test", landing="/admin")
    admin.page.get_by_test_id("link-order").fill("ORD-5005")
    admin.page.get_by_test_id("link-create").click()
    expect(admin.page.get_by_test_id("link-url")).to_contain_text("/j/")
    revoked_url = admin.page.get_by_test_id("link-url").inner_text().strip()
    row = admin.page.locator('[data-testid="link-row"][data-order-ref="ORD-5005"]')
    row.get_by_test_id("link-revoke").click()
    admin.page.get_by_test_id("confirm-yes").click()
    expect(row.get_by_test_id("link-status")).to_have_text("revoked")
    expect(admin.page.get_by_test_id("notice")).to_contain_text("revoked")
    admin.assert_clean()

    _, expired_url = make_link(live_server.app, "ORD-5006", age_s=120, ttl_s=60)
    garbage_url = f"{live_server.url}/j/{'x' * 43}"

    pages = {}
    for name, url in (
        ("unknown", garbage_url),
        ("expired", expired_url),
        ("revoked", revoked_url),
    ):
        visitor = open_participant(name, phone=True)
        response = visitor.page.goto(url)
        assert response is not None
        assert response.status == 404, (name, response.status)
        assert "/j/" in visitor.page.url  # no redirect, no cookie
        assert visitor.context.cookies() == [] or all(
            c["name"] != "showdesk_call" for c in visitor.context.cookies()
        )
        pages[name] = visitor.page.locator("body").inner_text()
    assert pages["unknown"] == pages["expired"] == pages["revoked"], pages
    assert "no longer valid" in pages["unknown"]  # in the browser's language (en-US)

    # the buyer page without a usable call cookie says so and shows nothing else
    stranger = open_participant("stranger", phone=True)
    stranger.page.goto("/call")
    expect(stranger.page.get_by_test_id("link-invalid")).to_be_visible()
    expect(stranger.page.get_by_test_id("consent")).to_be_hidden()
    expect(stranger.page.get_by_test_id("call-state")).to_be_hidden()


def test_revoking_the_link_while_the_buyer_waits_takes_them_out_of_the_queue(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    _, url = make_link(live_server.app, "ORD-6006")
    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(url)
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("queue-position")).to_have_attribute("data-position", "1")

    admin = open_participant("admin")
    sign_in(admin.page, "admin@shop.test", landing="/admin")
    row = admin.page.locator('[data-testid="link-row"][data-order-ref="ORD-6006"]')
    expect(row.get_by_test_id("link-status")).to_have_text("in a call now")
    # one click asks first; "Cancel" leaves the buyer waiting
    row.get_by_test_id("link-revoke").click()
    dialog = admin.page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("the buyer's call on it ends now")
    expect(admin.page.get_by_test_id("confirm-no")).to_be_focused()
    shoot(admin.page, "admin-confirm-revoke")
    assert_no_serious_violations(admin.page, "the admin's revoke question")
    admin.page.get_by_test_id("confirm-no").click()
    expect(dialog).to_be_hidden()
    expect(row.get_by_test_id("link-status")).to_have_text("in a call now")
    expect(buyer.page.get_by_test_id("queue-position")).to_have_attribute("data-position", "1")
    row.get_by_test_id("link-revoke").click()
    admin.page.get_by_test_id("confirm-yes").click()
    expect(row.get_by_test_id("link-status")).to_have_text("revoked")

    expect(buyer.page.get_by_test_id("link-invalid")).to_be_visible()
    expect(buyer.page.get_by_test_id("waiting")).to_be_hidden()
    reason = wait_until(
        lambda: stored_end_reason(live_server, "ORD-6006"), 5, "the revoked call to be stored"
    )
    assert reason == "link_revoked"
    admin.assert_clean()
    buyer.assert_clean()


def test_agent_creates_a_link_in_the_console_and_it_opens_the_buyer_page(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    agent = open_participant("agent")
    sign_in(agent.page, "agent@shop.test")
    agent.page.get_by_test_id("new-link-order").fill("ORD-7007")
    agent.page.get_by_test_id("new-link-purpose").select_option("product_demo")
    agent.page.get_by_test_id("new-link-locale").fill("fr")
    agent.page.get_by_test_id("new-link-create").click()
    url = agent.page.get_by_test_id("new-link-url")
    expect(url).to_contain_text(f"{live_server.url}/j/")
    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(url.inner_text().strip())
    buyer.page.wait_for_url("**/call")
    expect(buyer.page.get_by_test_id("consent-what")).to_contain_text("ORD-7007")
    agent.page.get_by_test_id("new-link-order").fill("")
    agent.page.get_by_test_id("new-link-create").click()
    expect(agent.page.get_by_test_id("new-link-error")).to_contain_text("order reference")
    agent.assert_clean()
    buyer.assert_clean()
