"""The agent's console through one whole call, in real Chromium: at 1366x768 the video,
End call, the chat and the verdict are on screen together without scrolling; the queue
says who waits how long in which language; the call's time counts from the answer; the
buyer's drop shows on the video; after End call the keyboard is at the wrap-up, which
does not ask again for an outcome already saved. Every state is screenshot and checked
by axe-core."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import buyer_ends_call, go_available, sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import LAPTOP, OUT, assert_call_fits, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import page_pause, wait_until

# (text) -> the page's notice shown with `text`, as page.js `say` shows it
SHOW_NOTICE_JS = """(text) => {
  const notice = document.querySelector('[data-testid="notice"]');
  notice.querySelector(".notice-text").textContent = text;
  notice.dataset.kind = "info";
  notice.hidden = false;
}"""


CAMERA_REQUEST_BUTTONS = ("ask-torch", "ask-zoom-level", "ask-zoom")


def expect_camera_requests(page: Page, *, shown: bool) -> None:
    """The buttons asking the buyer's camera for light and zoom: shown and usable in a
    live call, not shown outside one."""
    for testid in CAMERA_REQUEST_BUTTONS:
        control = page.get_by_test_id("camera-requests").get_by_test_id(testid)
        if shown:
            expect(control).to_be_visible()
            expect(control).to_be_enabled()
        else:
            expect(control).to_be_hidden()


def shoot_viewport(page: Page, name: str) -> None:
    """A screenshot of what the screen shows now, as it is."""
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"))


def timer_seconds(page: Page) -> int:
    minutes, seconds = page.get_by_test_id("call-timer").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def test_an_agent_handles_a_whole_call_on_one_screen(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    _, url = make_link(live_server.app, "ORD-7001", buyer_name="Bea Buyer", locale="de")
    agent = open_participant("agent")
    sign_in(agent.page, "agent@shop.test")
    switch = agent.page.get_by_test_id("availability")
    expect(switch).to_contain_text("Click to take calls")

    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(url)
    buyer.page.get_by_test_id("consent-accept").click()

    # away: the buyer shows, named by language, with a labelled wait, and cannot be taken
    item = agent.page.get_by_test_id("queue-item")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("queue-locale")).to_have_text("German (Deutsch)")
    expect(item).to_contain_text("Waiting 0:")
    expect(item.get_by_test_id("accept")).to_be_disabled()
    expect(agent.page.get_by_test_id("queue-hint")).to_contain_text("cannot accept")
    expect_camera_requests(agent.page, shown=False)
    shoot(agent.page, "console-queue-away")
    assert_no_serious_violations(agent.page, "the console's queue, away")

    go_available(agent.page)
    expect(switch).to_contain_text("Click to go away")
    # the buyer has waited a few seconds: the call's time must not count them
    wait_until(
        lambda: agent.page.get_by_test_id("queue-waited").inner_text() >= "0:03",
        10,
        "the buyer to have waited 3 s",
        pause=page_pause(agent.page),
    )
    waited = agent.page.get_by_test_id("queue-waited").inner_text()
    agent.page.get_by_test_id("accept").click()
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    waited_s = int(waited.split(":")[1])
    assert timer_seconds(agent.page) < waited_s, (agent.page.get_by_test_id("call-timer"), waited)

    recording = agent.page.get_by_test_id("recording-indicator")
    expect(recording).to_be_visible()
    expect(recording).to_have_attribute("data-state", "on")
    expect(agent.page.get_by_test_id("call-locale")).to_have_text("German (Deutsch)")
    expect(agent.page.get_by_test_id("new-link-panel")).to_be_hidden()
    expect_camera_requests(agent.page, shown=True)
    expect(agent.page.get_by_label("Message to the buyer")).to_be_focused()
    assert_call_fits(agent.page, "live")

    # from the chat box the verdict is a few Tab stops away
    agent.page.get_by_test_id("chat-input").fill("Hello, please show the box.")
    agent.page.get_by_test_id("chat-send").click()
    expect(buyer.page.get_by_test_id("chat-log")).to_contain_text("show the box")
    agent.page.get_by_test_id("chat-input").focus()
    stops = 0
    while agent.page.evaluate("() => document.activeElement.dataset.testid") != "outcome-select":
        agent.page.keyboard.press("Tab")
        stops += 1
        assert stops <= 3, agent.page.evaluate("() => document.activeElement.outerHTML")

    # the photo's file is held back: its tile shows a placeholder, not black, until it comes
    held: list[Route] = []
    agent.page.route("**/api/sessions/*/photos/*", lambda route: held.append(route))
    agent.page.get_by_test_id("capture").click()
    photo = agent.page.get_by_test_id("photo")
    expect(photo).to_have_count(1, timeout=10_000)
    expect(photo).to_have_attribute("data-state", "loading")
    wait_until(lambda: held, 5, "the photo's request", pause=page_pause(agent.page))
    background = photo.evaluate("img => getComputedStyle(img).backgroundImage")
    assert "repeating-linear-gradient" in background, background
    for route in held:
        route.continue_()
    agent.page.unroute("**/api/sessions/*/photos/*")
    expect(photo).to_have_attribute("data-state", "loaded")
    agent.page.get_by_test_id("outcome-select").select_option("damage")
    agent.page.get_by_test_id("outcome-save").click()
    expect(agent.page.get_by_test_id("outcome-status")).to_contain_text("Saved")
    assert_call_fits(agent.page, "with a photo and a saved verdict")
    # a notice during the call (as the page shows one) neither pushes the call off screen
    # nor covers any of its controls: it lies over the top of the chat column
    agent.page.evaluate(SHOW_NOTICE_JS, "The buyer's camera is off. " * 4)
    notice = agent.page.get_by_test_id("notice")
    expect(notice).to_be_visible()
    assert_call_fits(agent.page, "with a notice")
    agent.page.set_viewport_size(LAPTOP)
    shoot_viewport(agent.page, "console-call-notice-laptop")
    agent.page.get_by_test_id("notice-dismiss").click()
    expect(notice).to_be_hidden()
    shoot(agent.page, "console-call-laptop")
    assert_no_serious_violations(agent.page, "the console in a call")

    # the buyer's phone drops: the video says so
    buyer.page.close()
    overlay = agent.page.get_by_test_id("reconnecting-overlay")
    expect(overlay).to_be_visible(timeout=10_000)
    expect(overlay).to_contain_text("The buyer has gone")
    shoot(agent.page, "console-buyer-gone")
    assert_no_serious_violations(agent.page, "the console with the buyer gone")

    # End call: the keyboard is at the wrap-up, which does not ask for the saved outcome
    agent.page.get_by_test_id("end-call").click()
    wrap_up = agent.page.get_by_test_id("wrap-up")
    expect(wrap_up).to_be_visible()
    expect(agent.page.locator("#wrap-up-title")).to_be_focused()
    expect(agent.page.get_by_test_id("wrap-up-saved")).to_contain_text("Outcome saved: Damage")
    expect(agent.page.get_by_test_id("outcome-form")).to_be_hidden()
    expect(agent.page.get_by_test_id("recording-indicator")).to_be_hidden()
    expect_camera_requests(agent.page, shown=False)
    shoot(agent.page, "console-wrap-up-saved")
    assert_no_serious_violations(agent.page, "the console's wrap-up")
    agent.page.get_by_test_id("wrap-up-change").click()
    expect(agent.page.get_by_test_id("outcome-select")).to_be_focused()
    agent.assert_clean()


def test_the_wrap_up_names_the_end_reason_in_words(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    _, url = make_link(live_server.app, "ORD-7002")
    agent = open_participant("agent")
    sign_in(agent.page, "agent@shop.test")
    go_available(agent.page)
    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(url)
    buyer.page.get_by_test_id("consent-accept").click()
    agent.page.get_by_test_id("accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    buyer_ends_call(buyer.page)
    reason = agent.page.get_by_test_id("wrap-up-reason")
    expect(reason).to_have_text("Ended by the buyer.")
    expect(agent.page.get_by_test_id("wrap-up-ask")).to_be_visible()
    expect(agent.page.get_by_test_id("outcome-form")).to_be_visible()
    shoot(agent.page, "console-wrap-up-untagged")
