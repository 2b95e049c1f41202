"""QA scores in real Chromium: a supervisor scores a recorded call on the review page
(the weighted total shown as the values are filled in) and pins a comment to the
player's current time; clicking the comment seeks the video there; the call's agent
signs in and finds the call, its total, the values and the comment on their own page,
and a supervisor's page is not theirs. Screenshots at 1366x768 and 390x844."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from server.models.evidence import Recording
from server.models.qa import QaComment, QaScore
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import LAPTOP, SIZES, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import LENGTH_S, WAITED_S, store_call
from tests.helpers.waiting import NotYet, page_pause, wait_until

SCREENS = {"laptop": LAPTOP, "phone": SIZES["phone"]}
# the shipped rubric, by position: (label, value given); weights 3, 4, 3, 2
VALUES = (("Asked for the right shots", "4"), ("Correct verdict", "1"), ("Policy followed", "0"))
TONE = "4"
TOTAL = 64.6  # 100 * (3 * 0.75 + 4 * 1 + 3 * 0 + 2 * 0.75) / 12


def store_review_file(live_server: LiveServer, call_id: str) -> None:
    """The call's ready review file (VP8 WebM, 2 frames a second, as long as the call)."""
    key = f"calls/{call_id}/review.webm"
    storage = live_server.app.state.storage
    path: Path = storage.path_for_writing(key)
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=2)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for n in range(LENGTH_S * 2):
            frame = av.VideoFrame.from_ndarray(
                np.full((120, 160, 3), (n * 3) % 256, np.uint8), format="rgb24"
            )
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    storage.commit(key)
    with Session(live_server.app.state.engine) as db:
        db.add(
            Recording(
                call_id=call_id,
                kind="review",
                storage_key=key,
                content_type="video/webm",
                codec="vp8",
                state="ready",
                progress=100,
                start_offset_ms=WAITED_S * 1000,
                duration_ms=LENGTH_S * 1000,
                size_bytes=path.stat().st_size,
                created_at=live_server.app.state.clock.now(),
            )
        )
        db.commit()


def video_at(page: Page) -> float:
    return page.get_by_test_id("review-video").evaluate("v => v.currentTime")


def expect_video_near(page: Page, seconds: float, what: str) -> None:
    wait_until(
        lambda: abs(video_at(page) - seconds) < 0.6 or NotYet(f"at {video_at(page):.2f} s"),
        5,
        f"the video at {seconds:.1f} s ({what})",
        pause=page_pause(page),
    )


def test_a_supervisor_scores_and_comments_a_call_and_its_agent_reads_them(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    call_id = store_call(live_server.app, "ORD-QA-1", agent_id=agent_id)
    store_review_file(live_server, call_id)

    sup = open_participant("supervisor")
    page = sup.page
    sign_in(page, "sup@shop.test", landing="/review")
    page.get_by_role("button", name="Open the call for order ORD-QA-1", exact=False).click()
    expect(page.get_by_test_id("session-order")).to_have_text("ORD-QA-1")
    video = page.get_by_test_id("review-video")
    wait_until(
        lambda: video.evaluate("v => v.duration > 0 && Number.isFinite(v.duration)"),
        10,
        "the review video's length",
        pause=page_pause(page),
    )

    form = page.get_by_test_id("qa-score")
    expect(form).to_be_visible()
    inputs = form.get_by_test_id("qa-criterion")
    expect(inputs).to_have_count(4)
    total = page.get_by_test_id("qa-total")
    expect(total).to_have_attribute("data-total", "")
    # nothing is saved while a criterion is left empty
    page.get_by_test_id("qa-save").click()
    expect(page.get_by_test_id("qa-error")).to_contain_text("Give a value for")
    for label, value in VALUES:
        box = form.locator("label.qa-criterion", has_text=label).get_by_test_id("qa-criterion")
        if box.evaluate("n => n.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)
    form.locator("label.qa-criterion", has_text="Tone").get_by_test_id("qa-criterion").fill(TONE)
    expect(total).to_have_attribute("data-total", str(TOTAL))
    expect(total).to_have_text(f"Weighted total: {TOTAL}%")
    page.get_by_test_id("qa-save").click()
    expect(page.get_by_test_id("qa-status")).to_have_text("Score saved.")
    expect(page.get_by_test_id("qa-save")).to_have_text("Update my score")

    # a comment is pinned to where the player is
    video.evaluate("v => { v.currentTime = 37.4; }")
    expect_video_near(page, 37.4, "moved there")
    expect(page.get_by_test_id("qa-comment-at")).to_have_text("0:37")
    page.get_by_test_id("qa-comment").fill("Ask for the label before the damage close-up.")
    page.get_by_test_id("qa-comment-add").click()
    comment = page.get_by_test_id("qa-comment-item")
    expect(comment).to_have_count(1)
    expect(comment.get_by_test_id("qa-comment-time")).to_have_text("0:37")
    video_ms = int(comment.get_attribute("data-video-ms"))
    assert abs(video_ms - 37_400) < 300, video_ms
    with Session(live_server.app.state.engine) as db:
        score = db.exec(select(QaScore).where(QaScore.call_id == call_id)).one()
        assert score.total_pct == TOTAL
        stored = db.exec(select(QaComment).where(QaComment.call_id == call_id)).one()
        assert stored.video_ms == video_ms
    # clicking the comment's time seeks the video back to it
    video.evaluate("v => { v.currentTime = 5; }")
    expect_video_near(page, 5, "moved away")
    comment.get_by_test_id("qa-comment-time").click()
    expect_video_near(page, video_ms / 1000, "the comment's time")
    video.evaluate("v => v.pause()")
    form.scroll_into_view_if_needed()
    shoot(page, "qa-review-form", sizes=SCREENS)
    sup.problems[:] = [p for p in sup.problems if "net::ERR_ABORTED" not in p]
    sup.assert_clean()

    # the agent finds it on their own page, reached from the console's top bar
    agent = open_participant("agent")
    sign_in(agent.page, "agent@shop.test")
    agent.page.get_by_test_id("qa-link").click()
    expect(agent.page).to_have_url(f"{live_server.url}/qa")
    call = agent.page.get_by_test_id("qa-call")
    expect(call).to_have_count(1)
    expect(call).to_have_attribute("data-session-id", call_id)
    expect(call).to_contain_text("ORD-QA-1")
    expect(call.get_by_test_id("qa-call-total")).to_have_text(f"Weighted total: {TOTAL}%")
    expect(call.get_by_test_id("qa-call-item")).to_have_count(4)
    expect(call.get_by_test_id("qa-call-item").nth(2)).to_have_text("Policy followed: Fail")
    expect(call.get_by_test_id("qa-call-item").nth(0)).to_have_text(
        "Asked for the right shots: 4 / 5"
    )
    seen = call.get_by_test_id("qa-call-comment")
    expect(seen).to_have_count(1)
    expect(seen).to_contain_text("Ask for the label before the damage close-up.")
    expect(seen.get_by_test_id("qa-call-comment-time")).to_have_text("0:37")
    href = seen.get_by_test_id("qa-call-comment-time").get_attribute("href")
    assert href and href.endswith(f"#t={video_ms / 1000:.1f}"), href
    recording = call.get_by_test_id("qa-call-recording").get_attribute("href")
    assert recording and href.startswith(recording)
    # the recording the link opens is the agent's to watch
    answer = agent.page.request.get(f"{live_server.url}{recording}")
    assert answer.status == 200, answer.status
    shoot(agent.page, "qa-agent-page", sizes=SCREENS)
    # the review page is not the agent's
    answer = agent.page.request.get(f"{live_server.url}/review")
    assert answer.status == 403, answer.status
    # leaving the console cuts off its requests still under way
    agent.problems[:] = [p for p in agent.problems if "net::ERR_ABORTED" not in p]
    agent.assert_clean()
