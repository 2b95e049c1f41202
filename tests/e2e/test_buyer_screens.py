"""The buyer's call screen in real Chromium, state by state: the camera large in a damage
check with the controls, chat and the recording mark on screen (down to 320x568), the
photo warning and flash, the agent's torch and zoom requests, a blocked or missing camera,
honest waiting, the end confirmation and a reopened link, switching between two cameras
and a blocked microphone. Each state is saved as a screenshot (tests/helpers/screens.py)
and checked by axe-core (tests/helpers/axe.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, expect
from sqlmodel import Session, select

from server.models import Call
from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import (
    available_agent,
    buyer_ends_call,
    go_available,
    sign_in,
    start_call,
)
from tests.helpers.chromium import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OpenParticipant,
    new_participant,
    open_with_camera_zoom,
)
from tests.helpers.links import make_link
from tests.helpers.screens import OUT, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import page_pause, wait_until

SMALL_PHONE = {"width": 320, "height": 568}

# (testid) -> the element's box and the viewport, or null when it is not laid out
BOX_JS = """(testid) => {
  const node = document.querySelector(`[data-testid="${testid}"]`);
  if (!node || !node.getClientRects().length) return null;
  const b = node.getBoundingClientRect();
  return {left: b.left, top: b.top, right: b.right, bottom: b.bottom,
          width: b.width, height: b.height,
          vw: document.documentElement.clientWidth, vh: window.innerHeight};
}"""

VISIBLE_H1_JS = """() => [...document.querySelectorAll("h1")]
  .filter((h) => h.getClientRects().length).map((h) => h.textContent.trim())"""

ZOOM_SETTING_JS = """() => {
  const video = document.querySelector('[data-testid="local-video"]');
  const track = video.srcObject && video.srcObject.getVideoTracks()[0];
  return track ? track.getSettings().zoom ?? null : null;
}"""


# (testid) -> the part of the viewport the video's picture covers (0-1), as it is drawn:
# the frame (videoWidth x videoHeight) scaled and placed in the element's box by its
# object-fit and object-position, clipped to the box and the viewport; null without a frame
PICTURE_SHARE_JS = """(testid) => {
  const video = document.querySelector(`[data-testid="${testid}"]`);
  if (!video || !video.getClientRects().length || !video.videoWidth) return null;
  const box = video.getBoundingClientRect();
  const style = getComputedStyle(video);
  const w = video.videoWidth, h = video.videoHeight;
  const contain = Math.min(box.width / w, box.height / h);
  const scale = { contain, cover: Math.max(box.width / w, box.height / h), none: 1,
                  "scale-down": Math.min(1, contain) }[style.objectFit];
  const width = scale === undefined ? box.width : w * scale;  // fill
  const height = scale === undefined ? box.height : h * scale;
  const place = (value, free) => value.endsWith("%") ? free * parseFloat(value) / 100
                                                     : parseFloat(value);
  const [px, py] = style.objectPosition.split(" ");
  const left = box.left + place(px, box.width - width);
  const top = box.top + place(py, box.height - height);
  const vw = document.documentElement.clientWidth, vh = window.innerHeight;
  const x = Math.min(left + width, box.right, vw) - Math.max(left, box.left, 0);
  const y = Math.min(top + height, box.bottom, vh) - Math.max(top, box.top, 0);
  return Math.max(0, x) * Math.max(0, y) / (vw * vh);
}"""

# what the buyer's camera track itself offers
CAPABILITIES_JS = """() => {
  const video = document.querySelector('[data-testid="local-video"]');
  const caps = video.srcObject.getVideoTracks()[0].getCapabilities();
  return {torch: "torch" in caps, zoom: "zoom" in caps};
}"""

# the label of the camera now on the buyer's own picture, and whether the call sends it
LOCAL_CAMERA_JS = """() => {
  const video = document.querySelector('[data-testid="local-video"]');
  const track = video.srcObject && video.srcObject.getVideoTracks()[0];
  return track ? { label: track.label, deviceId: track.getSettings().deviceId } : null;
}"""

# the cameras the page may list now: [labelled, unlabelled]
LISTED_CAMERAS_JS = """async () => {
  const cams = (await navigator.mediaDevices.enumerateDevices())
    .filter((d) => d.kind === "videoinput");
  return [cams.filter((d) => d.label).length, cams.filter((d) => !d.label).length];
}"""


def picture_share(page: Page, testid: str) -> float:
    """The part of the viewport the video's drawn picture covers (0-1; 0 without a frame)."""
    return page.evaluate(PICTURE_SHARE_JS, testid) or 0.0


def share_of_viewport(page: Page, testid: str) -> float:
    """The part of the viewport the element covers (0-1)."""
    box = page.evaluate(BOX_JS, testid)
    assert box is not None, f"{testid} is not laid out"
    width = max(0.0, min(box["right"], box["vw"]) - max(box["left"], 0))
    height = max(0.0, min(box["bottom"], box["vh"]) - max(box["top"], 0))
    return width * height / (box["vw"] * box["vh"])


def inside_viewport(page: Page, testid: str) -> bool:
    box = page.evaluate(BOX_JS, testid)
    return (
        box is not None
        and box["width"] > 0
        and box["left"] >= 0
        and box["top"] >= 0
        and box["right"] <= box["vw"] + 0.5
        and box["bottom"] <= box["vh"] + 0.5
    )


def one_h1(page: Page) -> None:
    """The page shows exactly one h1 (hidden screens are not shown)."""
    headings = page.evaluate(VISIBLE_H1_JS)
    assert len(headings) == 1, headings


def snap(page: Page, name: str) -> None:
    """A screenshot at the page's current size (for a state that lasts a moment)."""
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"))


def calls_of(live_server: LiveServer, order_ref: str) -> list[Call]:
    with Session(live_server.app.state.engine) as db:
        return list(db.exec(select(Call).where(Call.order_ref == order_ref)))


@pytest.fixture
def refusing_browser(playwright: Playwright) -> Iterator[Browser]:
    """A Chromium without the fake permission UI: what a context does not grant, a page
    is refused (a real NotAllowedError)."""
    args = [a for a in CHROMIUM_ARGS if a != "--use-fake-ui-for-media-stream"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    yield browser
    browser.close()


@pytest.fixture
def two_camera_browser(playwright: Playwright) -> Iterator[Browser]:
    """A Chromium with two fake cameras (fake_device_0 and fake_device_1) and without the
    fake permission UI: a page sees the cameras' names only once it is allowed them."""
    args = [
        a
        for a in CHROMIUM_ARGS
        if a not in ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")
    ]
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*args, "--use-fake-device-for-media-stream=device-count=2"],
    )
    yield browser
    browser.close()


@pytest.fixture
def cameraless_browser(playwright: Playwright) -> Iterator[Browser]:
    """A Chromium whose fake devices have a microphone and no camera (NotFoundError)."""
    args = [a for a in CHROMIUM_ARGS if a != "--use-fake-device-for-media-stream"]
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*args, "--use-fake-device-for-media-stream=device-count=0"],
    )
    yield browser
    browser.close()


def test_damage_check_the_buyers_camera_fills_the_screen_with_chat_end_and_recording_on_it(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    agent, buyer, link_url = start_call(live_server, open_participant, camera_browser, "ORD-LIVE")
    page = buyer.page
    expect(page.get_by_test_id("recording-indicator")).to_be_visible()
    expect(page.get_by_test_id("recording-indicator")).to_have_text("Recording")
    expect(page.get_by_test_id("remote-placeholder")).to_contain_text("Aggie Agent")
    expect(page.get_by_test_id("local-video")).to_be_visible()
    one_h1(page)

    # at 390x844 the buyer's own picture (not only its element) takes most of the screen;
    # the agent is a tile
    wait_until(lambda: picture_share(page, "local-video") >= 0.6, 5, "a large own picture")
    assert share_of_viewport(page, "remote-placeholder") < 0.1
    for testid in ("end-call", "chat-input", "mute", "recording-indicator"):
        assert inside_viewport(page, testid), testid

    # chat: the buyer's own lines say "You"; hidden, the agent's lines count as unread
    page.get_by_test_id("chat-input").fill("The corner is crushed.")
    page.get_by_test_id("chat-send").click()
    expect(page.get_by_test_id("chat-log")).to_contain_text("You: The corner is crushed.")
    page.get_by_test_id("chat-toggle").click()
    expect(page.get_by_test_id("chat-log")).to_be_hidden()
    agent.page.get_by_test_id("chat-input").fill("Please turn the box over.")
    agent.page.get_by_test_id("chat-send").click()
    expect(page.get_by_test_id("chat-unread")).to_have_text("1 new")
    snap(page, "buyer-live-chat-unread-phone")
    page.get_by_test_id("chat-toggle").click()
    expect(page.get_by_test_id("chat-unread")).to_be_hidden()
    expect(page.get_by_test_id("chat-log")).to_contain_text("Aggie Agent: Please turn the box")
    assert_no_serious_violations(page, "the live damage check")
    shoot(page, "buyer-live-damage")

    # the smallest phone: End and the chat input still on screen, the camera still largest
    page.set_viewport_size(SMALL_PHONE)
    wait_until(lambda: page.evaluate("window.innerWidth") == 320, 5, "the 320 px layout")
    for testid in ("end-call", "chat-input", "chat-send", "recording-indicator"):
        assert inside_viewport(page, testid), testid
    assert picture_share(page, "local-video") >= 0.5
    snap(page, "buyer-live-damage-320x568")
    page.set_viewport_size({"width": 390, "height": 844})

    # a photo: first the warning, then a flash of what was taken, then it is sent
    agent.page.get_by_test_id("capture").click()
    expect(page.get_by_test_id("photo-warning")).to_be_visible()
    expect(page.get_by_test_id("photo-warning")).to_contain_text("Hold still")
    expect(page.get_by_test_id("photo-flash")).to_be_hidden()  # the warning comes first
    assert_no_serious_violations(page, "the photo warning")
    snap(page, "buyer-photo-warning-phone")
    expect(page.get_by_test_id("photo-flash")).to_be_visible()
    expect(page.get_by_test_id("photo-warning")).to_be_hidden()
    assert_no_serious_violations(page, "the photo flash")
    snap(page, "buyer-photo-flash-phone")
    expect(page.get_by_test_id("photo-notice")).to_contain_text("sent to the agent")
    expect(agent.page.get_by_test_id("evidence-item")).to_have_count(1, timeout=10_000)

    # ending asks first; "Keep talking" keeps the call
    page.get_by_test_id("end-call").click()
    expect(page.get_by_test_id("end-dialog")).to_be_visible()
    assert_no_serious_violations(page, "the end confirmation")
    snap(page, "buyer-end-confirm-phone")
    page.get_by_test_id("end-cancel").click()
    expect(page.get_by_test_id("end-dialog")).to_be_hidden()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    buyer_ends_call(page)
    expect(page.get_by_test_id("call-ended")).to_be_visible()
    next_step = page.get_by_test_id("call-ended-next")
    expect(next_step).to_have_text(
        "What happens next: Test Shop decides on your case for order ORD-LIVE and writes to "
        "you within 2 working days. You can close this page."
    )
    expect(page.get_by_test_id("call-ended-link")).to_be_hidden()  # answered, calls left
    one_h1(page)
    assert_no_serious_violations(page, "the ended call")
    shoot(page, "buyer-ended-damage")
    assert wait_until(
        lambda: calls_of(live_server, "ORD-LIVE")[0].end_reason, 5, "the stored end"
    ) == ("buyer_ended")

    # reopening the link shows how the call ended, not a fresh start
    page.goto(link_url)
    expect(page.get_by_test_id("call-ended")).to_be_visible()
    expect(page.get_by_test_id("consent")).to_be_hidden()
    expect(page.get_by_test_id("call-ended-text")).to_contain_text("This call ended on")
    expect(page.get_by_test_id("call-ended-next")).to_contain_text("decides on your case")
    assert page.request.get("/api/buyer/context").json()["calls_left"] == 2
    expect(page.get_by_test_id("call-ended-link")).to_be_hidden()
    expect(page.get_by_test_id("call-again")).to_be_visible()  # 2 of the link's 3 calls left
    assert_no_serious_violations(page, "the reopened link")
    shoot(page, "buyer-reopened-ended")
    page.get_by_test_id("call-again").click()
    expect(page.get_by_test_id("consent")).to_be_visible()
    agent.assert_clean()
    buyer.assert_clean()


def test_zoom_shows_where_the_camera_has_it_and_the_agents_requests_are_applied_or_refused(
    live_server: LiveServer, open_participant: OpenParticipant, browser: Browser
) -> None:
    # Chromium's own fake camera (not the clip camera: a file-fed camera has no zoom)
    _, link_url = make_link(live_server.app, "ORD-ZOOM", "damage_verification")
    agent = available_agent(live_server, open_participant, "zoom@shop.test", "Zed Agent")
    buyer = open_with_camera_zoom(browser, link_url, lambda: open_participant("buyer", phone=True))
    page = buyer.page
    page.get_by_test_id("consent-accept").click()
    agent.page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")

    # Chromium's fake camera has zoom (100-400) once pan-tilt-zoom is allowed, no torch:
    # the zoom control shows, the torch button (labelled by the page) stays hidden
    capabilities = page.evaluate(CAPABILITIES_JS)
    assert capabilities == {"torch": False, "zoom": True}, capabilities
    expect(page.get_by_test_id("zoom")).to_be_visible()
    expect(page.get_by_test_id("zoom-value")).to_have_text("Zoom 1×")
    torch = page.get_by_test_id("torch")
    expect(torch).to_have_text("Turn light on")  # rendered, not the bare markup
    expect(torch).to_be_hidden()
    expect(torch).not_to_have_attribute("aria-pressed", re.compile(".*"))

    ask = agent.page.get_by_test_id("camera-requests")
    ask.get_by_test_id("ask-zoom-level").select_option("2")
    ask.get_by_test_id("ask-zoom").click()
    status = ask.get_by_test_id("camera-request-status")
    expect(status).to_have_text("Zoom 2×: done.")
    assert wait_until(lambda: page.evaluate(ZOOM_SETTING_JS) == 200, 5, "the camera at 2×")
    expect(page.get_by_test_id("zoom-value")).to_have_text("Zoom 2×")
    expect(page.get_by_test_id("camera-status")).to_contain_text("zoomed your camera to 2×")
    assert_no_serious_violations(page, "the zoom control")
    shoot(page, "buyer-live-zoom")

    # the buyer's own slider: the camera follows
    page.get_by_test_id("zoom-input").fill("300")
    wait_until(lambda: page.evaluate(ZOOM_SETTING_JS) == 300, 5, "the camera at 3×")
    expect(page.get_by_test_id("zoom-value")).to_have_text("Zoom 3×")

    # no torch on this camera: the agent is told it cannot
    ask.get_by_test_id("ask-torch").click()
    expect(status).to_have_text("Light on: the buyer's camera cannot do that.")
    expect(status).to_have_attribute("data-result", "not_supported")
    expect(page.get_by_test_id("camera-status")).to_contain_text("cannot do")

    # with the camera off, a zoom is answered "camera off"; the button says what it does
    toggle = page.get_by_test_id("camera-toggle")
    expect(toggle).to_have_text("Stop camera")
    expect(toggle).not_to_have_attribute("aria-pressed", re.compile(".*"))
    toggle.click()
    expect(toggle).to_have_text("Start camera")
    expect(toggle).not_to_have_attribute("aria-pressed", re.compile(".*"))
    expect(page.get_by_test_id("local-video")).to_be_hidden()
    expect(page.get_by_test_id("zoom")).to_be_hidden()
    ask.get_by_test_id("ask-zoom").click()
    expect(status).to_have_text("Zoom 2×: the buyer's camera is off.")
    agent.assert_clean()
    buyer.assert_clean()


def test_without_pan_tilt_zoom_no_camera_control_shows_and_the_agent_hears_it_cannot(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    agent, buyer, _ = start_call(live_server, open_participant, camera_browser, "ORD-PLAIN")
    page = buyer.page
    expect(page.get_by_test_id("local-video")).to_be_visible()
    expect(page.get_by_test_id("zoom")).to_be_hidden()
    expect(page.get_by_test_id("torch")).to_be_hidden()
    ask = agent.page.get_by_test_id("camera-requests")
    ask.get_by_test_id("ask-zoom").click()
    status = ask.get_by_test_id("camera-request-status")
    expect(status).to_have_text("Zoom 2×: the buyer's camera cannot do that.")
    ask.get_by_test_id("ask-torch").click()
    expect(status).to_have_text("Light on: the buyer's camera cannot do that.")
    assert page.evaluate(ZOOM_SETTING_JS) is None
    agent.assert_clean()
    buyer.assert_clean()


def test_a_blocked_camera_in_a_damage_check_blocks_with_how_to_allow_it_and_retry_joins(
    live_server: LiveServer, open_participant: OpenParticipant, refusing_browser: Browser
) -> None:
    _, link_url = make_link(live_server.app, "ORD-DENIED", "damage_verification")
    buyer = open_participant("buyer", phone=True, on=refusing_browser)
    buyer.context.grant_permissions(["microphone"])
    page = buyer.page
    page.goto(link_url)
    expect(page.get_by_test_id("camera-why")).to_contain_text("needs the camera to see the damage")
    page.get_by_test_id("consent-accept").click()

    blocked = page.get_by_test_id("camera-needed")
    expect(blocked).to_be_visible()
    expect(blocked).to_have_attribute("data-reason", "denied")
    expect(page.get_by_test_id("camera-needed-text")).to_contain_text("blocked the camera")
    expect(page.get_by_test_id("camera-help")).to_contain_text("Chrome")
    expect(page.get_by_test_id("camera-retry")).to_be_visible()
    expect(page.get_by_test_id("notice")).to_be_hidden()  # no "audio only" notice on top
    one_h1(page)
    assert_no_serious_violations(page, "a blocked camera")
    shoot(page, "buyer-camera-denied")
    # not in the line: no call was started
    assert calls_of(live_server, "ORD-DENIED") == []
    assert live_server.app.state.calls.switchboard.queued() == []

    # the buyer allows the camera and tries again: now in the line
    buyer.context.grant_permissions(["camera", "microphone"])
    page.get_by_test_id("camera-retry").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    expect(page.get_by_test_id("waiting-preview")).to_be_visible()
    assert len(live_server.app.state.calls.switchboard.queued()) == 1
    buyer.problems[:] = [p for p in buyer.problems if "Permission" not in p]
    buyer.assert_clean()


def test_a_blocked_microphone_in_a_damage_check_lets_the_buyer_show_the_damage_and_chat(
    live_server: LiveServer, open_participant: OpenParticipant, refusing_browser: Browser
) -> None:
    _, link_url = make_link(live_server.app, "ORD-NOMIC", "damage_verification")
    agent = available_agent(live_server, open_participant, "mic@shop.test", "Mia Agent")
    buyer = open_participant("buyer", phone=True, on=refusing_browser)
    buyer.context.grant_permissions(["camera"])  # the microphone is refused
    page = buyer.page
    page.goto(link_url)
    page.get_by_test_id("consent-accept").click()

    # not the camera's help: in the line with the camera, told what the microphone means
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    expect(page.get_by_test_id("camera-needed")).to_be_hidden()
    expect(page.get_by_test_id("waiting-preview")).to_be_visible()
    notice = page.get_by_test_id("notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Microphone: access was blocked")
    expect(notice).to_contain_text("the agent sees your camera but cannot hear you")
    expect(notice).to_contain_text("chat")
    expect(notice).not_to_contain_text("Camera:")
    assert len(live_server.app.state.calls.switchboard.queued()) == 1
    assert_no_serious_violations(page, "waiting with a blocked microphone")
    shoot(page, "buyer-microphone-denied-waiting")

    # live: the agent sees the buyer's camera; no microphone to mute; the chat works
    agent.page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("local-video")).to_be_visible()
    expect(page.get_by_test_id("mute")).to_be_disabled()
    wait_until(
        lambda: agent.page.evaluate(
            "document.querySelector('[data-testid=call-view] [data-testid=remote-video]')"
            ".videoWidth > 0"
        ),
        10,
        "the buyer's picture at the agent",
    )
    page.get_by_test_id("chat-input").fill("My microphone is broken.")
    page.get_by_test_id("chat-send").click()
    expect(agent.page.get_by_test_id("chat-log")).to_contain_text("My microphone is broken.")
    assert_no_serious_violations(page, "a live call with a blocked microphone")
    shoot(page, "buyer-microphone-denied-live")
    buyer.problems[:] = [p for p in buyer.problems if "Permission" not in p]
    agent.assert_clean()
    buyer.assert_clean()


def test_a_first_time_buyer_with_two_cameras_can_switch_between_them(
    live_server: LiveServer, open_participant: OpenParticipant, two_camera_browser: Browser
) -> None:
    _, link_url = make_link(live_server.app, "ORD-TWOCAM", "damage_verification")
    agent = available_agent(live_server, open_participant, "two@shop.test", "Tess Agent")
    buyer = open_participant("buyer", phone=True, on=two_camera_browser)
    page = buyer.page
    page.goto(link_url)
    expect(page.get_by_test_id("consent")).to_be_visible()
    # a first visit: before the permission the page is shown one nameless camera at most
    labelled, nameless = page.evaluate(LISTED_CAMERAS_JS)
    assert labelled == 0 and nameless <= 1, (labelled, nameless)

    buyer.context.grant_permissions(["camera", "microphone"])  # the buyer taps "Allow"
    page.get_by_test_id("consent-accept").click()
    agent.page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    switch = page.get_by_test_id("camera-switch")
    expect(switch).to_be_visible()
    assert_no_serious_violations(page, "a live call with two cameras")
    shoot(page, "buyer-live-two-cameras")
    # the smallest phone: with "Switch camera" too, every control is still on screen
    page.set_viewport_size(SMALL_PHONE)
    wait_until(lambda: page.evaluate("window.innerWidth") == 320, 5, "the 320 px layout")
    for testid in ("mute", "camera-toggle", "camera-switch", "end-call", "chat-input"):
        assert inside_viewport(page, testid), testid
    snap(page, "buyer-live-two-cameras-320x568")
    page.set_viewport_size({"width": 390, "height": 844})
    first = wait_until(lambda: page.evaluate(LOCAL_CAMERA_JS), 5, "the buyer's camera")

    switch.click()
    second = wait_until(
        lambda: (
            (now := page.evaluate(LOCAL_CAMERA_JS)) and now["deviceId"] != first["deviceId"] and now
        ),
        5,
        "the other camera",
    )
    assert {first["label"], second["label"]} == {"fake_device_0", "fake_device_1"}
    expect(page.get_by_test_id("local-video")).to_be_visible()
    switch.click()
    wait_until(
        lambda: page.evaluate(LOCAL_CAMERA_JS)["deviceId"] == first["deviceId"],
        5,
        "the first camera again",
    )
    buyer.problems[:] = [p for p in buyer.problems if "Permission" not in p]
    agent.assert_clean()
    buyer.assert_clean()


def test_a_device_without_a_camera_cannot_join_a_damage_check(
    live_server: LiveServer, open_participant: OpenParticipant, cameraless_browser: Browser
) -> None:
    _, link_url = make_link(live_server.app, "ORD-NOCAM", "damage_verification")
    buyer = open_participant("buyer", phone=True, on=cameraless_browser)
    page = buyer.page
    page.goto(link_url)
    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("camera-needed")).to_have_attribute("data-reason", "no-device")
    expect(page.get_by_test_id("camera-needed-text")).to_contain_text("No camera was found")
    expect(page.get_by_test_id("camera-help")).to_be_hidden()
    assert_no_serious_violations(page, "a missing camera")
    shoot(page, "buyer-camera-missing")
    page.get_by_test_id("camera-retry").click()
    expect(page.get_by_test_id("camera-needed")).to_be_visible()
    assert calls_of(live_server, "ORD-NOCAM") == []
    buyer.assert_clean()


def test_a_product_demo_shows_the_agents_camera_large_and_says_so_before_consent(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    _, link_url = make_link(live_server.app, "ORD-DEMO", "product_demo")
    agent = available_agent(
        live_server, open_participant, "demo@shop.test", "Dee Agent", on=camera_browser
    )
    buyer = open_participant("buyer", phone=True)
    page = buyer.page
    page.goto(link_url)
    expect(page.get_by_test_id("consent-title")).to_have_text("See the product live")
    expect(page.get_by_test_id("consent-what")).not_to_contain_text("problem")
    expect(page.get_by_test_id("consent-what")).to_contain_text("Your camera stays off")
    expect(page.get_by_test_id("camera-why")).to_contain_text("microphone")
    assert_no_serious_violations(page, "a demo's consent")
    shoot(page, "buyer-consent-demo")
    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("waiting-hint")).to_contain_text("You hear the agent")
    expect(page.get_by_test_id("waiting-ready")).to_have_text(
        "Think of the questions you want to ask about the product."
    )
    agent.page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("live")).to_have_attribute("data-main", "remote")
    expect(page.get_by_test_id("local-video")).to_be_hidden()  # the buyer's camera is off
    wait_until(lambda: share_of_viewport(page, "agent-video") >= 0.6, 5, "a large agent camera")
    wait_until(
        lambda: page.evaluate("document.querySelector('[data-testid=agent-video]').videoWidth > 0"),
        10,
        "the agent's picture",
    )
    assert_no_serious_violations(page, "a live demo")
    shoot(page, "buyer-live-demo")

    # a demo decides nothing: thanks, and how to reach the shop again
    buyer_ends_call(page)
    expect(page.get_by_test_id("call-ended-next")).to_have_text(
        "Thank you for your time. If you have more questions about the product, contact "
        "Test Shop the way you reached them before."
    )
    expect(page.get_by_test_id("call-ended-link")).to_be_hidden()
    one_h1(page)
    assert_no_serious_violations(page, "a demo's end")
    shoot(page, "buyer-ended-demo")
    agent.assert_clean()
    buyer.assert_clean()


def test_an_inspection_link_speaks_of_the_goods_not_of_a_problem(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    _, link_url = make_link(live_server.app, "ORD-INSP", "remote_inspection", buyer_name="Ines")
    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(link_url)
    expect(buyer.page.get_by_test_id("consent")).to_be_visible()
    expect(buyer.page.get_by_test_id("consent-greeting")).to_have_text("Hello Ines,")
    expect(buyer.page.get_by_test_id("consent-title")).to_have_text(
        "Inspect the goods before they ship"
    )
    expect(buyer.page.get_by_test_id("consent-what")).to_contain_text("the goods of order ORD-INSP")
    expect(buyer.page.get_by_test_id("consent-what")).not_to_contain_text("problem")
    one_h1(buyer.page)
    assert_no_serious_violations(buyer.page, "an inspection's consent")
    shoot(buyer.page, "buyer-consent-inspection")
    buyer.assert_clean()


def test_an_inspection_on_a_one_call_link_says_what_follows_and_offers_no_new_call(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    _, link_url = make_link(live_server.app, "ORD-ONCE", "remote_inspection", max_calls=1)
    agent = available_agent(
        live_server, open_participant, "insp@shop.test", "Ivo Agent", on=camera_browser
    )
    buyer = open_participant("buyer", phone=True)
    page = buyer.page
    page.goto(link_url)
    assert page.request.get("/api/buyer/context").json()["calls_left"] == 1
    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("waiting-ready")).to_have_text(
        "Please have the goods ready to show."
    )
    agent.page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    buyer_ends_call(page)

    used_up = "This link cannot start another call. Please ask Test Shop for a new link."
    expect(page.get_by_test_id("call-ended-next")).to_have_text(
        "What happens next: Test Shop sends order ORD-ONCE to you, or writes to you within "
        "2 working days if something is wrong. You can close this page."
    )
    expect(page.get_by_test_id("call-ended-link")).to_have_text(used_up)
    one_h1(page)
    assert_no_serious_violations(page, "an inspection's end")
    shoot(page, "buyer-ended-inspection")

    # reopened: how it ended and that the link is used up, no "Start a new call"
    page.goto(link_url)
    expect(page.get_by_test_id("call-ended")).to_be_visible()
    expect(page.get_by_test_id("call-ended-text")).to_contain_text("This call ended on")
    expect(page.get_by_test_id("call-ended-next")).to_contain_text("sends order ORD-ONCE")
    expect(page.get_by_test_id("call-ended-link")).to_have_text(used_up)
    expect(page.get_by_test_id("call-again")).to_be_hidden()
    context = page.request.get("/api/buyer/context").json()
    assert context["calls_left"] == 0 and context["last_call"]["answered"] is True
    one_h1(page)
    assert_no_serious_violations(page, "a used-up link reopened")
    shoot(page, "buyer-reopened-used-up")
    agent.assert_clean()
    buyer.assert_clean()


@pytest.mark.parametrize("max_calls", [1, None])
def test_leaving_the_line_offers_to_wait_again_only_where_the_link_has_a_call_left(
    live_server: LiveServer, open_participant: OpenParticipant, max_calls: int | None
) -> None:
    order = f"ORD-LEFT-{max_calls or 'N'}"
    _, link_url = make_link(live_server.app, order, "product_demo", max_calls=max_calls)
    buyer = open_participant("buyer", phone=True)
    page = buyer.page
    page.goto(link_url)
    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("waiting")).to_be_visible()
    page.get_by_test_id("leave-queue").click()
    expect(page.get_by_test_id("left-queue")).to_be_visible()
    used_up = "This link cannot start another call. Please ask Test Shop for a new link."
    if max_calls == 1:
        expect(page.get_by_test_id("left-link")).to_have_text(used_up)
        expect(page.get_by_test_id("rejoin")).to_be_hidden()
        expect(page.get_by_test_id("left-text")).to_be_hidden()
        one_h1(page)
        assert_no_serious_violations(page, "left the line of a used-up link")
        shoot(page, "buyer-left-used-up")
        # reopened: not the consent screen a used-up link cannot act on
        page.goto(link_url)
        expect(page.get_by_test_id("call-ended")).to_be_visible()
        expect(page.get_by_test_id("consent")).to_be_hidden()
        expect(page.get_by_test_id("call-ended-link")).to_have_text(used_up)
        expect(page.get_by_test_id("call-again")).to_be_hidden()
        assert_no_serious_violations(page, "a used-up link reopened after leaving the line")
    else:
        expect(page.get_by_test_id("rejoin")).to_be_visible()
        expect(page.get_by_test_id("left-text")).to_be_visible()
        expect(page.get_by_test_id("left-link")).to_be_hidden()
        page.get_by_test_id("rejoin").click()
        expect(page.get_by_test_id("waiting")).to_be_visible()
    buyer.assert_clean()


@pytest.mark.parametrize(
    ("purpose", "max_calls", "ready"),
    [
        ("damage_verification", None, "Please have the parcel and its shipping label ready"),
        ("remote_inspection", None, "Please have the goods ready to show."),
        ("product_demo", 1, "Think of the questions you want to ask about the product."),
    ],
)
def test_a_call_nobody_answered_says_nobody_saw_it_and_what_to_do(
    server_factory: Callable[..., LiveServer],
    camera_browser: Browser,
    purpose: str,
    max_calls: int | None,
    ready: str,
) -> None:
    server = server_factory(max_wait_s=8.0)
    order = f"ORD-NONE-{purpose[:4].upper()}"
    _, link_url = make_link(server.app, order, purpose, max_calls=max_calls)
    buyer = new_participant(camera_browser, server.url, "buyer", phone=True)
    try:
        page = buyer.page
        page.goto(link_url)
        page.get_by_test_id("consent-accept").click()
        expect(page.get_by_test_id("waiting")).to_be_visible()
        expect(page.get_by_test_id("waiting-ready")).to_contain_text(ready)
        one_h1(page)
        assert_no_serious_violations(page, f"waiting for a {purpose}")
        shoot(page, f"buyer-waiting-{purpose}")

        ended = page.get_by_test_id("call-ended")
        expect(ended).to_be_visible(timeout=20_000)
        expect(page.get_by_test_id("call-ended-text")).to_have_text(
            "Nobody could answer in time, sorry."
        )
        next_step = page.get_by_test_id("call-ended-next")
        expect(next_step).to_have_text("Nobody at Test Shop saw this call.")
        link_line = page.get_by_test_id("call-ended-link")
        if max_calls == 1:  # its one call is spent: no coming back through this link
            expect(link_line).to_have_text(
                "This link cannot start another call. Please ask Test Shop for a new link."
            )
        else:
            expect(link_line).to_have_text("You can try again later: open the same link again.")
        expect(page.get_by_test_id("call-again")).to_be_hidden()
        one_h1(page)
        assert_no_serious_violations(page, f"an unanswered {purpose}")
        shoot(page, f"buyer-ended-unanswered-{purpose}")

        # reopened: the same, and a new call where the link has one left
        page.goto(link_url)
        expect(ended).to_be_visible()
        expect(next_step).to_have_text("Nobody at Test Shop saw this call.")
        context = page.request.get("/api/buyer/context").json()
        assert context["last_call"]["answered"] is False
        if max_calls == 1:
            assert context["calls_left"] == 0
            expect(page.get_by_test_id("call-again")).to_be_hidden()
            expect(link_line).to_contain_text("cannot start another call")
        else:
            assert context["calls_left"] == 2
            expect(page.get_by_test_id("call-again")).to_be_visible()
            expect(link_line).to_be_hidden()
        assert_no_serious_violations(page, f"an unanswered {purpose} reopened")
        buyer.assert_clean()
    finally:
        buyer.context.close()


def test_waiting_shows_the_time_waited_and_promises_no_wait_while_nobody_is_available(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "away@shop.test", "agent", "Away Agent")
    _, link_url = make_link(live_server.app, "ORD-WAIT", "damage_verification")
    agent = open_participant("agent")
    sign_in(agent.page, "away@shop.test")  # online, but away: nobody available
    expect(agent.page.get_by_test_id("availability")).to_have_attribute("data-state", "away")
    buyer = open_participant("buyer", phone=True)
    page = buyer.page
    held: list[Route] = []
    page.route("**/api/buyer/context", lambda route: held.append(route))
    page.goto(link_url, wait_until="domcontentloaded")
    wait_until(lambda: bool(held), 5, "the page to ask for its context", pause=page_pause(page))
    expect(page.get_by_test_id("loading")).to_be_visible()
    expect(page.get_by_test_id("loading")).to_contain_text("Loading")
    snap(page, "buyer-loading-phone")
    held[0].continue_()
    page.unroute("**/api/buyer/context")

    page.get_by_test_id("consent-accept").click()
    position = page.get_by_test_id("queue-position")
    expect(position).to_have_attribute("data-position", "1")
    expect(position).to_contain_text("No agent is free right now")
    expect(position).not_to_contain_text("Expected wait")
    elapsed = page.get_by_test_id("waiting-elapsed")
    expect(elapsed).to_have_text(re.compile(r"^Waiting for \d+:\d\d$"))
    first = elapsed.inner_text()
    wait_until(lambda: elapsed.inner_text() != first, 5, "the waiting clock to move")
    expect(page.get_by_test_id("waiting-ready")).to_have_text(
        "Please have the parcel and its shipping label ready to show."
    )
    one_h1(page)
    assert_no_serious_violations(page, "waiting while nobody is available")
    shoot(page, "buyer-waiting-busy")

    # the agent goes available: now an expected wait is given
    go_available(agent.page)
    expect(position).to_contain_text("Expected wait")
    agent.assert_clean()
    buyer.assert_clean()


def test_the_invalid_link_page_declares_its_language(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    visitor = open_participant("visitor", phone=True)
    visitor.page.goto(f"{live_server.url}/j/{'x' * 43}")
    assert visitor.page.evaluate("document.documentElement.lang") == "en"
    assert len(visitor.page.evaluate(VISIBLE_H1_JS)) == 1
    visitor.page.goto("/call")  # the buyer page without a link
    expect(visitor.page.get_by_test_id("link-invalid")).to_be_visible()
    one_h1(visitor.page)
    shoot(visitor.page, "buyer-link-invalid")
