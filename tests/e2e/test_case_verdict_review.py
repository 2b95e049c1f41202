"""A recorded case settled as a call is, in real Chromium: the agent opens the case in the
console (its clip ready to play at once), takes a still from the playing clip (it
appears among the case's photos with the clip time it came from) and sets the verdict;
a supervisor finds the case on /review, sees its clip (playable), photos, note and the
later call of the same link on one timeline in time order, confirms the verdict, then
overrides it with a reason, with the same controls and history as a call's; the call's
page links to its case and back."""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.sync_api import expect
from sqlmodel import Session, select

from server.evidence import case_steps, cases, uploads
from server.models import Case
from server.models.case import CaseFile, CaseOutcomeChange
from server.models.link import Link
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import sign_in
from tests.helpers.case_uploads import webm_clip
from tests.helpers.chromium import OpenParticipant
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import store_call
from tests.helpers.waiting import page_pause, wait_until

NOTE = "The box was crushed on one corner."


def recorded_case(app, link: Link, at: datetime) -> int:
    """What the buyer recorded ``at`` (a clip and a photo, stored and checked as the tus
    routes do, and submitted with a note): the case's id."""
    storage = app.state.storage
    with Session(app.state.engine) as db:
        case = uploads.case_for_link(db, link.id, at)
        for kind, step, data in (
            ("clip", "outer_box", webm_clip(seconds=3.0)),
            ("photo", "label", image_bytes("mjpeg", 320, 240)),
        ):
            row = uploads.create_upload(
                db,
                storage,
                case,
                length=len(data),
                step=step,
                kind=kind,
                max_bytes=50_000_000,
                max_files=20,
                now=at,
                steps=case_steps.steps_for(db, link.purpose),
            )
            uploads.write_at(storage.path_for_writing(row.storage_key), 0, data)
            row.offset = len(data)
            uploads.finish(db, storage, row)
        cases.submit(db, case, note=NOTE, locale="de", now=at)
        assert case.id is not None
        return case.id


def test_agent_sets_a_case_verdict_supervisor_confirms_and_overrides_it_on_one_timeline(
    live_server: LiveServer, open_participant: OpenParticipant
):
    app = live_server.app
    link, _ = make_link(app, "ORD-CASE-7")
    agent_id = add_user(app, "ann@shop.test", "agent", "Ann Agent")
    add_user(app, "sue@shop.test", "supervisor", "Sue Supervisor")
    case_id = recorded_case(app, link, app.state.clock.now() - timedelta(hours=2))
    call_id = store_call(app, "ORD-CASE-7", agent_id=agent_id, link=link, age_s=600)

    # the agent: the clip is ready at once, a still from it, the verdict
    agent = open_participant("agent")
    sign_in(agent.page, "ann@shop.test")
    console = agent.page
    console.locator(f'[data-testid="queue-item"][data-case-id="{case_id}"]').get_by_test_id(
        "case-open"
    ).click()
    clip = console.get_by_test_id("case-clip")
    expect(clip).to_have_attribute("preload", "metadata")
    wait_until(
        lambda: clip.evaluate("(v) => v.readyState >= 1 && v.duration > 2"),
        15,
        "the clip's metadata loaded before anyone pressed play",
        page_pause(console),
    )
    clip.evaluate("(video) => { video.muted = true; return video.play(); }")
    wait_until(
        lambda: clip.evaluate("(v) => v.readyState >= 2 && v.currentTime > 1.2"),
        15,
        "the clip playing past 1.2 s",
        page_pause(console),
    )
    clip.evaluate("(video) => video.pause()")
    at_ms = clip.evaluate("(v) => Math.round(v.currentTime * 1000)")
    console.get_by_test_id("case-still").click()
    expect(console.get_by_test_id("case-photo")).to_have_count(2)
    still = console.locator('.case-file[data-kind="photo"]:not([data-source-file-id=""])')
    expect(still).to_have_attribute("data-source-t-ms", str(at_ms))
    expect(still.locator("figcaption")).to_have_text(
        f"Still from “The outer box, all sides” at 0:0{at_ms // 1000}"
    )
    expect(console.get_by_test_id("case-still-status")).to_contain_text("saved among the photos")
    # the clip went on where it was: drawing the case again did not reload it
    assert clip.evaluate("(v) => Math.round(v.currentTime * 1000)") == at_ms
    console.get_by_test_id("case-outcome-select").select_option("damage")
    console.get_by_test_id("case-decision-select").select_option("refund")
    console.get_by_test_id("case-outcome-save").click()
    expect(console.get_by_test_id("case-outcome-status")).to_have_text("Outcome saved.")
    shoot(console, "case-console-still")
    agent.assert_clean()

    # the supervisor: the case from the review list, one timeline, one verdict
    sup = open_participant("supervisor")
    page = sup.page
    sign_in(page, "sue@shop.test", landing="/review")
    row = page.locator(f'[data-testid="case-row"][data-case-id="{case_id}"]')
    expect(row).to_have_attribute("data-outcome", "damage")
    shoot(page, "case-review-list")
    row.get_by_test_id("case-row-open").click()
    expect(page.get_by_test_id("case-view")).to_be_visible()
    entries = page.get_by_test_id("case-entry")
    expect(entries).to_have_count(4)
    kinds = [entries.nth(i).get_attribute("data-kind") for i in range(4)]
    assert kinds == ["submission", "call", "still", "verdict"]
    expect(page.get_by_test_id("review-case-note")).to_have_text(NOTE)
    expect(page.get_by_test_id("review-case-photo")).to_have_count(2)
    review_clip = page.get_by_test_id("review-case-clip")
    expect(review_clip).to_have_count(1)
    review_clip.evaluate("(video) => { video.muted = true; return video.play(); }")
    wait_until(
        lambda: review_clip.evaluate("(v) => v.readyState >= 2 && v.currentTime > 0.3"),
        15,
        "the clip playing on review",
        page_pause(page),
    )
    review_clip.evaluate("(video) => video.pause()")
    verdict = page.get_by_test_id("session-outcome")
    expect(verdict).to_have_text("Damaged in transit · Refund")
    expect(page.get_by_test_id("history-item")).to_have_count(1)
    expect(page.get_by_test_id("history-item")).to_contain_text(
        "Ann Agent set Damaged in transit, Refund"
    )

    page.get_by_test_id("review-confirm").click()
    expect(verdict).to_have_attribute("data-review-state", "confirmed")
    expect(page.get_by_test_id("history-item").nth(1)).to_have_attribute("data-action", "confirm")
    page.get_by_test_id("override-outcome").select_option("no_fault_found")
    page.get_by_test_id("override-decision").select_option("reject")
    page.get_by_test_id("override-reason").fill("The dent is on the photo from the warehouse.")
    page.get_by_test_id("review-override").click()
    expect(verdict).to_have_attribute("data-review-state", "overridden")
    expect(verdict).to_have_attribute("data-outcome", "no_fault_found")
    history = page.get_by_test_id("history-item")
    expect(history).to_have_count(3)
    expect(history.nth(2)).to_contain_text("Sue Supervisor overrode to")
    expect(history.nth(2)).to_contain_text("The dent is on the photo from the warehouse.")
    expect(page.locator('[data-testid="case-entry"][data-kind="verdict"]')).to_have_count(3)
    shoot(page, "case-review-timeline")

    # the call of the same link opens from the case, and links back to it
    page.locator(f'[data-testid="case-call-open"][data-session-id="{call_id}"]').click()
    expect(page.get_by_test_id("session-view")).to_be_visible()
    expect(page.get_by_test_id("case-view")).to_be_hidden()
    back = page.get_by_test_id("session-case")
    expect(back).to_be_visible()
    back.click()
    expect(page.get_by_test_id("case-view")).to_be_visible()
    expect(page.get_by_test_id("case-entry")).to_have_count(6)
    sup.assert_clean()

    with Session(app.state.engine) as db:
        case = db.get(Case, case_id)
        assert (case.outcome, case.decision, case.review_state) == (
            "no_fault_found",
            "reject",
            "overridden",
        )
        changes = db.exec(
            select(CaseOutcomeChange).where(CaseOutcomeChange.case_id == case_id)
        ).all()
        assert [c.action for c in changes] == ["set", "confirm", "override"]
        (kept,) = db.exec(
            select(CaseFile).where(CaseFile.case_id == case_id, CaseFile.source_file_id != None)  # noqa: E711
        ).all()
        assert kept.source_t_ms == at_ms and kept.kind == "photo" and kept.sha256
