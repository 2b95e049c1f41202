"""A page reload mid-call in real Chromium: the call survives, the agent sees the buyer
again, and the review file holds both of the buyer's segments in order."""

from __future__ import annotations

import av
from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from server.models import Call, CallEvent, Recording
from tests.helpers.browser_steps import COUNT_FRAMES_JS, agent_sees_bars, remote_video, start_call
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until

RECONNECT_DEADLINE_S = 5  # the agent sees the buyer again within this after the reload


def test_buyer_reload_mid_call_keeps_the_call_and_the_recording_has_both_segments(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    agent, buyer, _ = start_call(live_server, open_participant, camera_browser, "ORD-RELOAD")
    agent_sees_bars(agent)
    engine = live_server.app.state.engine
    with Session(engine) as db:
        call_id = db.exec(select(Call.id).where(Call.order_ref == "ORD-RELOAD")).one()

    buyer.page.reload()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute(
        "data-state", "live", timeout=RECONNECT_DEADLINE_S * 1000
    )
    agent.page.evaluate(COUNT_FRAMES_JS, remote_video(agent.page))
    wait_until(
        lambda: agent.page.evaluate("window.__framesPresented") >= 10,
        RECONNECT_DEADLINE_S,
        "the buyer's picture at the agent after the reload",
    )
    agent_sees_bars(agent, RECONNECT_DEADLINE_S)
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    agent.page.get_by_test_id("end-call").click()

    def stored() -> tuple | None:
        with Session(engine) as db:
            call = db.get(Call, call_id)
            rows = db.exec(select(Recording).where(Recording.call_id == call_id)).all()
            kinds = [e.kind for e in db.exec(select(CallEvent).where(CallEvent.call_id == call_id))]
        review = next((r for r in rows if r.kind == "review" and r.state == "ready"), None)
        return (call, rows, kinds, review) if review is not None else None

    call, rows, kinds, review = wait_until(stored, 60, "the review file")
    assert call.end_reason == "agent_ended"
    assert {"reconnecting", "resumed"} <= set(kinds)  # the gap is on the timeline
    segments = sorted(
        (r.segment, r.start_offset_ms)
        for r in rows
        if r.kind == "track" and r.track == "buyer_video"
    )
    assert [s for s, _ in segments] == [0, 1]
    assert segments[0][1] < segments[1][1]
    path = live_server.app.state.storage.local_path(review.storage_key)
    with av.open(str(path)) as container:
        times = [float(p.pts * p.time_base) for p in container.demux(video=0) if p.pts is not None]
    gap_at = (segments[1][1] - review.start_offset_ms) / 1000
    assert times == sorted(times)
    assert any(t < gap_at for t in times) and any(t >= gap_at - 0.1 for t in times)
    agent.assert_clean()


def test_agent_reload_mid_call_comes_back_to_the_same_call(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    agent, buyer, _ = start_call(live_server, open_participant, camera_browser, "ORD-AGENT")
    agent_sees_bars(agent)
    agent.page.reload()
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute(
        "data-state", "live", timeout=RECONNECT_DEADLINE_S * 1000
    )
    agent_sees_bars(agent, RECONNECT_DEADLINE_S)
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    with Session(live_server.app.state.engine) as db:
        calls = db.exec(select(Call).where(Call.order_ref == "ORD-AGENT")).all()
        kinds = [e.kind for e in db.exec(select(CallEvent).where(CallEvent.call_id == calls[0].id))]
    assert len(calls) == 1 and calls[0].state == "live"
    assert "reconnecting" in kinds and "resumed" in kinds
    buyer.assert_clean()


def test_after_a_reload_each_side_is_told_the_others_camera(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    # a damage check: the agent's camera is off, the buyer sees the agent's name
    agent, buyer, _ = start_call(live_server, open_participant, camera_browser, "ORD-TOLD")
    agent_sees_bars(agent)
    on_buyer = buyer.page.get_by_test_id("remote-placeholder")
    expect(on_buyer).to_be_visible()
    expect(on_buyer).to_contain_text("Aggie Agent")

    # the reloaded buyer page is told again that the agent's camera is off
    buyer.page.reload()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute(
        "data-state", "live", timeout=RECONNECT_DEADLINE_S * 1000
    )
    expect(on_buyer).to_be_visible()
    expect(on_buyer).to_contain_text("Aggie Agent")
    shoot(buyer.page, "reload-buyer-told-agent-camera-off")
    agent_sees_bars(agent, RECONNECT_DEADLINE_S)

    # the buyer turns the camera off; the reloaded console is told so
    buyer.page.get_by_test_id("camera-toggle").click()
    on_agent = agent.page.get_by_test_id("remote-placeholder")
    expect(on_agent).to_be_visible()
    agent.page.reload()
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute(
        "data-state", "live", timeout=RECONNECT_DEADLINE_S * 1000
    )
    expect(on_agent).to_be_visible()
    expect(on_agent).to_contain_text("The buyer's camera is off")
    shoot(agent.page, "reload-agent-told-buyer-camera-off", laptop=True)
    buyer.assert_clean()
    agent.assert_clean()
