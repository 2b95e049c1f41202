"""A recorded case's upload shows a bar per file under its step (uploading, resuming
after a cut, done), and the agent's invitation to a call: typed in the console in the
agent's zone (shown in the buyer's too), read by the buyer on the reopened link in German
and in their own local time, its button waiting before the time and starting the call,
which joins the same case, when it is time (real Chromium, fake camera)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlmodel import Session, select

from server.evidence import cases
from server.models import Call
from server.models.case import Case
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import sign_in
from tests.helpers.case_recording import network, record_step
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import page_pause, wait_until

AGENT_ZONE = "Asia/Shanghai"
BUYER_ZONE = "Europe/Berlin"


def test_each_file_has_its_own_bar_through_a_cut_to_done(
    live_server: LiveServer, open_participant: OpenParticipant
):
    app = live_server.app
    _, url = make_link(app, "ORD-BARS", locale="de")
    buyer = open_participant("buyer", phone=True, locale="de-DE", timezone_id=BUYER_ZONE)
    page = buyer.page
    page.goto(url)
    page.get_by_test_id("record-instead").click()
    record_step(page, "outer_box")
    record_step(page, "label", photo=True)
    cdp = buyer.context.new_cdp_session(page)
    cdp.send("Network.enable")
    network(cdp, offline=False)
    page.get_by_test_id("async-submit").click()
    rows = page.get_by_test_id("file-progress")
    expect(rows).to_have_count(3)
    label = page.locator('[data-testid="record-step"][data-step="label"]')
    expect(label.get_by_test_id("file-progress")).to_have_count(2)  # its clip and photo
    first = rows.first
    wait_until(
        lambda: 5 <= int(first.get_attribute("data-percent") or 0) < 90,
        30,
        "the first file under way",
        page_pause(page),
    )
    expect(first).to_have_attribute("data-state", "uploading")
    shoot(page, "case-file-bars-uploading")
    network(cdp, offline=True)
    expect(page.locator('[data-testid="file-progress"][data-state="resuming"]')).to_have_count(
        1, timeout=30_000
    )
    expect(page.locator('[data-state="resuming"] .file-progress-state')).to_contain_text(
        "Verbindung unterbrochen"
    )
    shoot(page, "case-file-bars-resuming")
    network(cdp, offline=False)
    expect(page.get_by_test_id("async-done")).to_be_visible(timeout=90_000)
    sent = page.get_by_test_id("sent-file")
    expect(sent).to_have_count(3)
    for index in range(3):
        expect(sent.nth(index)).to_have_attribute("data-state", "done")
        expect(sent.nth(index)).to_have_attribute("data-percent", "100")
        expect(sent.nth(index)).to_contain_text("Gesendet")
    shoot(page, "case-file-bars-done")
    others = [p for p in buyer.problems if "ERR_INTERNET_DISCONNECTED" not in p]
    assert not others, others


def tomorrow_at(hour: int, zone: str) -> datetime:
    here = datetime.now(ZoneInfo(zone)) + timedelta(days=1)
    return here.replace(hour=hour, minute=0, second=0, microsecond=0)


def test_the_buyer_sees_the_invitation_in_german_in_their_time_and_joins_the_same_case(
    live_server: LiveServer, open_participant: OpenParticipant
):
    app = live_server.app
    _, url = make_link(app, "ORD-CALLBACK", locale="de", ttl_s=3 * 24 * 3600)
    buyer = open_participant("buyer", phone=True, locale="de-DE", timezone_id=BUYER_ZONE)
    page = buyer.page
    page.goto(url)
    page.get_by_test_id("record-instead").click()
    record_step(page, "outer_box")
    page.get_by_test_id("async-note").fill("Bitte rufen Sie mich an.")
    page.get_by_test_id("async-submit").click()
    expect(page.get_by_test_id("async-done")).to_be_visible(timeout=60_000)
    with Session(app.state.engine) as db:
        case = db.exec(select(Case)).one()

    # the agent, in Shanghai, proposes 10:00 tomorrow their time: 03:00 in Berlin
    add_user(app, "callback@shop.test", "agent")
    agent = open_participant("agent", timezone_id=AGENT_ZONE)
    sign_in(agent.page, "callback@shop.test")
    console = agent.page
    console.locator(f'[data-testid="queue-item"][data-case-id="{case.id}"]').get_by_test_id(
        "case-open"
    ).click()
    expect(console.get_by_test_id("case-invite-zone")).to_contain_text(AGENT_ZONE)
    at = tomorrow_at(10, AGENT_ZONE)
    console.get_by_test_id("case-invite-at").fill(at.strftime("%Y-%m-%dT%H:%M"))
    expect(console.get_by_test_id("case-invite-buyer-time")).to_contain_text(BUYER_ZONE)
    expect(console.get_by_test_id("case-invite-buyer-time")).to_contain_text("3:00")
    # a time after the link's life is refused, saying why
    console.get_by_test_id("case-invite-at").fill(
        (at + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    )
    console.get_by_test_id("case-invite-send").click()
    expect(console.get_by_test_id("case-invite-status")).to_contain_text("expires")
    console.get_by_test_id("case-invite-at").fill(at.strftime("%Y-%m-%dT%H:%M"))
    console.get_by_test_id("case-reply-input").fill("Ich rufe Sie morgen an.")
    console.get_by_test_id("case-invite-send").click()
    expect(console.get_by_test_id("case-invite-status")).to_contain_text("Invited")
    expect(console.get_by_test_id("case-reply-sent")).to_contain_text("Invited to a call")
    shoot(console, "case-console-invite-sent")

    # the buyer reopens the link: the invitation in German, at 03:00 their time, waiting
    page.goto(url)
    invite = page.get_by_test_id("case-invite")
    expect(invite).to_be_visible()
    expect(invite).to_have_attribute("data-state", "early")
    berlin = at.astimezone(ZoneInfo(BUYER_ZONE))
    expect(page.get_by_test_id("case-invite-when")).to_contain_text("lädt Sie")
    expect(page.get_by_test_id("case-invite-when")).to_contain_text(berlin.strftime("%H:%M"))
    expect(page.get_by_test_id("case-invite-when")).to_contain_text(berlin.strftime("%d.%m.%Y"))
    expect(page.get_by_test_id("case-invite-text")).to_have_text("Ich rufe Sie morgen an.")
    expect(page.get_by_test_id("case-invite-status")).to_contain_text("ab")
    expect(page.get_by_test_id("case-invite-join")).to_be_disabled()
    shoot(page, "case-buyer-invite-early")

    # a second invitation a few minutes ahead: it is time (within the grace), the call starts
    soon = datetime.now(ZoneInfo(AGENT_ZONE)) + timedelta(minutes=3)
    console.get_by_test_id("case-invite-at").fill(soon.strftime("%Y-%m-%dT%H:%M"))
    console.get_by_test_id("case-invite-send").click()
    expect(console.get_by_test_id("case-reply-sent")).to_have_count(2)
    refused = [p for p in agent.problems if "422" in p and "/replies" in p]
    assert len(refused) == 1 and len(agent.problems) == 1, agent.problems  # the late time
    page.goto(url)
    expect(invite).to_have_attribute("data-state", "open")
    expect(page.get_by_test_id("case-invite-status")).to_contain_text("Es ist so weit")
    shoot(page, "case-buyer-invite-open")
    page.get_by_test_id("case-invite-join").click()
    expect(page.get_by_test_id("waiting")).to_be_visible(timeout=30_000)
    expect(invite).to_be_hidden()

    def the_call_on_the_case() -> list[str]:
        with Session(app.state.engine) as db:
            return list(db.exec(select(Call.id).where(Call.link_id == case.link_id)).all())

    wait_until(the_call_on_the_case, 15, "the call from the link", page_pause(page))
    with Session(app.state.engine) as db:
        assert cases.buyer_timezone(db, db.get(Case, case.id)) == BUYER_ZONE
    buyer.assert_clean()
