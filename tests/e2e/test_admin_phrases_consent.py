"""/admin's quick phrases and consent texts, in real Chromium against a real server: an
admin changes a phrase's German text and the next phrase an agent sends reaches a German
buyer with it; a phrase is switched off and one deleted after the confirmation; a new
consent text is published as version 2, which the next buyer gets, while the review of
an earlier call still shows version 1. Buyers and the agent are on the socket."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.helpers.accounts import add_user, login
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.sync_sockets import socket_agent, socket_buyer

NEW_GERMAN = "Bitte drehen Sie das Paket einmal um."
NEW_TITLE = "Zeigen Sie uns bitte das Problem"


def admin_page(live_server: LiveServer, open_participant: OpenParticipant) -> Page:
    add_user(live_server.app, "root@shop.test", "admin", "Ada Admin")
    admin = open_participant("admin")
    sign_in(admin.page, "root@shop.test", landing="/admin")
    return admin.page


def test_an_admin_edits_a_phrases_german_text_and_the_next_phrase_sent_carries_it(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    page = admin_page(live_server, open_participant)
    items = page.get_by_test_id("phrase-item")
    expect(items).to_have_count(8)
    first = items.first
    expect(first.get_by_test_id("phrase-text")).to_have_text("Please turn the box over.")
    expect(first.get_by_test_id("phrase-languages")).to_have_text("All 14 languages")
    phrase_id = first.get_attribute("data-phrase-id")
    first.get_by_test_id("phrase-edit").click()
    german = first.get_by_test_id("phrase-text-de")
    expect(german).to_have_value("Bitte drehen Sie den Karton um.")
    shoot(page, "admin-phrase-editing")
    assert_no_serious_violations(page, "admin with a phrase's translations open")
    german.fill(NEW_GERMAN)
    first.get_by_test_id("phrase-text-ko").fill("")
    first.get_by_test_id("phrase-save").click()
    edited = page.locator(f'[data-testid="phrase-item"][data-phrase-id="{phrase_id}"]')
    expect(edited.get_by_test_id("phrase-languages")).to_have_text(
        "13 of 14 languages; missing: ko"
    )

    # switch the last one off; delete the second after saying yes
    last = items.last
    last.get_by_test_id("phrase-toggle").click()
    expect(items.last.get_by_test_id("phrase-off")).to_have_text("Switched off")
    expect(items.last.get_by_test_id("phrase-toggle")).to_have_text("Switch on")
    second_text = items.nth(1).get_by_test_id("phrase-text").inner_text()
    items.nth(1).get_by_test_id("phrase-delete").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text(second_text)
    page.get_by_test_id("confirm-no").click()
    expect(items).to_have_count(8)
    items.nth(1).get_by_test_id("phrase-delete").click()
    page.get_by_test_id("confirm-yes").click()
    expect(items).to_have_count(7)
    expect(page.get_by_test_id("phrase-list")).not_to_contain_text(second_text)
    shoot(page, "admin-phrases")
    assert_no_serious_violations(page, "admin's quick phrases after changes")

    add_user(live_server.app, "ana@shop.test", "agent", "Ana Agent")
    with httpx.Client(base_url=live_server.url) as http:
        login(http, "ana@shop.test")
        offered = http.get("/api/quick-phrases").json()["items"]
    assert len(offered) == 6  # seven left, one of them switched off
    with (
        socket_agent(live_server, "ana@shop.test") as agent,
        socket_buyer(live_server, "ORD-9301") as buyer,
    ):
        session_id = buyer.consent(locale="de", timezone="Europe/Berlin")["session_id"]
        agent.answer(session_id)
        agent.send({"type": "phrase", "session_id": session_id, "phrase_id": int(phrase_id)})
        assert buyer.next("chat")["text"] == NEW_GERMAN
        assert agent.next("chat")["text"] == "Please turn the box over."


def test_a_published_consent_text_is_version_2_for_the_next_buyer_and_old_calls_keep_1(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    with socket_buyer(live_server, "ORD-9401") as earlier:
        old_call = earlier.decline(locale="de", timezone="Europe/Vienna")["session_id"]

    page = admin_page(live_server, open_participant)
    page.get_by_test_id("consent-purpose").select_option("damage_verification")
    page.get_by_test_id("consent-language").select_option("de")
    current = page.get_by_test_id("consent-current-version")
    expect(current).to_have_attribute("data-version", "1")
    expect(current).to_contain_text("version 1")
    expect(page.get_by_test_id("consent-current")).to_contain_text("Zeigen Sie uns das Problem")
    expect(page.get_by_test_id("consent-history-empty")).to_be_visible()
    expect(page.get_by_test_id("consent-panel")).to_contain_text("keep the version their buyer saw")
    page.get_by_test_id("consent-new-title").fill(NEW_TITLE)
    page.get_by_test_id("consent-publish").click()
    expect(page.get_by_test_id("consent-status")).to_contain_text("version 2")
    expect(current).to_have_attribute("data-version", "2")
    expect(page.get_by_test_id("consent-current")).to_contain_text(NEW_TITLE)
    history = page.get_by_test_id("consent-history-item")
    expect(history).to_have_count(1)
    expect(history).to_have_attribute("data-version", "1")
    history.locator("summary").click()
    expect(history).to_contain_text("Zeigen Sie uns das Problem")
    shoot(page, "admin-consent-texts")
    assert_no_serious_violations(page, "admin's consent texts with a version published")

    # the next German buyer opens a link: what their page reads is version 2
    _, url = make_link(live_server.app, "ORD-9402", locale="de")
    with httpx.Client(base_url=live_server.url) as http:
        assert http.get(url.removeprefix(live_server.url)).status_code == 303
        consent = http.get("/api/buyer/context").json()["consent"]
    assert (consent["locale"], consent["version"], consent["title"]) == ("de", 2, NEW_TITLE)

    # the earlier call still shows the version its buyer saw
    page.goto(f"/review?session={old_call}")
    expect(page.get_by_test_id("consent-decision")).to_have_text("Declined")
    expect(page.get_by_test_id("consent-version")).to_have_text("version 1")
    page.get_by_test_id("consent-text").locator("summary").click()
    expect(page.get_by_test_id("consent-copy")).to_contain_text("Zeigen Sie uns das Problem")
    expect(page.get_by_test_id("consent-copy")).not_to_contain_text(NEW_TITLE)


def test_admin_and_review_speak_chinese_for_an_admin_who_chose_it(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    with socket_buyer(live_server, "ORD-9501") as buyer:
        declined = buyer.decline(locale="ja", timezone="Asia/Tokyo")["session_id"]
    page = admin_page(live_server, open_participant)
    page.get_by_test_id("staff-language").select_option("zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#phrases-title")).to_have_text("快捷短语")
    expect(page.get_by_test_id("phrase-edit").first).to_have_text("编辑翻译")
    expect(page.get_by_test_id("phrase-text").first).to_have_text("请把箱子翻过来。")
    expect(page.get_by_test_id("consent-purpose")).to_contain_text("核查损坏")
    expect(page.get_by_test_id("consent-current-version")).to_contain_text("第 1 版")
    shoot(page, "admin-chinese")
    assert_no_serious_violations(page, "admin in Chinese")

    page.goto(f"/review?session={declined}")
    expect(page.get_by_test_id("consent-decision")).to_have_text("已拒绝")
    expect(page.get_by_test_id("consent-locale")).to_contain_text("(日本語)")
    expect(page.get_by_test_id("consent-version")).to_have_text("第 1 版")
    expect(page.get_by_test_id("session-close")).to_have_text("返回列表")
    shoot(page, "review-chinese")
    assert_no_serious_violations(page, "a call's review in Chinese")
