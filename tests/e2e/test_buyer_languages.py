"""The buyer's pages in the buyer's language, in real Chromium against a real server: a
whole call (consent -> waiting -> live -> ended) in German, Japanese and Arabic with the
catalogue's text at each step and not one English sentence, Arabic right to left; the
browser's languages choosing when the link names none; the language switch holding
across a reload; a quick phrase reaching a German buyer in German; a key a catalogue lacks
shown in English. Every expected string is read from ``web/i18n/*.json`` (and the
shipped consent texts), never written here. Each step is saved as a screenshot."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from playwright.sync_api import Browser, Page, Route, expect

from server.consent import texts as consent_texts
from signaling.locales import BUYER_LOCALES
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import buyer_ends_call, go_available, sign_in
from tests.helpers.catalogues import PLURAL_CATEGORIES, catalogue
from tests.helpers.chromium import OpenParticipant, Participant
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import page_pause, wait_until
from tests.helpers.ws import HELLO, recv_type, staff_cookie, ws_url

WEB = Path(__file__).resolve().parents[2] / "web"
SHIPPED_TEXTS = Path(consent_texts.__file__).parent / "texts"
LANGUAGE_NAMES = [loc.name for loc in BUYER_LOCALES]
SHOP = "Test Shop"  # the test server's shop name (tests/helpers/servers.py)
AGENT = "Aggie Agent"
# ([locale, n]) -> n's plural category and n written in the locale, as Intl gives them
PLURAL_JS = """([code, n]) =>
  [new Intl.PluralRules(code).select(n), new Intl.NumberFormat(code).format(n)]"""
MIN_ENGLISH_PIECE = 12  # shorter English pieces ("Zoom", "Live", "Chat") may be shared words


def consent_text(code: str, purpose: str = "damage_verification") -> dict[str, Any]:
    return json.loads((SHIPPED_TEXTS / f"{code}.json").read_text(encoding="utf-8"))[purpose]


def pattern(template: str) -> re.Pattern[str]:
    """A catalogue sentence with its placeholders as wildcards."""
    parts = re.split(r"\{\w+\}", template)
    return re.compile(".+?".join(re.escape(part) for part in parts))


def english_pieces() -> set[str]:
    """The English catalogue's sentences, cut at their placeholders, that are long enough
    to be English and nothing else."""
    pieces = set()
    for value in catalogue("en").values():
        for piece in re.split(r"\{\w+\}", value):
            piece = piece.strip(" .,:;!?…()×")
            if len(piece) >= MIN_ENGLISH_PIECE and " " in piece:
                pieces.add(piece)
    return pieces


ENGLISH = english_pieces()


def visible_text(page: Page) -> str:
    """What the buyer reads: the page's rendered text, without the names of the languages
    on the switch (each in its own language by design), the shop's, the agent's and the
    order's names."""
    text = page.evaluate("() => document.body.innerText")
    for name in [*LANGUAGE_NAMES, SHOP, AGENT]:
        text = text.replace(name, "")
    return text


def assert_no_english(page: Page, step: str) -> None:
    text = visible_text(page)
    found = sorted(piece for piece in ENGLISH if piece in text)
    assert not found, f"English at {step}: {found}\n{text}"


def assert_language(page: Page, code: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", code)
    expect(html).to_have_attribute("dir", "rtl" if code == "ar" else "ltr")
    expect(page.get_by_test_id("language-switch")).to_have_value(code)


def agent_ready(
    live_server: LiveServer, open_participant: OpenParticipant, email: str
) -> Participant:
    """An agent signed in on the console and available."""
    add_user(live_server.app, email, "agent", AGENT)
    agent = open_participant("agent")
    sign_in(agent.page, email)
    go_available(agent.page)
    return agent


@pytest.mark.parametrize("code", ["de", "ja", "ar"])
def test_a_whole_call_speaks_the_links_language_at_every_step(
    code: str, live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
):
    words = catalogue(code)
    text = consent_text(code)
    order = f"ORD-{code.upper()}1"
    agent = agent_ready(live_server, open_participant, f"agent-{code}@shop.test")
    _, link_url = make_link(live_server.app, order, "damage_verification", locale=code)
    buyer = open_participant("buyer", phone=True, on=camera_browser)
    page = buyer.page
    page.goto(link_url)

    expect(page.get_by_test_id("consent")).to_be_visible()
    assert_language(page, code)
    expect(page.get_by_test_id("consent-title")).to_have_text(text["title"])
    expect(page.get_by_test_id("consent-what")).to_contain_text(
        text["paragraphs"][0].format(shop=SHOP, order=order)
    )
    expect(page.get_by_test_id("consent-recorded")).to_have_text(text["recorded_note"])
    expect(page.get_by_test_id("camera-why")).to_have_text(words["consent.camera_why"])
    expect(page.get_by_test_id("consent-purpose")).to_have_text(
        words["purpose.damage_verification"]
    )
    expect(page.get_by_test_id("consent-accept")).to_have_text(words["consent.accept"])
    expect(page.get_by_test_id("consent-decline")).to_have_text(words["consent.decline"])
    assert page.title() == words["page.title"].format(shop=SHOP)
    assert_no_english(page, "consent")
    shoot(page, f"buyer-{code}-consent")

    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("waiting")).to_be_visible()
    expect(page.get_by_test_id("waiting").locator("h1")).to_have_text(words["waiting.title"])
    expect(page.get_by_test_id("queue-position")).to_have_text(pattern(words["waiting.expected"]))
    expect(page.get_by_test_id("waiting-elapsed")).to_have_text(pattern(words["waiting.elapsed"]))
    expect(page.get_by_test_id("call-state")).to_have_text(words["state.waiting"])
    expect(page.get_by_test_id("leave-queue")).to_have_text(words["waiting.leave"])
    expect(page.get_by_test_id("waiting-ready")).to_have_text(words["waiting.ready.damage"])
    assert_no_english(page, "waiting")
    shoot(page, f"buyer-{code}-waiting")

    agent.page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("call-state")).to_have_text(words["state.live"])
    expect(page.get_by_test_id("agent-line")).to_have_text(words["live.agent"].format(name=AGENT))
    expect(page.get_by_test_id("end-call")).to_have_text(words["live.end"])
    expect(page.get_by_test_id("mute")).to_have_text(words["live.mute"])
    expect(page.get_by_test_id("camera-toggle")).to_have_text(words["live.camera_stop"])
    expect(page.get_by_test_id("chat-send")).to_have_text(words["live.chat_send"])
    expect(page.get_by_test_id("chat-input")).to_have_attribute(
        "placeholder", words["live.chat_placeholder"]
    )
    expect(page.get_by_test_id("language-switch")).to_be_visible()
    assert_language(page, code)
    assert_no_english(page, "live")
    shoot(page, f"buyer-{code}-live")
    if code == "de":  # another language mid-call: the words change, the call goes on
        ja = catalogue("ja")
        page.get_by_test_id("language-switch").select_option("ja")
        assert_language(page, "ja")
        expect(page.get_by_test_id("end-call")).to_have_text(ja["live.end"])
        expect(page.get_by_test_id("call-state")).to_have_text(ja["state.live"])
        expect(page.get_by_test_id("agent-line")).to_have_text(ja["live.agent"].format(name=AGENT))
        expect(page.get_by_test_id("mute")).to_have_text(ja["live.mute"])
        expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
        assert_no_english(page, "live in Japanese")
        page.get_by_test_id("language-switch").select_option("de")
        assert_language(page, "de")
        expect(page.get_by_test_id("end-call")).to_have_text(words["live.end"])

    page.get_by_test_id("end-call").click()
    expect(page.get_by_test_id("end-dialog")).to_contain_text(words["end.text"])
    expect(page.get_by_test_id("end-confirm")).to_have_text(words["end.confirm"])
    assert_no_english(page, "the end dialog")
    page.get_by_test_id("end-cancel").click()
    buyer_ends_call(page)

    expect(page.get_by_test_id("call-ended")).to_be_visible()
    expect(page.get_by_test_id("call-ended").locator("h1")).to_have_text(words["ended.title"])
    expect(page.get_by_test_id("call-ended-text")).to_have_text(words["ended.reason.buyer_ended"])
    days = live_server.app.state.settings.follow_up_days
    category, count = page.evaluate(PLURAL_JS, [code, days])
    expect(page.get_by_test_id("call-ended-next")).to_have_text(
        words[f"ended.after.damage.{category}"].format(shop=SHOP, order=order, count=count)
    )
    expect(page.get_by_test_id("call-ended-link")).to_be_hidden()
    expect(page.get_by_test_id("call-state")).to_have_text(words["state.ended"])
    assert_language(page, code)
    assert_no_english(page, "ended")
    shoot(page, f"buyer-{code}-ended")
    buyer.assert_clean()


def test_the_browsers_language_chooses_when_the_link_names_none(
    live_server: LiveServer, open_participant: OpenParticipant
):
    words = catalogue("ja")
    _, link_url = make_link(live_server.app, "ORD-AL1", "product_demo")
    buyer = open_participant("buyer", phone=True, locale="ja-JP")
    buyer.page.goto(link_url)
    expect(buyer.page.get_by_test_id("consent")).to_be_visible()
    assert_language(buyer.page, "ja")
    expect(buyer.page.get_by_test_id("consent-title")).to_have_text(
        consent_text("ja", "product_demo")["title"]
    )
    expect(buyer.page.get_by_test_id("consent-accept")).to_have_text(words["consent.accept"])
    assert_no_english(buyer.page, "consent")
    buyer.assert_clean()


def test_an_invalid_link_speaks_the_browsers_language_on_both_error_pages(
    live_server: LiveServer, open_participant: OpenParticipant
):
    words = catalogue("ar")
    buyer = open_participant("buyer", phone=True, locale="ar-EG")
    answer = buyer.page.goto("/j/no-such-token")
    assert answer is not None and answer.status == 404
    main = buyer.page.locator("main")
    expect(main).to_have_attribute("data-code", "link_not_found")
    expect(buyer.page.locator("html")).to_have_attribute("lang", "ar")
    expect(buyer.page.locator("html")).to_have_attribute("dir", "rtl")
    expect(main.locator("h1")).to_have_text(words["invalid.title"])
    expect(main.locator("p")).to_have_text(words["invalid.text"])
    expect(main.get_by_test_id("language-switch").locator("[aria-current]")).to_have_text("العربية")
    assert_no_english(buyer.page, "the link page")
    shoot(buyer.page, "buyer-ar-link-not-found")
    buyer.page.get_by_test_id("language-switch").locator('[data-locale="de"]').click()
    expect(buyer.page.locator("html")).to_have_attribute("lang", "de")
    expect(buyer.page.locator("html")).to_have_attribute("dir", "ltr")
    expect(main.locator("h1")).to_have_text(catalogue("de")["invalid.title"])
    expect(main).to_have_attribute("data-code", "link_not_found")

    buyer.page.goto("/call")  # no call cookie: the page's own invalid-link screen
    expect(buyer.page.get_by_test_id("link-invalid")).to_be_visible()
    assert_language(buyer.page, "ar")
    expect(buyer.page.get_by_test_id("link-invalid").locator("h1")).to_have_text(
        words["invalid.title"]
    )
    assert_no_english(buyer.page, "the invalid screen")
    shoot(buyer.page, "buyer-ar-link-invalid")


def test_the_language_switch_changes_every_word_and_holds_across_a_reload(
    live_server: LiveServer, open_participant: OpenParticipant
):
    en, de, ar = catalogue("en"), catalogue("de"), catalogue("ar")
    add_user(live_server.app, "agent-sw@shop.test", "agent", AGENT)
    agent = open_participant("agent")
    sign_in(agent.page, "agent-sw@shop.test")  # online but away: "nobody is free" wording
    _, link_url = make_link(live_server.app, "ORD-SW1", "product_demo")
    buyer = open_participant("buyer", phone=True)
    page = buyer.page
    page.goto(link_url)
    expect(page.get_by_test_id("consent-accept")).to_have_text(en["consent.accept"])
    assert_language(page, "en")

    page.get_by_test_id("language-switch").select_option("de")
    assert_language(page, "de")
    expect(page.get_by_test_id("consent-accept")).to_have_text(de["consent.accept"])
    expect(page.get_by_test_id("consent-title")).to_have_text(
        consent_text("de", "product_demo")["title"]
    )
    assert_no_english(page, "consent after the switch")

    page.reload()  # the choice is the browser's: it holds for the rest of the call
    expect(page.get_by_test_id("consent")).to_be_visible()
    assert_language(page, "de")
    expect(page.get_by_test_id("consent-accept")).to_have_text(de["consent.accept"])
    assert_no_english(page, "consent after the reload")
    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("waiting").locator("h1")).to_have_text(de["waiting.title"])
    expect(page.get_by_test_id("queue-position")).to_have_text(pattern(de["waiting.busy"]))
    expect(page.get_by_test_id("waiting-ready")).to_have_text(de["waiting.ready.demo"])
    assert_no_english(page, "waiting")

    page.get_by_test_id("language-switch").select_option("ar")  # mid-call: still waiting
    assert_language(page, "ar")
    expect(page.get_by_test_id("queue-position")).to_have_text(pattern(ar["waiting.busy"]))
    expect(page.get_by_test_id("waiting-ready")).to_have_text(ar["waiting.ready.demo"])
    expect(page.get_by_test_id("call-state")).to_have_text(ar["state.waiting"])
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    assert_no_english(page, "waiting after the second switch")
    shoot(page, "buyer-ar-waiting-switched")
    buyer.assert_clean()


async def agent_sends_phrase(server: LiveServer, cookie: str, english: str) -> dict:
    """A staff socket takes the waiting call and sends the quick phrase ``english``;
    returns the agent's own copy of the chat line."""
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": cookie}) as http:
        items = (await http.get("/api/quick-phrases")).json()["items"]
    phrase_id = next(item["id"] for item in items if item["texts"]["en"] == english)
    headers = {"Cookie": cookie}
    async with websockets.connect(ws_url(server, "staff"), additional_headers=headers) as ws:
        await ws.send(HELLO)
        await recv_type(ws, "welcome")
        await ws.send(json.dumps({"type": "set_availability", "state": "available"}))
        queue = await recv_type(ws, "queue", where=lambda m: bool(m["items"]))
        session_id = queue["items"][0]["session_id"]
        await ws.send(json.dumps({"type": "accept", "session_id": session_id}))
        await recv_type(ws, "call", where=lambda m: m["state"] == "live")
        message = {"type": "phrase", "session_id": session_id, "phrase_id": phrase_id}
        await ws.send(json.dumps(message))
        line = await recv_type(ws, "chat")
        await ws.send(json.dumps({"type": "end"}))
        await recv_type(ws, "call", where=lambda m: m["state"] == "ended")
        return line


def test_a_quick_phrase_reaches_a_german_buyer_in_german(
    live_server: LiveServer, open_participant: OpenParticipant
):
    defaults = json.loads(
        (Path(consent_texts.__file__).parents[1] / "phrases" / "defaults.json").read_text("utf-8")
    )
    phrase = defaults[0]
    cookie = live_server.run(staff_cookie(live_server, "agent-phrase@shop.test"))
    _, link_url = make_link(live_server.app, "ORD-PH1", "product_demo", locale="de")
    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("waiting")).to_be_visible()
    line = live_server.run(agent_sends_phrase(live_server, cookie, phrase["en"]), timeout_s=20)
    assert line["text"] == phrase["en"]  # the agent's own copy, in the agent's language
    log = buyer.page.get_by_test_id("chat-log")
    expect(log).to_contain_text(phrase["de"])
    expect(log).not_to_contain_text(phrase["en"])
    expect(buyer.page.get_by_test_id("call-ended-text")).to_have_text(
        catalogue("de")["ended.reason.agent_ended"]
    )


def test_a_key_missing_from_a_catalogue_is_shown_in_english(
    live_server: LiveServer, open_participant: OpenParticipant
):
    en, de = catalogue("en"), catalogue("de")
    lacking = {key: value for key, value in de.items() if key != "consent.accept"}

    def without_a_key(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(lacking))

    _, link_url = make_link(live_server.app, "ORD-MK1", "damage_verification", locale="de")
    buyer = open_participant("buyer", phone=True)
    buyer.page.route("**/static/i18n/de.json", without_a_key)
    buyer.page.goto(link_url)
    assert_language(buyer.page, "de")
    expect(buyer.page.get_by_test_id("consent-accept")).to_have_text(en["consent.accept"])
    expect(buyer.page.get_by_test_id("consent-decline")).to_have_text(de["consent.decline"])


def test_the_plural_forms_the_catalogue_check_demands_are_the_ones_chromium_picks_from(
    browser: Browser,
):
    page = browser.new_page()
    try:
        found = page.evaluate(
            "(codes) => Object.fromEntries(codes.map((c) => "
            "[c, new Intl.PluralRules(c).resolvedOptions().pluralCategories]))",
            list(PLURAL_CATEGORIES),
        )
    finally:
        page.close()
    assert {code: sorted(cats) for code, cats in found.items()} == {
        code: sorted(cats) for code, cats in PLURAL_CATEGORIES.items()
    }


def test_a_consent_text_the_server_does_not_hold_is_read_again_then_accepted(
    live_server: LiveServer, open_participant: OpenParticipant
):
    ja = catalogue("ja")
    _, link_url = make_link(live_server.app, "ORD-OUT1", "product_demo", locale="ja")
    buyer = open_participant("buyer", phone=True)
    served: list[int] = []

    def an_unknown_version_once(route: Route) -> None:
        answer = route.fetch()
        context = answer.json()
        if not served:
            context["consent"]["version"] = 99  # a version the server does not hold
        served.append(context["consent"]["version"])
        route.fulfill(response=answer, json=context)

    buyer.page.route("**/api/buyer/context*", an_unknown_version_once)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("notice")).to_contain_text(ja["error.consent_outdated"])
    expect(buyer.page.get_by_test_id("consent")).to_be_visible()
    expect(buyer.page.get_by_test_id("consent-title")).to_have_text(
        consent_text("ja", "product_demo")["title"]
    )
    wait_until(
        lambda: len(served) == 2,
        5,
        "the page to read the consent text again",
        pause=page_pause(buyer.page),  # Playwright serves the route while it waits
    )
    assert served == [99, 1]
    assert_no_english(buyer.page, "consent read again")
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    expect(buyer.page.get_by_test_id("call-state")).to_have_text(ja["state.waiting"])
    buyer.page.unroute_all(behavior="ignoreErrors")
