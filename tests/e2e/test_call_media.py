"""A whole call in two real Chromium browsers through the server's forwarding relay:
the agent sees the buyer's camera picture, the buyer hears the agent, they chat, it ends."""

from __future__ import annotations

from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from server.models import Call
from tests.helpers.browser_steps import (
    COUNT_FRAMES_JS,
    SAMPLE_VIDEO_JS,
    agent_sees_bars,
    available_agent,
    colours_match,
    remote_video,
    start_call,
)
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.page_js import LISTEN_JS
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until
from tests.helpers.y4m import BARS_RGB, bar_centre


def test_agent_sees_the_buyers_camera_buyer_hears_the_agent_and_they_chat_and_end(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    _, link_url = make_link(live_server.app, "ORD-3003", "damage_verification", buyer_name="Bo")
    agent = available_agent(live_server, open_participant, "agent@shop.test", "Aggie Agent")

    buyer = open_participant("buyer", phone=True, on=camera_browser)
    buyer.page.goto(link_url)
    buyer.page.wait_for_url("**/call")
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")

    item = agent.page.get_by_test_id("queue-item")
    expect(item).to_have_count(1)
    item.get_by_test_id("accept").click()
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")

    # the agent's remote-video shows the buyer's picture: the four colour bars
    selector = remote_video(agent.page)
    points = [list(bar_centre(i)) for i in range(len(BARS_RGB))]
    last: dict = {}

    def picture_arrived() -> bool | dict:
        last["sample"] = agent.page.evaluate(SAMPLE_VIDEO_JS, [selector, points])
        return colours_match(last["sample"])

    try:
        wait_until(picture_arrived, 10, "the buyer's colour bars at the agent")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last sample {last.get('sample')}") from None
    assert last["sample"]["width"] >= 320

    # frames keep advancing, and the picture moves (the block crosses the bottom)
    agent.page.evaluate(COUNT_FRAMES_JS, selector)
    checksums = {last["sample"]["checksum"]}

    def frames_advanced() -> bool:
        checksums.add(agent.page.evaluate(SAMPLE_VIDEO_JS, [selector, points])["checksum"])
        return agent.page.evaluate("window.__framesPresented") >= 60 and len(checksums) >= 3

    wait_until(frames_advanced, 15, "60 presented frames with a moving picture at the agent")
    assert colours_match(agent.page.evaluate(SAMPLE_VIDEO_JS, [selector, points]))

    # the buyer hears the agent (Chromium's fake microphone beeps every second)
    buyer_video = remote_video(buyer.page)
    wait_until(
        lambda: buyer.page.evaluate(LISTEN_JS, buyer_video), 10, "an audio track at the buyer"
    )
    wait_until(lambda: buyer.page.evaluate("window.__loudest") > 0.05, 10, "audible agent audio")
    # the agent's camera is off in a damage check: the buyer sees the agent's name instead
    expect(buyer.page.get_by_test_id("remote-placeholder")).to_contain_text("Aggie Agent")

    buyer.page.get_by_test_id("chat-input").fill("The corner is crushed.")
    buyer.page.get_by_test_id("chat-send").click()
    expect(agent.page.get_by_test_id("chat-log")).to_contain_text("The corner is crushed.")
    agent.page.get_by_test_id("chat-input").fill("Please turn the box over.")
    agent.page.get_by_test_id("chat-send").click()
    expect(buyer.page.get_by_test_id("chat-log")).to_contain_text("Please turn the box over.")

    agent.page.get_by_test_id("end-call").click()
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()

    def stored_reason() -> str | None:
        with Session(live_server.app.state.engine) as db:
            call = db.exec(select(Call).where(Call.order_ref == "ORD-3003")).first()
            return call.end_reason if call else None

    assert wait_until(stored_reason, 5, "the stored end reason") == "agent_ended"
    agent.assert_clean()
    buyer.assert_clean()


def test_buyer_opening_the_link_on_another_device_moves_the_call_there_once_the_agent_agrees(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    agent, buyer, link_url = start_call(live_server, open_participant, camera_browser, "ORD-4")
    agent_sees_bars(agent)

    again = open_participant("buyer again", phone=True, on=camera_browser)
    again.page.goto(link_url)
    expect(again.page.get_by_test_id("device-pending")).to_be_visible()
    expect(agent.page.get_by_test_id("device-request")).to_be_visible()
    shoot(again.page, "buyer-device-pending")
    shoot(agent.page, "console-device-request")
    expect(buyer.page.get_by_test_id("live")).to_be_visible()  # not taken over yet
    agent.page.get_by_test_id("device-admit").click()
    expect(agent.page.get_by_test_id("device-request")).to_be_hidden()
    expect(again.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    expect(buyer.page.get_by_test_id("call-moved")).to_be_visible()
    expect(again.page.get_by_test_id("consent")).to_be_hidden()
    # the agent's picture now comes from the new page: a frame rendered after the move
    agent.page.evaluate(COUNT_FRAMES_JS, remote_video(agent.page))
    wait_until(
        lambda: agent.page.evaluate("window.__framesPresented") >= 30,
        10,
        "frames from the buyer's new page at the agent",
    )
    agent_sees_bars(agent)
    with Session(live_server.app.state.engine) as db:
        calls = db.exec(select(Call).where(Call.order_ref == "ORD-4")).all()
    assert len(calls) == 1 and calls[0].state == "live"
    legs = live_server.app.state.calls.media.legs()
    assert sorted(side for (_, side) in legs) == ["agent", "buyer"]
    agent.assert_clean()
    again.assert_clean()


def test_a_buyer_whose_camera_is_blocked_in_a_product_demo_still_joins_with_audio(
    live_server: LiveServer, open_participant: OpenParticipant, playwright
) -> None:
    """Only a damage check needs the buyer's camera: a demo buyer who turns the camera on
    and finds it blocked is told, and the call goes on."""
    from tests.helpers.chromium import CHROMIUM, CHROMIUM_ARGS

    # without the fake permission UI, a headless Chromium refuses camera access
    args = [a for a in CHROMIUM_ARGS if a != "--use-fake-ui-for-media-stream"]
    refusing = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    try:
        _, link_url = make_link(live_server.app, "ORD-5", "product_demo")
        buyer = open_participant("buyer", phone=True, on=refusing)
        buyer.context.grant_permissions(["microphone"])
        buyer.page.goto(link_url)
        buyer.page.get_by_test_id("consent-accept").click()
        expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
        wait_until(
            lambda: any(s == "buyer" for (_, s) in live_server.app.state.calls.media.legs()),
            10,
            "the buyer's audio-only connection at the server",
        )
        expect(buyer.page.get_by_test_id("camera-needed")).to_be_hidden()
    finally:
        refusing.close()
