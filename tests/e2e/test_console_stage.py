"""The console's large picture in real Chromium browsers: in a remote inspection the
agent shows the goods with their own camera, so while the buyer's camera is off the
agent's picture is the large one and the buyer's the tile; when the buyer turns their
camera on the buyer's picture takes the stage back; the swap button lets the agent choose
either way until then. A damage check keeps the buyer's picture large."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.helpers.browser_steps import available_agent
from tests.helpers.links import make_link
from tests.helpers.screens import LAPTOP, shoot

LAPTOP_ONLY = {"laptop": LAPTOP}


def width(page: Page, testid: str) -> float:
    box = page.get_by_test_id(testid).bounding_box()
    assert box is not None
    return box["width"]


def test_an_inspection_shows_the_agents_camera_large_while_the_buyers_is_off(
    live_server, open_participant
):
    _, url = make_link(live_server.app, "ORD-STAGE", "remote_inspection")
    agent = available_agent(live_server, open_participant, "stage@shop.test", "Stage Agent")
    agent.page.set_viewport_size(LAPTOP)
    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(url)
    buyer.page.get_by_test_id("consent-accept").click()
    agent.page.get_by_test_id("accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    console = agent.page
    videos = console.locator("#call-view .videos")

    # the agent's camera is on, the buyer's off: the goods fill the stage
    expect(console.get_by_test_id("camera-toggle")).to_have_text("Stop camera")
    expect(videos).to_have_attribute("data-main", "local")
    expect(console.get_by_test_id("stage-swap")).to_have_text("Show the buyer large")
    assert width(console, "local-video") > 2 * width(console, "remote-video")
    shoot(console, "console-stage-inspection-own-large", sizes=LAPTOP_ONLY)

    # the agent swaps: the buyer's (empty) picture is large, the goods in the tile
    console.get_by_test_id("stage-swap").click()
    expect(videos).to_have_attribute("data-main", "remote")
    expect(console.get_by_test_id("stage-swap")).to_have_text("Show my camera large")
    assert width(console, "remote-video") > 2 * width(console, "local-video")
    shoot(console, "console-stage-inspection-swapped", sizes=LAPTOP_ONLY)
    console.get_by_test_id("stage-swap").click()
    expect(videos).to_have_attribute("data-main", "local")

    # with the agent's camera off there is nothing of their own to enlarge
    console.get_by_test_id("camera-toggle").click()
    expect(console.get_by_test_id("camera-toggle")).to_have_text("Start camera")
    expect(videos).to_have_attribute("data-main", "remote")
    expect(console.get_by_test_id("stage-swap")).to_be_hidden()
    console.get_by_test_id("camera-toggle").click()
    expect(videos).to_have_attribute("data-main", "local")

    # the buyer turns their camera on: their picture takes the stage back
    buyer.page.get_by_test_id("camera-toggle").click()
    expect(buyer.page.get_by_test_id("camera-toggle")).to_have_text("Stop camera")
    expect(console.get_by_test_id("remote-placeholder")).to_be_hidden()
    expect(videos).to_have_attribute("data-main", "remote")
    shoot(console, "console-stage-inspection-buyer-camera-on", sizes=LAPTOP_ONLY)


def test_a_damage_check_keeps_the_buyers_camera_large(live_server, open_participant):
    _, url = make_link(live_server.app, "ORD-STAGE-D", "damage_verification")
    agent = available_agent(live_server, open_participant, "staged@shop.test", "Stage D")
    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(url)
    buyer.page.get_by_test_id("consent-accept").click()
    agent.page.get_by_test_id("accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    videos = agent.page.locator("#call-view .videos")
    expect(agent.page.get_by_test_id("remote-placeholder")).to_be_hidden()
    expect(videos).to_have_attribute("data-main", "remote")
    # the agent starts their camera: the buyer's picture stays the large one
    agent.page.get_by_test_id("camera-toggle").click()
    expect(agent.page.get_by_test_id("camera-toggle")).to_have_text("Stop camera")
    expect(videos).to_have_attribute("data-main", "remote")
    expect(agent.page.get_by_test_id("stage-swap")).to_be_visible()
