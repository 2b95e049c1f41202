"""From the call to the review, in real Chromium: the agent captures a full-resolution
photo from the buyer's camera and tags the call; a supervisor who was not in the call
finds it by outcome, watches the recording, jumps to the photo on the timeline and
overrides the verdict."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, Playwright, expect
from sqlmodel import Session, select

from server.models import Call, OutcomeChange
from server.models.evidence import Photo, Recording
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import go_available, sign_in
from tests.helpers.chromium import OpenParticipant, launch_chromium
from tests.helpers.links import make_link
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until

CAMERA_W, CAMERA_H, CAMERA_FPS = 1280, 720, 15
CALL_VIDEO_MAX_W = 640  # the buyer page sends the call video scaled down to this
HOLD_S = 8  # how long the call lasts at least
REVIEW_FILE_DEADLINE_S = 120


def write_big_y4m(path: Path, frames: int = 30) -> Path:
    """A 1280x720 clip (four grey levels and a moving bright bar), bigger than the call
    video the page sends, so that a photo from the camera can be told from a frame of it."""
    y = np.zeros((CAMERA_H, CAMERA_W), np.uint8)
    for i, level in enumerate((60, 110, 160, 210)):
        y[:, i * CAMERA_W // 4 : (i + 1) * CAMERA_W // 4] = level
    chroma = np.full((CAMERA_H // 2, CAMERA_W // 2), 128, np.uint8).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{CAMERA_W} H{CAMERA_H} F{CAMERA_FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for n in range(frames):
            frame = y.copy()
            x = n * (CAMERA_W - 80) // frames
            frame[CAMERA_H - 120 : CAMERA_H - 40, x : x + 80] = 235
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return path


@pytest.fixture(scope="module")
def big_camera_browser(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    clip = write_big_y4m(tmp_path_factory.mktemp("big-camera") / "big.y4m")
    launched = launch_chromium(playwright, f"--use-file-for-fake-video-capture={clip}")
    yield launched
    launched.close()


VIDEO_SIZE_JS = """(selector) => {
  const v = document.querySelector(selector);
  return v && v.videoWidth ? [v.videoWidth, v.videoHeight] : null;
}"""


def db_one(live_server: LiveServer, query):  # noqa: ANN001, ANN201
    with Session(live_server.app.state.engine) as db:
        return db.exec(query).first()


def test_capture_tag_and_supervisor_review(
    live_server: LiveServer, open_participant: OpenParticipant, big_camera_browser: Browser
) -> None:
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    _, link_url = make_link(live_server.app, "ORD-REVIEW-1", "damage_verification", buyer_name="Bo")

    agent = open_participant("agent")
    sign_in(agent.page, "agent@shop.test")
    go_available(agent.page)
    buyer = open_participant("buyer", phone=True, on=big_camera_browser)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    agent.page.get_by_test_id("accept").click()
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    live_since = time.monotonic()

    # the agent sees the buyer's camera, sent scaled down to at most 640 px wide
    remote = '[data-testid="call-view"] [data-testid="remote-video"]'
    call_size = wait_until(
        lambda: agent.page.evaluate(VIDEO_SIZE_JS, remote), 15, "the buyer's video at the agent"
    )
    assert call_size[0] <= CALL_VIDEO_MAX_W, call_size

    time.sleep(2)  # hold the call a moment so the photo is taken well into it
    agent.page.get_by_test_id("capture").click()
    item = agent.page.get_by_test_id("evidence-item")
    expect(item).to_have_count(1, timeout=5000)
    expect(buyer.page.get_by_test_id("photo-notice")).to_be_visible()
    # the stored photo is the camera's own resolution, bigger than the call video
    photo = wait_until(lambda: db_one(live_server, select(Photo)), 5, "the stored photo")
    assert (photo.width, photo.height) == (CAMERA_W, CAMERA_H)
    assert photo.width > call_size[0]
    assert item.get_attribute("data-width") == str(CAMERA_W)
    wait_until(
        lambda: item.locator("img").evaluate("img => img.complete && img.naturalWidth"),
        5,
        "the evidence thumbnail",
    )
    console_time = item.get_by_test_id("evidence-time").inner_text()

    agent.page.get_by_test_id("outcome-select").select_option("damage")
    agent.page.get_by_test_id("decision-select").select_option("refund")
    agent.page.get_by_test_id("outcome-note").fill("Corner crushed, box dented on arrival.")
    agent.page.get_by_test_id("outcome-save").click()
    expect(agent.page.get_by_test_id("outcome-status")).to_contain_text("Saved")

    time.sleep(max(0.0, HOLD_S - (time.monotonic() - live_since)))
    agent.page.get_by_test_id("end-call").click()
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()
    # the wrap-up shows the saved verdict; skipping it leaves the console free
    expect(agent.page.get_by_test_id("wrap-up")).to_be_visible()
    agent.page.get_by_test_id("wrap-up-skip").click()
    expect(agent.page.get_by_test_id("wrap-up")).to_be_hidden()

    def ended_call() -> Call | None:
        call = db_one(live_server, select(Call).where(Call.order_ref == "ORD-REVIEW-1"))
        return call if call and call.ended_at and call.outcome else None

    call = wait_until(ended_call, 5, "the ended, tagged call")
    assert (call.outcome, call.decision) == ("damage", "refund")
    call_length_s = (call.ended_at - call.answered_at).total_seconds()

    def review_ready() -> Recording | None:
        row = db_one(
            live_server,
            select(Recording).where(Recording.call_id == call.id, Recording.kind == "review"),
        )
        if row is not None and row.state == "failed":
            raise AssertionError(f"the review file failed: {row.error}")
        return row if row is not None and row.state == "ready" else None

    wait_until(review_ready, REVIEW_FILE_DEADLINE_S, "the review file")

    # a supervisor who was not in the call finds it by its outcome
    sup = open_participant("supervisor")
    sign_in(sup.page, "sup@shop.test", landing="/review")  # supervisors land on the review
    expect(sup.page.get_by_test_id("session-row")).to_have_count(1)
    sup.page.get_by_test_id("filter-outcome").select_option("damage")
    rows = sup.page.get_by_test_id("session-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-session-id", call.id)
    expect(
        sup.page.locator('[data-testid="outcome-count"][data-outcome="damage"]')
    ).to_have_attribute("data-count", "1")
    rows.first.click()

    video = sup.page.get_by_test_id("review-video")
    expect(video).to_be_visible()
    duration = wait_until(
        lambda: video.evaluate("v => Number.isFinite(v.duration) && v.duration > 0 && v.duration"),
        10,
        "the review video's duration",
    )
    assert abs(duration - call_length_s) <= 0.1 * call_length_s, (duration, call_length_s)
    video.evaluate("v => { v.muted = true; return v.play(); }")
    wait_until(lambda: video.evaluate("v => v.currentTime") > 1.0, 10, "the video playing")

    expect(sup.page.get_by_test_id("photo")).to_have_count(1)
    wait_until(
        lambda: sup.page.get_by_test_id("photo").evaluate(
            "img => img.complete && img.naturalWidth"
        ),
        5,
        "the photo",
    )
    # the marks sit on the player's own scrubber, with a key to their colours
    marker = sup.page.locator(
        '[data-testid="scrubber"] [data-testid="timeline-marker"][data-kind="photo"]'
    )
    expect(marker).to_have_count(1)
    for kind in ("joined", "outcome", "ended"):
        assert sup.page.locator(f'[data-testid="timeline-marker"][data-kind="{kind}"]').count() >= 1
        expect(
            sup.page.locator(f'[data-testid="timeline-key"] [data-kind="{kind}"]')
        ).to_have_count(1)
    # one photo, one time: the console's, the review's tile and its mark
    review_time = sup.page.get_by_test_id("evidence-time").inner_text()
    marker_time = marker.get_attribute("aria-label").split(" ", 1)[0]
    assert console_time == review_time == marker_time, (console_time, review_time, marker_time)
    video.evaluate("v => v.pause()")
    video.evaluate("v => { v.currentTime = v.duration - 0.2; }")
    marker.click()
    t_ms = int(marker.get_attribute("data-t-ms"))
    review_row = review_ready()
    expected_s = (t_ms - review_row.start_offset_ms) / 1000
    wait_until(
        lambda: abs(video.evaluate("v => v.currentTime") - expected_s) < 0.5,
        5,
        f"the video at the photo ({expected_s:.2f} s)",
    )

    sup.page.get_by_test_id("override-outcome").select_option("misuse")
    sup.page.get_by_test_id("override-reason").fill("The video shows the buyer cutting the box.")
    sup.page.get_by_test_id("review-override").click()
    outcome = sup.page.get_by_test_id("session-outcome")
    expect(outcome).to_have_attribute("data-outcome", "misuse")
    expect(outcome).to_have_attribute("data-review-state", "overridden")
    history = sup.page.get_by_test_id("history-item")
    expect(history).to_have_count(2)
    # the override is in the history, not a mark on the video: the agent's one stays alone
    outcome_marks = sup.page.locator('[data-testid="timeline-marker"][data-kind="outcome"]')
    expect(outcome_marks).to_have_count(1)
    expect(history.nth(1)).to_contain_text("cutting the box")
    with Session(live_server.app.state.engine) as db:
        stored = db.get(Call, call.id)
        assert (stored.outcome, stored.review_state) == ("misuse", "overridden")
        changes = db.exec(select(OutcomeChange).where(OutcomeChange.call_id == call.id)).all()
        assert [c.action for c in changes] == ["set", "override"]
        assert changes[1].reason == "The video shows the buyer cutting the box."
    # a player drops a range request when it seeks, and leaving a page aborts its favicon
    sup.problems[:] = [p for p in sup.problems if "net::ERR_ABORTED" not in p]
    agent.assert_clean()
    buyer.assert_clean()
    sup.assert_clean()
