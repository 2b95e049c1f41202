"""An inspection item that needs a clip, on the real pages: the agent presses "Record
clip" on the console and "Stop" after a few seconds; the buyer's phone shows the item
being filmed, then its clip's length, and only then lets the buyer approve it; the
report (console, JSON, the PDF read back with pypdf) gives the clip as a stretch of the
call's recording, and on the review page the clip's times seek the player there."""

from __future__ import annotations

import io
import re

import pypdf
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from server.inspections.report_pdf import recording_time
from server.models.evidence import Recording
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import answered_call, available_agent, sign_in
from tests.helpers.links import make_link
from tests.helpers.screens import SIZES, shoot
from tests.helpers.waiting import wait_until

ITEMS = ["shipping_label", "powered_on"]
SIGNOFF_REASON = "The charger in the box is not the one ordered"
PHONE = {"phone": SIZES["phone"]}
DESKTOP = {"desktop": SIZES["desktop"]}
PDF_TIMEOUT_MS = 60_000
REVIEW_FILE_DEADLINE_S = 120


def item(page: Page, testid: str, key: str):
    return page.locator(f'[data-testid="{testid}"][data-item="{key}"]')


def clip_words(report: dict, key: str) -> tuple[str, str]:
    """The clip's start and end as the pages and the PDF write them."""
    clip = next(i["clip"] for i in report["items"] if i["key"] == key)
    origin = report["recording_start_ms"]
    return recording_time(clip["start_ms"], origin), recording_time(clip["end_ms"], origin)


def test_an_item_filmed_in_the_call_is_approved_then_reported_and_seeks_the_review(
    live_server, open_participant
):
    _, url = make_link(live_server.app, "ORD-CLIP", "remote_inspection")
    agent = available_agent(live_server, open_participant, "ines@shop.test", "Ines Agent")
    buyer = open_participant("buyer", phone=True)
    answered_call(agent, buyer, url)

    # the pick list says what each item asks for; the agent starts two items
    picks = agent.page.get_by_test_id("inspection-pick")
    expect(picks.first).to_be_visible()
    for box in picks.all():
        if box.get_attribute("data-item") not in ITEMS:
            box.uncheck()
    powered_pick = agent.page.locator('label:has([data-item="powered_on"])')
    expect(powered_pick).to_contain_text("a clip")
    agent.page.get_by_test_id("inspection-start").click()
    expect(agent.page.get_by_test_id("inspection-item")).to_have_count(2)

    # the buyer waits for the clip: no decision offered yet
    buyer_powered = item(buyer.page, "checklist-item", "powered_on")
    expect(buyer_powered.get_by_test_id("checklist-clip")).to_have_attribute(
        "data-state", "missing"
    )
    expect(buyer_powered.get_by_test_id("item-approve")).to_have_count(0)
    agent_powered = item(agent.page, "inspection-item", "powered_on")
    expect(agent_powered.get_by_test_id("inspection-clip")).to_have_attribute(
        "data-state", "missing"
    )

    item(agent.page, "inspection-item", "shipping_label").get_by_test_id("inspection-shoot").click()
    expect(item(buyer.page, "checklist-item", "shipping_label")).to_have_attribute(
        "data-state", "shot"
    )

    # the agent films the item powered on: "Record clip", the time counts, "Stop"
    agent_powered.get_by_test_id("inspection-clip-record").click()
    stop = agent_powered.get_by_test_id("inspection-clip-stop")
    expect(stop).to_be_visible()
    expect(buyer_powered.get_by_test_id("checklist-clip")).to_have_attribute(
        "data-state", "recording"
    )
    expect(buyer_powered.get_by_test_id("item-approve")).to_have_count(0)
    expect(stop).to_contain_text(re.compile(r"0:0[3-9] of 1:00"), timeout=15_000)
    agent_powered.scroll_into_view_if_needed()
    buyer_powered.scroll_into_view_if_needed()
    shoot(agent.page, "inspection-clip-console-recording", sizes=DESKTOP)
    shoot(buyer.page, "inspection-clip-buyer-recording", sizes=PHONE)
    stop.click()

    # both sides see it done; the buyer's phone gives its length and offers the decision
    expect(agent_powered).to_have_attribute("data-state", "shot")
    expect(agent_powered.get_by_test_id("inspection-clip")).to_have_attribute("data-state", "done")
    clip_line = buyer_powered.get_by_test_id("checklist-clip")
    expect(clip_line).to_have_attribute("data-state", "done")
    expect(clip_line).to_contain_text(re.compile(r"0:0[3-9]"))
    expect(buyer_powered).to_have_attribute("data-state", "shot")
    agent_powered.scroll_into_view_if_needed()
    buyer_powered.scroll_into_view_if_needed()
    shoot(buyer.page, "inspection-clip-buyer-done", sizes=PHONE)
    shoot(agent.page, "inspection-clip-console-done", sizes=DESKTOP)
    for key in ITEMS:
        item(buyer.page, "checklist-item", key).get_by_test_id("item-approve").click()
        expect(item(agent.page, "inspection-item", key)).to_have_attribute("data-state", "approved")
    # a decided item's clip stays: no new recording offered
    expect(agent_powered.get_by_test_id("inspection-clip-record")).to_be_disabled()
    # the buyer rejects the whole inspection: a reason first, then it is signed
    signoff = buyer.page.get_by_test_id("inspection-signoff")
    expect(signoff.get_by_test_id("signoff-reject")).to_be_enabled()
    signoff.get_by_test_id("signoff-name").fill("Bea Buyer")
    signoff.get_by_test_id("signoff-reject").click()
    expect(signoff).to_have_attribute("data-decision", "")  # nothing sent without a reason
    expect(signoff.get_by_test_id("signoff-reason")).to_be_focused()
    expect(buyer.page.get_by_test_id("notice")).to_contain_text("why you reject")
    signoff.get_by_test_id("signoff-reason").fill(SIGNOFF_REASON)
    signoff.get_by_test_id("signoff-reject").click()
    expect(signoff).to_have_attribute("data-decision", "rejected")
    expect(buyer.page.get_by_test_id("notice")).to_be_hidden()  # said, and now settled
    signed_line = agent.page.get_by_test_id("inspection-signoff-line")
    expect(signed_line).to_have_attribute("data-decision", "rejected")
    expect(signed_line).to_contain_text("Bea Buyer")
    expect(signed_line).to_contain_text(SIGNOFF_REASON)
    expect(agent.page.get_by_test_id("inspection-clip-record")).to_have_count(0)
    buyer_powered.scroll_into_view_if_needed()
    shoot(buyer.page, "inspection-clip-buyer-signed", sizes=PHONE)

    # the report: the clip on the call clock, within the call, a few seconds long
    session_id = agent.page.get_by_test_id("inspection-pdf").get_attribute("href").split("/")[3]
    answer = agent.page.request.get(f"/api/sessions/{session_id}/inspection")
    assert answer.ok, answer.text()
    report = answer.json()
    powered = next(i for i in report["items"] if i["key"] == "powered_on")
    clip = powered["clip"]
    assert powered["clip_required"] and powered["state"] == "approved"
    assert report["signoff"]["decision"] == "rejected"
    assert report["signoff"]["reason"] == SIGNOFF_REASON
    assert 3_000 <= clip["end_ms"] - clip["start_ms"] < 60_000, clip
    assert report["recording_start_ms"] is not None  # the call is being recorded
    assert 0 <= report["recording_start_ms"] <= clip["start_ms"]
    start, end = clip_words(report, "powered_on")
    console_line = agent_powered.get_by_test_id("inspection-clip").inner_text()
    assert console_line == f"Clip {start}\u2013{end} of the recording", console_line
    staff_pdf = agent.page.request.get(report["pdf_url"], timeout=PDF_TIMEOUT_MS)
    assert staff_pdf.ok and staff_pdf.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(staff_pdf.body()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert f"Clip: {start}\u2013{end} of the recording" in text, text
    assert "Item powered on" in text
    assert "Decision: Rejected" in text and SIGNOFF_REASON in text

    # the review: once the recording is made, the clip's times seek its player
    agent.page.get_by_test_id("end-call").click()
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()
    ended = buyer.page.get_by_test_id("call-ended")
    expect(ended.get_by_test_id("checklist-clip")).to_have_attribute("data-state", "done")

    def review_ready() -> Recording | None:
        with Session(live_server.app.state.engine) as db:
            row = db.exec(
                select(Recording).where(Recording.call_id == session_id, Recording.kind == "review")
            ).first()
        if row is not None and row.state == "failed":
            raise AssertionError(f"the review file failed: {row.error}")
        return row if row is not None and row.state == "ready" else None

    review_row = wait_until(review_ready, REVIEW_FILE_DEADLINE_S, "the review file")
    add_user(live_server.app, "sam@shop.test", "supervisor", "Sam Supervisor")
    supervisor = open_participant("supervisor")
    sign_in(supervisor.page, "sam@shop.test", landing="/review")
    supervisor.page.wait_for_load_state("networkidle")
    supervisor.page.goto(f"/review?session={session_id}")
    section = supervisor.page.get_by_test_id("review-inspection")
    expect(section).to_be_visible()
    reviewed = supervisor.page.request.get(f"/api/sessions/{session_id}/inspection").json()
    assert reviewed["recording_start_ms"] == review_row.start_offset_ms
    start, end = clip_words(reviewed, "powered_on")
    line = item(supervisor.page, "inspection-item", "powered_on").get_by_test_id("inspection-clip")
    expect(line).to_have_text(f"Clip {start}\u2013{end} of the recording")
    seeks = line.get_by_test_id("inspection-clip-seek")
    expect(seeks).to_have_count(2)
    video = supervisor.page.get_by_test_id("review-video")
    wait_until(
        lambda: video.evaluate("v => Number.isFinite(v.duration) && v.duration > 0"),
        20,
        "the review video's duration",
    )
    for button, t_ms in ((seeks.nth(1), clip["end_ms"]), (seeks.nth(0), clip["start_ms"])):
        button.click()
        expected_s = (t_ms - review_row.start_offset_ms) / 1000
        wait_until(
            lambda expected_s=expected_s: (
                abs(video.evaluate("v => v.currentTime") - expected_s) < 0.5
            ),
            5,
            f"the video at the clip's time ({expected_s:.2f} s)",
        )
    section.scroll_into_view_if_needed()
    shoot(supervisor.page, "inspection-clip-review", sizes=DESKTOP)
    for person in (agent, buyer):
        person.assert_clean()
