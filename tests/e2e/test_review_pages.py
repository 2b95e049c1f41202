"""The review page in real Chromium, for a supervisor moving from call to call: each
call's page starts clean (no notice, typed reason, history or chat of the call before);
an untagged call is given an outcome without a reason; calls that never reached an agent
are their own status and count; the order search matches a prefix; a supervisor's
confirm is not a mark on the video; the player has one timeline, its own scrubber with
the marks, which a mark's click, a drag and the keys all seek with. Every state is
screenshot and checked by axe-core."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from playwright.sync_api import Page, expect
from sqlmodel import Session

from server.models.evidence import Recording
from signaling.vocabulary import EndReason
from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import LENGTH_S, WAITED_S, store_call, tag
from tests.helpers.waiting import NotYet, page_pause, wait_until


def open_call(page: Page, order_ref: str) -> None:
    page.get_by_role("button", name=f"Open the call for order {order_ref}", exact=False).click()
    expect(page.get_by_test_id("session-order")).to_have_text(order_ref)


def back_to_list(page: Page) -> None:
    page.get_by_test_id("session-close").click()
    expect(page.get_by_test_id("list-view")).to_be_visible()


def test_a_supervisor_moving_from_call_to_call_sees_only_the_call_in_front_of_them(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    tagged = store_call(
        live_server.app,
        "ORD-RV-100",
        agent_id=agent_id,
        chat=(("buyer", "The lid is cracked."),),
        age_s=400,
    )
    tag(live_server, "agent@shop.test", tagged, "damage", "refund")
    store_call(live_server.app, "ORD-RV-200", agent_id=agent_id, age_s=300)
    store_call(
        live_server.app,
        "ORD-XX-300",
        agent_id=None,
        end_reason=EndReason.BUYER_DECLINED,
        age_s=200,
    )

    sup = open_participant("supervisor")
    sign_in(sup.page, "sup@shop.test", landing="/review")
    page = sup.page
    expect(page.get_by_test_id("session-row")).to_have_count(3)
    not_reached = page.locator('[data-testid="outcome-count"][data-outcome="not_reached"]')
    expect(not_reached).to_have_attribute("data-count", "1")
    expect(not_reached).to_contain_text("Never reached an agent 1")
    untagged = page.locator('[data-testid="outcome-count"][data-outcome="untagged"]')
    expect(untagged).to_have_attribute("data-count", "1")
    declined_row = page.locator('[data-testid="session-row"]', has_text="ORD-XX-300")
    expect(declined_row.get_by_test_id("session-row-outcome")).to_have_text(
        "Not reached: Buyer declined"
    )
    shoot(page, "review-list-statuses")
    assert_no_serious_violations(page, "the review list")

    # the order search matches a prefix
    page.get_by_test_id("filter-order").fill("ORD-RV")
    expect(page.get_by_test_id("session-row")).to_have_count(2)
    page.get_by_test_id("filter-order").fill("")
    expect(page.get_by_test_id("session-row")).to_have_count(3)
    page.get_by_test_id("filter-not-reached").check()
    expect(page.get_by_test_id("session-row")).to_have_count(1)
    expect(page.get_by_test_id("session-row")).to_contain_text("ORD-XX-300")
    page.get_by_test_id("filter-not-reached").uncheck()
    expect(page.get_by_test_id("session-row")).to_have_count(3)

    # the tagged call: confirmed, with a reason typed into the override and left there
    open_call(page, "ORD-RV-100")
    expect(page.get_by_test_id("chat-transcript").locator("li")).to_have_count(1)
    page.get_by_test_id("review-confirm").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Outcome confirmed.")
    expect(page.get_by_test_id("history-item")).to_have_count(2)
    page.get_by_test_id("override-reason").fill("Half a thought about ORD-RV-100")
    # a supervisor's confirm is in the history, not a mark on the video
    expect(page.locator('[data-testid="timeline-marker"][data-kind="outcome"]')).to_have_count(0)
    expect(page.get_by_test_id("timeline-list")).not_to_contain_text("confirm")
    expect(page.get_by_test_id("timeline-key")).to_contain_text("Chat message")
    shoot(page, "review-call-confirmed")
    assert_no_serious_violations(page, "a confirmed call")

    # the next call shows nothing of it
    back_to_list(page)
    open_call(page, "ORD-RV-200")
    expect(page.get_by_test_id("notice")).to_be_hidden()
    expect(page.get_by_test_id("history-item")).to_have_count(0)
    expect(page.get_by_test_id("chat-transcript").locator("li")).to_have_count(0)
    expect(page.get_by_test_id("chat-empty")).to_be_visible()
    expect(page.get_by_test_id("session-view")).not_to_contain_text("ORD-RV-100")
    expect(page.get_by_test_id("session-view")).not_to_contain_text("lid is cracked")
    expect(page.get_by_test_id("override-form")).to_be_hidden()
    expect(page.get_by_test_id("review-confirm")).to_be_hidden()
    assert page.get_by_test_id("override-reason").input_value() == ""
    # untagged: an outcome is set, no reason asked
    set_form = page.get_by_test_id("set-form")
    expect(set_form).to_be_visible()
    expect(page.get_by_test_id("review-set")).to_have_text("Set outcome")
    assert page.get_by_test_id("set-note").input_value() == ""
    shoot(page, "review-call-untagged")
    assert_no_serious_violations(page, "an untagged call")
    page.get_by_test_id("set-outcome").select_option("defect")
    page.get_by_test_id("review-set").click()
    outcome = page.get_by_test_id("session-outcome")
    expect(outcome).to_have_attribute("data-outcome", "defect")
    expect(page.get_by_test_id("history-item")).to_have_count(1)
    expect(set_form).to_be_hidden()

    # a call nobody answered: nothing to set or review
    back_to_list(page)
    open_call(page, "ORD-XX-300")
    expect(page.get_by_test_id("notice")).to_be_hidden()
    expect(outcome).to_contain_text("Never reached an agent")
    for testid in ("set-form", "override-form", "review-confirm"):
        expect(page.get_by_test_id(testid)).to_be_hidden()
    shoot(page, "review-call-not-reached")
    assert_no_serious_violations(page, "a call that never reached an agent")
    sup.assert_clean()


def write_review_file(path: Path, seconds: int) -> None:
    """A playable WebM (VP8, 2 frames a second) ``seconds`` long, as a review file."""
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=2)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for n in range(seconds * 2):
            frame = av.VideoFrame.from_ndarray(
                np.full((120, 160, 3), (n * 3) % 256, np.uint8), format="rgb24"
            )
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def store_review_file(live_server: LiveServer, call_id: str) -> Recording:
    """The call's ready review file, starting at the answer and as long as the call."""
    key = f"calls/{call_id}/review.webm"
    storage = live_server.app.state.storage
    path = storage.path_for_writing(key)
    write_review_file(path, LENGTH_S)
    storage.commit(key)
    with Session(live_server.app.state.engine, expire_on_commit=False) as db:
        row = Recording(
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
        db.add(row)
        db.commit()
        return row


def video_at(page: Page) -> float:
    return page.get_by_test_id("review-video").evaluate("v => v.currentTime")


def expect_video_near(page: Page, seconds: float, what: str, within: float = 0.6) -> None:
    wait_until(
        lambda: abs(video_at(page) - seconds) < within or NotYet(f"at {video_at(page):.2f} s"),
        5,
        f"the video at {seconds:.1f} s ({what})",
        pause=page_pause(page),
    )


def test_the_player_has_one_timeline_with_the_marks_which_seeks_by_click_drag_and_keys(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    call_id = store_call(
        live_server.app, "ORD-RV-PLAY", agent_id=agent_id, chat=(("buyer", "Look here."),)
    )
    store_review_file(live_server, call_id)
    sup = open_participant("supervisor")
    page = sup.page
    sign_in(page, "sup@shop.test", landing="/review")
    open_call(page, "ORD-RV-PLAY")
    video = page.get_by_test_id("review-video")
    expect(video).to_be_visible()
    wait_until(
        lambda: video.evaluate("v => v.duration > 0 && Number.isFinite(v.duration)"),
        10,
        "the review video's length",
        pause=page_pause(page),
    )

    # one timeline: the player has no controls of its own, and the page one position bar
    assert video.evaluate("v => v.controls || v.hasAttribute('controls')") is False
    view = page.get_by_test_id("session-view")
    expect(view.locator('input[type="range"], [role="slider"]')).to_have_count(1)
    scrubber = page.get_by_test_id("scrubber-range")
    expect(page.get_by_test_id("player-controls").get_by_test_id("scrubber")).to_be_visible()
    expect(scrubber).to_have_accessible_name("Position in the recording")

    # a mark seeks the video to its moment (the chat line, 10 s after the answer)
    chat_mark = page.locator(
        '[data-testid="scrubber"] [data-testid="timeline-marker"][data-kind="chat"]'
    )
    expect(chat_mark).to_have_count(1)
    chat_mark.click()
    expect_video_near(page, 10.0, "the chat mark")
    expect(page.get_by_test_id("player-time")).to_have_text("0:10 / 1:30")
    expect(scrubber).to_have_attribute("aria-valuetext", "0:10 of 1:30")

    # the keys move by seconds
    scrubber.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect_video_near(page, 13.0, "three seconds on")
    page.keyboard.press("ArrowLeft")
    expect_video_near(page, 12.0, "a second back")
    page.keyboard.press("PageUp")
    expect_video_near(page, 22.0, "ten seconds on")
    page.keyboard.press("End")
    expect_video_near(page, LENGTH_S, "the end", within=1.0)
    page.keyboard.press("Home")
    expect_video_near(page, 0.0, "the start")

    # dragging the thumb from the middle to three quarters seeks there
    box = scrubber.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=4)
    page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=4)
    page.mouse.up()
    expect_video_near(page, 0.75 * LENGTH_S, "three quarters", within=3.0)

    # play and pause, sound and full screen, by their labelled buttons
    play = page.get_by_test_id("player-play")
    expect(play).to_have_text("Play")
    mute = page.get_by_test_id("player-mute")
    mute.click()
    assert video.evaluate("v => v.muted") is True
    expect(mute).to_have_text("Unmute")
    play.click()
    expect(play).to_have_text("Pause")
    start = video_at(page)
    wait_until(
        lambda: video_at(page) > start + 0.5 or NotYet(f"at {video_at(page):.2f} s"),
        10,
        "the video playing",
        pause=page_pause(page),
    )
    play.press("Enter")
    expect(play).to_have_attribute("data-state", "paused")
    expect(play).to_have_text("Play")
    full = page.get_by_test_id("player-fullscreen")
    full.click()
    expect(full).to_have_text("Exit full screen")
    assert page.evaluate("() => document.fullscreenElement?.dataset.testid") == "player"
    full.click()
    expect(full).to_have_text("Full screen")
    shoot(page, "review-player")
    assert_no_serious_violations(page, "the review player")
    # a player drops a range request when it seeks
    sup.problems[:] = [p for p in sup.problems if "net::ERR_ABORTED" not in p]
    sup.assert_clean()
