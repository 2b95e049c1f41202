"""The console knows which language and time zone the buyer is in, in real Chromium
against a real server: the queue item and the call name the buyer's language and show
their local time; a quick phrase clicked by the agent reaches the buyer in their
language while the agent's chat shows the agent's; the staff language switch turns the
console into Simplified Chinese, stays after a reload, and the sign-in page keeps it.
The buyers are sockets that consent as the buyer page does (locale, consent version,
time zone)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import go_available, sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import assert_call_fits, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.sync_sockets import socket_buyer
from tests.helpers.waiting import page_pause, wait_until

BERLIN, TOKYO = "Europe/Berlin", "Asia/Tokyo"
SHIPPED_PHRASES = 8  # server/phrases/defaults.json
FIRST_PHRASE = {
    "en": "Please turn the box over.",
    "de": "Bitte drehen Sie den Karton um.",
    "zh-CN": "请把箱子翻过来。",
}


def local_times(zone: str) -> set[str]:
    """The wall-clock time now in ``zone`` and a minute later ("21:04"), either of which
    the page may show while the test reads it."""
    now = datetime.now(UTC)
    return {
        (now + timedelta(minutes=m)).astimezone(ZoneInfo(zone)).strftime("%H:%M") for m in (0, 1)
    }


def assert_shows_local_time(node: Locator, zone: str, words: str) -> None:
    """``node`` reads "<HH:MM> <words> (<zone>)" with the time it is now in ``zone``."""
    expect(node).to_be_visible()
    text = node.inner_text()
    found = re.search(r"\d\d:\d\d", text)
    assert found and found.group(0) in local_times(zone), (text, local_times(zone))
    assert zone in text and words in text, text


def signed_in_agent(live_server: LiveServer, open_participant: OpenParticipant, email: str) -> Page:
    add_user(live_server.app, email, "agent", "Aggie Agent")
    agent = open_participant("agent")
    sign_in(agent.page, email)
    return agent.page


def test_the_agent_sees_the_buyers_language_and_local_time_and_sends_a_phrase_in_it(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    page = signed_in_agent(live_server, open_participant, "agent@shop.test")
    go_available(page)
    # the link was made for French, but the buyer consented to the German text
    with (
        socket_buyer(live_server, "ORD-8001", link_locale="fr") as german,
        socket_buyer(live_server, "ORD-8002", link_locale="pt-BR") as japanese,
    ):
        german.consent(locale="de", timezone=BERLIN)
        japanese.consent(locale="ja", timezone=TOKYO)

        items = page.get_by_test_id("queue-item")
        expect(items).to_have_count(2)
        first, second = items.nth(0), items.nth(1)
        expect(first.get_by_test_id("queue-locale")).to_have_text("German (Deutsch)")
        assert_shows_local_time(first.get_by_test_id("buyer-local-time"), BERLIN, "their time")
        expect(second.get_by_test_id("queue-locale")).to_have_text("Japanese (日本語)")
        assert_shows_local_time(second.get_by_test_id("buyer-local-time"), TOKYO, "their time")
        shoot(page, "console-queue-buyer-languages")
        assert_no_serious_violations(page, "the queue with the buyers' languages and times")

        first.get_by_test_id("accept").click()
        german.next("call", lambda m: m["state"] == "live")
        expect(page.get_by_test_id("call-locale")).to_have_text("German (Deutsch)")
        head_time = page.get_by_test_id("call-view").get_by_test_id("buyer-local-time")
        assert_shows_local_time(head_time, BERLIN, "their time")

        phrases = page.get_by_test_id("quick-phrase")
        expect(phrases).to_have_count(SHIPPED_PHRASES)
        expect(phrases.first).to_have_text(FIRST_PHRASE["en"])
        expect(phrases.first).to_have_attribute("title", f"The buyer reads: {FIRST_PHRASE['de']}")
        phrases.first.click()
        line = german.next("chat", lambda m: m["phrase_id"] is not None)
        assert line["text"] == FIRST_PHRASE["de"], line
        agent_line = page.get_by_test_id("chat-log").locator(".chat-line").last
        expect(agent_line.locator(".chat-text")).to_have_text(FIRST_PHRASE["en"])
        expect(agent_line).to_have_attribute("data-phrase-id", str(line["phrase_id"]))
        assert_call_fits(
            page, "with quick phrases", ("end-call", "chat-input", "outcome-save", "quick-phrase")
        )
        shoot(page, "console-call-quick-phrases", laptop=True)
        assert_no_serious_violations(page, "the call with quick phrases")


def test_the_console_turns_into_chinese_and_stays_so_after_a_reload(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    page = signed_in_agent(live_server, open_participant, "agent-zh@shop.test")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("accept-next")).to_have_text("Accept oldest")
    page.get_by_test_id("staff-language").select_option("zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("accept-next")).to_have_text("接听最早的")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("sign-out")).to_have_text("退出登录")
    expect(page.get_by_test_id("staff-language")).to_have_value("zh-CN")
    expect(page.get_by_test_id("availability")).to_contain_text("点击开始接听")
    go_available(page)

    with socket_buyer(live_server, "ORD-8101") as german:
        german.consent(locale="de", timezone=BERLIN)
        item = page.get_by_test_id("queue-item")
        expect(item.get_by_test_id("queue-locale")).to_contain_text("(Deutsch)")
        assert_shows_local_time(item.get_by_test_id("buyer-local-time"), BERLIN, "对方当地时间")
        item.get_by_test_id("accept").click()
        german.next("call", lambda m: m["state"] == "live")
        expect(page.get_by_test_id("end-call")).to_have_text("结束通话")
        expect(page.get_by_test_id("staff-language")).to_be_disabled()
        phrase = page.get_by_test_id("quick-phrase").first
        expect(phrase).to_have_text(FIRST_PHRASE["zh-CN"])
        phrase.click()
        line = german.next("chat", lambda m: m["phrase_id"] is not None)
        assert line["text"] == FIRST_PHRASE["de"], line
        expect(page.get_by_test_id("chat-log").locator(".chat-text").last).to_have_text(
            FIRST_PHRASE["zh-CN"]
        )
        wait_until(
            lambda: page.get_by_test_id("call-timer").inner_text() != "",
            5,
            "the call timer",
            pause=page_pause(page),
        )
        shoot(page, "console-call-chinese", laptop=True)
        assert_no_serious_violations(page, "the console's call in Chinese")
        page.get_by_test_id("end-call").click()
        german.next("call", lambda m: m["state"] == "ended")

    # signed out, the sign-in page keeps the language chosen on this browser
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("login-submit")).to_have_text("登录")
    shoot(page, "login-chinese")
    assert_no_serious_violations(page, "the sign-in page in Chinese")
