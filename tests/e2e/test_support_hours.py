"""Support hours in real Chromium against a real server: a buyer who opens the link
outside the hours reads when the team is back in their own time zone, on the consent and
the waiting screen; a buyer with nobody available is told so, and the notice goes once an
agent is available; an admin sets and clears the hours on /admin."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlmodel import Session

from server.hours import support_hours
from server.hours.schedule import WEEKDAYS
from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import available_agent, sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer

SHOP_ZONE = "Asia/Tokyo"
BUYER_ZONE = "America/New_York"


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def set_hours(live_server: LiveServer, week: dict[str, list[str]], zone: str = SHOP_ZONE):
    with Session(live_server.app.state.engine) as db:
        _, schedule = support_hours.save(db, zone, week, [], datetime.now(UTC), by_user_id=None)
        db.commit()
    return schedule


def test_a_buyer_outside_the_hours_reads_when_the_team_is_back_in_their_own_time_zone(
    live_server: LiveServer, open_participant: OpenParticipant
):
    # open 09:00-17:00 Tokyo time on one weekday only, three days from now: closed now
    later = (datetime.now(ZoneInfo(SHOP_ZONE)) + timedelta(days=3)).weekday()
    schedule = set_hours(live_server, {WEEKDAYS[later]: ["09:00-17:00"]})
    back = schedule.next_open_at(datetime.now(UTC))
    assert back is not None
    in_new_york = back.astimezone(ZoneInfo(BUYER_ZONE))
    _, url = make_link(live_server.app, "ORD-NIGHT", "damage_verification")
    buyer = open_participant("buyer", phone=True, timezone_id=BUYER_ZONE)
    page = buyer.page
    page.goto(url)
    consent = page.get_by_test_id("consent")
    notice = consent.get_by_test_id("support-notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("data-reason", "closed")
    expect(notice).to_have_attribute("data-back-at", iso_z(back))
    text = notice.inner_text()
    # the buyer's own clock: 09:00 in Tokyo is the evening before in New York
    assert text.startswith("Our team is back on "), text
    assert in_new_york.strftime("%A") in text and in_new_york.strftime("%I:%M") in text, text
    assert "09:00" not in text, text
    # one leading button: recording leads, starting a call that nobody can answer steps back
    expect(page.get_by_test_id("record-instead")).to_have_class(re.compile(r"\bprimary\b"))
    expect(page.get_by_test_id("consent-accept")).not_to_have_class(re.compile(r"\bprimary\b"))
    shoot(page, "buyer-support-closed-consent")
    assert_no_serious_violations(page, "consent with the team away")
    page.get_by_test_id("consent-accept").click()
    waiting = page.get_by_test_id("waiting")
    expect(waiting).to_be_visible()
    expect(waiting.get_by_test_id("support-notice")).to_have_attribute("data-reason", "closed")
    # recording instead is offered as the way forward, not as an aside
    expect(page.get_by_test_id("record-offer")).to_have_attribute("data-offered", "closed")
    expect(page.get_by_test_id("record-instead")).to_be_visible()
    expect(page.get_by_test_id("record-instead")).to_have_class(re.compile(r"\bprimary\b"))
    shoot(page, "buyer-support-closed-waiting")
    assert buyer.problems == []


def test_a_buyer_with_nobody_available_is_told_and_the_notice_goes_when_an_agent_is_free(
    live_server: LiveServer, open_participant: OpenParticipant
):
    _, url = make_link(live_server.app, "ORD-NOBODY", "damage_verification")
    buyer = open_participant("buyer", phone=True, locale="de-DE")
    page = buyer.page
    page.goto(url)
    notice = page.get_by_test_id("support-notice")
    expect(notice).to_have_attribute("data-reason", "nobody")
    expect(notice).to_have_text("Gerade ist kein Mitarbeiter verfügbar.")
    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("waiting").get_by_test_id("support-notice")).to_be_visible()
    shoot(page, "buyer-support-nobody-waiting")
    available_agent(live_server, open_participant, "free@shop.test", "Frieda Free")
    # the queue update makes the page read again who can answer: one agent, first in line
    expect(notice).to_be_hidden(timeout=10_000)
    expect(notice).to_have_attribute("data-reason", "")
    # with someone free, recording stays possible but no longer leads
    expect(page.get_by_test_id("record-offer")).to_have_attribute("data-offered", "")
    expect(page.get_by_test_id("record-instead")).not_to_have_class(re.compile(r"\bprimary\b"))
    expect(page.get_by_test_id("consent-accept")).to_have_class(re.compile(r"\bprimary\b"))
    assert buyer.problems == []


def test_an_admin_sets_the_hours_sees_a_bad_interval_refused_and_clears_them(
    live_server: LiveServer, open_participant: OpenParticipant
):
    add_user(live_server.app, "root@shop.test", "admin", "Ada Admin")
    admin = open_participant("admin")
    page = admin.page
    sign_in(page, "root@shop.test", landing="/admin")
    panel = page.get_by_test_id("hours-panel")
    expect(panel.get_by_test_id("hours-state")).to_have_attribute("data-configured", "false")
    # unset hours start from a zone that is shown (the browser's own, or UTC), never blank
    zone = panel.get_by_test_id("hours-timezone")
    expect(zone).not_to_have_value("")
    assert zone.evaluate("select => select.selectedOptions.length") == 1
    panel.get_by_test_id("hours-timezone").select_option("Europe/Berlin")
    days = panel.get_by_test_id("hours-day")
    days.nth(0).fill("09:00-12:30, 13:30-18:00")
    days.nth(1).fill("18:00-09:00")
    panel.get_by_test_id("hours-closed").fill("2026-12-24, 2026-12-25")
    panel.get_by_test_id("hours-save").click()
    error = panel.get_by_test_id("hours-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text('Tue: "18:00-09:00" ends before it starts')
    shoot(page, "admin-hours-refused")
    days.nth(1).fill("09:00-17:00")
    panel.get_by_test_id("hours-save").click()
    expect(panel.get_by_test_id("hours-saved")).to_have_text("Support hours saved.")
    expect(error).to_be_hidden()
    expect(panel.get_by_test_id("hours-state")).to_have_attribute("data-configured", "true")
    with Session(live_server.app.state.engine) as db:
        stored = support_hours.current(db)
    assert stored is not None and stored.timezone == "Europe/Berlin"
    assert [str(i) for i in stored.week[0]] == ["09:00-12:30", "13:30-18:00"]
    assert sorted(d.isoformat() for d in stored.closed) == ["2026-12-24", "2026-12-25"]
    page.reload()
    expect(days.nth(0)).to_have_value("09:00-12:30, 13:30-18:00")
    expect(panel.get_by_test_id("hours-timezone")).to_have_value("Europe/Berlin")
    shoot(page, "admin-hours-saved")
    assert_no_serious_violations(page, "admin's support hours")
    panel.get_by_test_id("hours-clear").click()
    expect(panel.get_by_test_id("hours-state")).to_have_attribute("data-configured", "false")
    with Session(live_server.app.state.engine) as db:
        assert support_hours.current(db) is None
    # the refused save is the one failed request
    assert [p for p in admin.problems if "status of 422" not in p] == []


OFFER_JS = """async (cases) => {
  const { recordingOffer, supportWords } = await import("/static/js/support_notice.js");
  return cases.map((support) => ({ ...recordingOffer(support), words: supportWords(support) }));
}"""


def test_the_pages_offer_rule_matches_the_servers_and_a_long_wait_names_the_threshold(
    live_server: LiveServer, open_participant: OpenParticipant
):
    _, url = make_link(live_server.app, "ORD-RULE", "damage_verification")
    page = open_participant("buyer", locale="fr-FR").page
    page.goto(url)
    expect(page.get_by_test_id("consent")).to_be_visible()
    base = {
        "hours_configured": True,
        "within_hours": True,
        "next_open_at": None,
        "agents_available": 0,
        "agents_busy": 1,
        "expected_wait_s": 540,
        "record_offer_wait_s": 300,
    }
    cases = [
        base,  # busy agents, 9 minutes' wait past 5
        {**base, "expected_wait_s": 120},  # under the threshold: nothing offered
        {**base, "agents_busy": 0},  # nobody will answer
        {**base, "within_hours": False},  # closed, and no opening ahead
    ]
    answers = page.evaluate(OFFER_JS, cases)
    assert [(a["offer"], a["reason"]) for a in answers] == [
        (True, "long_wait"),
        (False, None),
        (True, "nobody"),
        (True, "closed"),
    ]
    assert answers[0]["words"] == "L'attente dépasse 5 minutes."
    assert answers[1]["words"] == ""
    assert answers[3]["words"].startswith("Notre équipe est absente")
