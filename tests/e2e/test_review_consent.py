"""The review of a call shows the buyer's consent as it was given (decision, language,
version, the text itself) and its times in the supervisor's time zone with the buyer's
local time beside the start; a quick phrase's line shows the agent's text and, on
demand, what the buyer read. Real Chromium, a real server; buyers and the agent on the
socket, as the pages speak it."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from tests.helpers.accounts import add_user, login
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import store_call
from tests.helpers.sync_sockets import socket_agent, socket_buyer
from tests.helpers.waiting import wait_until

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
GERMAN_TITLE = "Zeigen Sie uns das Problem"  # the shipped German consent title, version 1


def supervisor_in(live_server: LiveServer, email: str, zone: str) -> None:
    """A supervisor whose own time zone (PATCH /api/me) is ``zone``."""
    add_user(live_server.app, email, "supervisor", "Sue Supervisor")
    with httpx.Client(base_url=live_server.url) as http:
        csrf = login(http, email)
        answer = http.patch("/api/me", json={"timezone": zone}, headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 200, answer.text


def ended_call_stored(live_server: LiveServer, session_id: str) -> None:
    """Wait until the store has written the call's end (review reads the database)."""
    with httpx.Client(base_url=live_server.url) as http:
        login(http, "sue@shop.test")
        wait_until(
            lambda: http.get(f"/api/sessions/{session_id}").json().get("state") == "ended",
            5,
            f"call {session_id} stored as ended",
        )


def hh_mm(text: str) -> str:
    found = re.search(r"\d{1,2}:\d\d", text)
    assert found, text
    return found.group(0)


def open_review(page: Page, session_id: str) -> None:
    page.goto(f"/review?session={session_id}")
    expect(page.get_by_test_id("session-view")).to_be_visible()


def test_review_shows_an_accepted_and_a_declined_consent_with_locale_version_and_times(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    supervisor_in(live_server, "sue@shop.test", NEW_YORK)
    add_user(live_server.app, "ana@shop.test", "agent", "Ana Agent")
    phrase_id = None
    with socket_agent(live_server, "ana@shop.test") as agent:
        with socket_buyer(live_server, "ORD-9101") as german:
            accepted = german.consent(locale="de", timezone=BERLIN)["session_id"]
            agent.answer(accepted)
            with httpx.Client(base_url=live_server.url) as http:
                login(http, "ana@shop.test")
                phrase_id = http.get("/api/quick-phrases").json()["items"][0]["id"]
            agent.send({"type": "phrase", "session_id": accepted, "phrase_id": phrase_id})
            german.next("chat")
            agent.send({"type": "end"})
            german.next("call", lambda m: m["state"] == "ended")
        with socket_buyer(live_server, "ORD-9102") as refusing:
            declined = refusing.decline(locale="fr", timezone="Europe/Paris")["session_id"]
    ended_call_stored(live_server, accepted)
    older = store_call(live_server.app, "ORD-9103", agent_id=None)

    sue = open_participant("supervisor")
    sign_in(sue.page, "sue@shop.test", landing="/review")
    expect(sue.page.get_by_test_id("session-row")).to_have_count(3)  # the list has started
    open_review(sue.page, accepted)
    page = sue.page
    expect(page.get_by_test_id("consent-decision")).to_have_text("Accepted")
    expect(page.get_by_test_id("consent-locale")).to_have_text("German (Deutsch)")
    expect(page.get_by_test_id("consent-version")).to_have_text("version 1")
    expect(page.get_by_test_id("consent-version")).to_have_attribute("data-version", "1")
    # the text is there but folded until asked for
    consent_text = page.get_by_test_id("consent-text")
    expect(consent_text).to_be_visible()
    expect(page.get_by_test_id("consent-copy")).to_be_hidden()
    consent_text.locator("summary").click()
    expect(page.get_by_test_id("consent-copy")).to_contain_text(GERMAN_TITLE)
    expect(page.get_by_test_id("consent-copy")).to_have_attribute("lang", "de")

    # the start in the supervisor's zone, the buyer's local time beside it
    with httpx.Client(base_url=live_server.url) as http:
        login(http, "sue@shop.test")
        created = datetime.fromisoformat(http.get(f"/api/sessions/{accepted}").json()["created_at"])
    started = page.get_by_test_id("session-started").inner_text()
    assert NEW_YORK in started, started
    assert hh_mm(started) == created.astimezone(ZoneInfo(NEW_YORK)).strftime("%-I:%M"), started
    beside = page.get_by_test_id("buyer-local-time")
    expect(beside).to_contain_text(f"the buyer's time ({BERLIN})")
    assert hh_mm(beside.inner_text()) == created.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M")

    # the phrase's line: the agent's English, and the buyer's German on demand
    line = page.get_by_test_id("chat-transcript").locator(".chat-line").first
    expect(line.locator(".chat-text")).to_have_text("Please turn the box over.")
    expect(line.get_by_test_id("chat-buyer-text")).to_be_hidden()
    line.get_by_test_id("chat-buyer-copy").locator("summary").click()
    expect(line.get_by_test_id("chat-buyer-text")).to_have_text("Bitte drehen Sie den Karton um.")
    shoot(page, "review-consent-accepted")
    assert_no_serious_violations(page, "the review of a call with its consent open")

    open_review(page, declined)
    expect(page.get_by_test_id("consent-decision")).to_have_text("Declined")
    expect(page.get_by_test_id("consent-locale")).to_have_text("French (Français)")
    expect(page.get_by_test_id("consent-version")).to_have_text("version 1")
    expect(page.get_by_test_id("buyer-local-time")).to_contain_text("(Europe/Paris)")
    shoot(page, "review-consent-declined")
    assert_no_serious_violations(page, "the review of a declined call")

    # a call stored before pages sent a time zone or consent text: no local time, said so
    open_review(page, older)
    expect(page.get_by_test_id("session-started")).to_contain_text(NEW_YORK)
    expect(page.get_by_test_id("buyer-local-time")).to_be_hidden()
    expect(page.get_by_test_id("consent-version")).to_be_hidden()
    expect(page.get_by_test_id("consent-text")).to_be_hidden()
    sue.assert_clean()
