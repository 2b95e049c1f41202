"""With nobody to take the call, a buyer records the evidence in real Chromium (fake
camera): two steps' clips and a photo, uploaded by tus; the connection is cut in the
middle of the upload and it resumes to completion; the server holds exactly the bytes
the page recorded. Next morning an agent opens the case in the console, plays a clip,
sets the outcome and replies; the reply is on the buyer's reopened link."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import Session, select

from server.evidence import cases
from server.models import Call
from server.models.case import Case, CaseFile
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import sign_in
from tests.helpers.case_recording import network, record_step
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.recordings import sha256_file
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import NotYet, holds_for, page_pause, wait_until


def test_buyer_records_upload_resumes_after_a_cut_server_holds_same_bytes_agent_settles_it(
    live_server: LiveServer, open_participant: OpenParticipant
):
    app = live_server.app
    _, url = make_link(app, "ORD-NIGHT")
    buyer = open_participant("buyer", phone=True)
    page = buyer.page
    page.goto(url)
    expect(page.get_by_test_id("consent")).to_be_visible()
    expect(page.get_by_test_id("record-instead")).to_be_visible()
    shoot(page, "case-consent-record-offer")
    page.get_by_test_id("record-instead").click()
    expect(page.get_by_test_id("async-record")).to_be_visible()
    expect(page.locator('[data-testid="record-step"]')).to_have_count(4)
    record_step(page, "outer_box")
    record_step(page, "label", photo=True)
    # a retaken step keeps only the new clip
    first = page.locator('[data-testid="record-step"][data-step="outer_box"]')
    first.get_by_test_id("step-retake").click()
    expect(first.get_by_test_id("record-start")).to_be_visible()
    record_step(page, "outer_box")
    page.get_by_test_id("async-note").fill("The box was crushed on one corner.")
    shoot(page, "case-steps-recorded")
    recorded = {
        step: page.locator(f'[data-testid="record-step"][data-step="{step}"]').get_attribute(
            "data-sha256"
        )
        for step in ("outer_box", "label")
    }
    photo_sum = page.locator('[data-step="label"]').get_attribute("data-photo-sha256")

    resumed = []
    page.on(
        "request",
        lambda r: r.method == "HEAD" and "/api/uploads/" in r.url and resumed.append(r.url),
    )
    cdp = buyer.context.new_cdp_session(page)
    cdp.send("Network.enable")
    network(cdp, offline=False)
    page.get_by_test_id("async-submit").click()
    bar = page.get_by_test_id("upload-progress")
    wait_until(
        lambda: 10 <= int(bar.get_attribute("data-percent") or 0) < 60,
        30,
        "the upload under way",
        page_pause(page),
    )
    network(cdp, offline=True)
    shoot(page, "case-upload-cut")
    stalled = int(bar.get_attribute("data-percent") or 0)

    def still_stalled() -> bool | NotYet:
        percent = int(bar.get_attribute("data-percent") or 0)
        if percent > stalled + 5:
            return NotYet(f"{percent}% offline, from {stalled}%")
        return page.get_by_test_id("async-done").is_hidden() or NotYet("done while offline")

    holds_for(still_stalled, 2, "the upload stalled while offline", page_pause(page))
    network(cdp, offline=False)
    expect(page.get_by_test_id("async-done")).to_be_visible(timeout=90_000)
    assert resumed, "the page never asked the server where the upload stopped"
    shoot(page, "case-done")

    with Session(app.state.engine) as db:
        case = db.exec(select(Case)).one()
        rows = db.exec(select(CaseFile).where(CaseFile.case_id == case.id)).all()
        clips = {row.step: row for row in rows if row.kind == "clip"}
        assert {step: row.sha256 for step, row in clips.items()} == recorded
        for row in clips.values():
            path = app.state.storage.local_path(row.storage_key)
            assert sha256_file(path) == row.sha256
            assert row.container in ("webm", "mp4") and 1500 <= (row.duration_ms or 0) <= 6000
        (photo,) = [row for row in rows if row.kind == "photo"]
        assert photo.step == "label" and photo.width and photo.height
        assert photo_sum  # kept as a clean copy: its own sha256 is the stored one
        assert all(row.submission_id is not None for row in rows)
        assert cases.submissions(db, case.id)[0].note == "The box was crushed on one corner."

    # the agent, next morning: the case in the console, a clip played, outcome, a reply
    add_user(app, "morning@shop.test", "agent")
    agent = open_participant("agent")
    sign_in(agent.page, "morning@shop.test")
    console = agent.page
    item = console.locator(f'[data-testid="queue-item"][data-case-id="{case.id}"]')
    expect(item).to_be_visible()
    item.get_by_test_id("case-open").click()
    expect(console.get_by_test_id("case-clip")).to_have_count(2)
    expect(console.get_by_test_id("case-photo")).to_have_count(1)
    expect(console.get_by_test_id("case-note")).to_have_text("The box was crushed on one corner.")
    # each file is named by its step in the agent's words, not by the step's code
    outer_box = console.locator('.case-file[data-step="outer_box"] figcaption')
    expect(outer_box.first).to_have_text("The outer box, all sides")
    clip = console.get_by_test_id("case-clip").first
    clip.evaluate("(video) => { video.muted = true; return video.play(); }")
    wait_until(
        lambda: clip.evaluate("(v) => v.readyState >= 2 && v.currentTime > 0.3"),
        15,
        "the clip playing in the console",
        page_pause(console),
    )
    console.get_by_test_id("case-outcome-select").select_option("damage")
    console.get_by_test_id("case-decision-select").select_option("refund")
    console.get_by_test_id("case-outcome-save").click()
    expect(console.get_by_test_id("case-outcome-status")).not_to_be_empty()
    console.get_by_test_id("case-reply-input").fill("Thank you, a refund is on its way.")
    console.get_by_test_id("case-reply-send").click()
    expect(console.get_by_test_id("case-reply-sent")).to_have_text(
        "Thank you, a refund is on its way."
    )
    shoot(console, "case-console-view")
    with Session(app.state.engine) as db:
        settled = db.get(Case, case.id)
        assert (settled.outcome, settled.decision) == ("damage", "refund")
    agent.assert_clean()

    page.goto(url)
    expect(page.get_by_test_id("case-reply")).to_have_text("Thank you, a refund is on its way.")
    shoot(page, "case-reply-on-reopened-link")
    # the cut itself is the only thing that went wrong on the page
    others = [p for p in buyer.problems if "ERR_INTERNET_DISCONNECTED" not in p]
    assert not others, others


def test_a_waiting_buyer_who_records_instead_leaves_the_line_and_keeps_the_recording(
    live_server: LiveServer, open_participant: OpenParticipant
):
    app = live_server.app
    _, url = make_link(app, "ORD-WAIT")
    buyer = open_participant("buyer", phone=True)
    page = buyer.page
    page.goto(url)
    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("waiting")).to_be_visible()
    expect(page.get_by_test_id("record-instead")).to_be_visible()
    shoot(page, "case-waiting-record-offer")
    page.get_by_test_id("record-instead").click()
    expect(page.get_by_test_id("async-record")).to_be_visible()

    def ended() -> bool:
        with Session(app.state.engine) as db:
            calls = db.exec(select(Call)).all()
            return len(calls) == 1 and calls[0].state == "ended"

    wait_until(ended, 10, "the waiting call ended", page_pause(page))
    recorder = page.get_by_test_id("async-record")
    holds_for(recorder.is_visible, 1, "the recording screen after the call ended", page_pause(page))
    record_step(page, "outer_box")
    buyer.assert_clean()
