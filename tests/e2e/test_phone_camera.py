"""The agent's phone as the call's camera, in real Chromium: the console shows a QR code
and a short code; a second agent-side browser (the "phone", whose fake camera plays the
colour bars) opens /camera#<code> and becomes the agent's video: the buyer sees the
phone's picture, the recording holds it as the agent's track. The code cannot be used
again, nor by another agent, nor once expired (all the same answer); when the agent
stops the phone, the console's own camera is the buyer's picture again."""

from __future__ import annotations

import av
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from server.models import Call, Recording
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import (
    SAMPLE_VIDEO_JS,
    available_agent,
    bar_points,
    buyer_ends_call,
    colours_match,
    frames_presented,
    remote_video,
    sign_in,
)
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import SIZES, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until
from tests.helpers.y4m import image_bars

PHONE = {"phone": SIZES["phone"]}
DESKTOP = {"desktop": SIZES["desktop"]}
RECORDING_DEADLINE_S = 120
REFUSED = "This code does not work"

# (sessionId) -> the POST's status and body, as the console's own request makes it
NEW_CODE_JS = """
async (sessionId) => {
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrf_token="));
  const response = await fetch(`/api/sessions/${sessionId}/phone-camera`, {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf.split("=")[1]},
    body: "{}",
  });
  return {status: response.status, body: await response.json()};
}
"""


def claim(page: Page, code: str) -> tuple[int, dict]:
    """The claim as the camera page makes it: with the browser's staff CSRF token, if it
    is signed in (a signed-in browser's request without it is refused as forged)."""
    csrf = page.evaluate(
        "() => (document.cookie.match(/(?:^|; )csrf_token=([^;]*)/) || [])[1] || ''"
    )
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    answer = page.request.post("/api/phone-camera/claim", data={"code": code}, headers=headers)
    return answer.status, answer.json()


def test_the_agents_phone_becomes_the_camera_once_and_only_for_that_agent(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    camera_browser: Browser,
) -> None:
    _, link_url = make_link(live_server.app, "ORD-PHONE-CAM", "product_demo", buyer_name="Pia")
    agent = available_agent(live_server, open_participant, "phonecam@shop.test", "Pat Agent")
    console = agent.page
    buyer = open_participant("buyer", phone=True)
    page = buyer.page
    page.goto(link_url)
    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    console.get_by_test_id("accept").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")

    # before: the buyer sees the console's own camera (Chromium's pattern, not the bars)
    selector = remote_video(page)
    points = bar_points()
    last: dict = {}

    def buyer_sees_bars() -> bool:
        last["sample"] = page.evaluate(SAMPLE_VIDEO_JS, [selector, points])
        return colours_match(last["sample"])

    wait_until(
        lambda: page.evaluate(f"document.querySelector('{selector}').videoWidth > 0"),
        15,
        "the console's camera at the buyer",
    )
    assert not buyer_sees_bars(), last

    # the console shows the QR code and the short code
    button = console.get_by_test_id("phone-camera")
    expect(button).to_be_visible()
    button.click()
    dialog = console.get_by_test_id("phone-camera-dialog")
    expect(dialog).to_be_visible()
    expect(console.get_by_test_id("phone-camera-qr").locator("svg")).to_be_visible()
    code = console.get_by_test_id("phone-camera-code").inner_text().strip()
    assert len(code) == 8 and code.isalnum() and code.upper() == code, code
    shoot(console, "console-phone-camera-qr", sizes=DESKTOP)

    # another agent, signed in on their own browser, cannot use it
    add_user(live_server.app, "other-phonecam@shop.test", "agent", "Oli Other")
    other = open_participant("other-agent", phone=True, on=camera_browser)
    sign_in(other.page, "other-phonecam@shop.test")
    other.page.goto(f"/camera#{code}")
    expect(other.page.get_by_test_id("camera-error")).to_contain_text(REFUSED)
    expect(other.page.get_by_test_id("camera-live")).to_be_hidden()
    other_status, other_body = claim(other.page, code)
    assert other_status == 404 and other_body["error"]["code"] == "camera_code_invalid"

    # the agent's phone opens the QR code's address: its rear camera is the agent's video
    phone = open_participant("phone", phone=True, on=camera_browser)
    phone.page.goto(f"/camera#{code}")
    status = phone.page.get_by_test_id("camera-status")
    expect(status).to_have_attribute("data-state", "live", timeout=15_000)
    assert "#" not in phone.page.url, phone.page.url  # the code left the address bar
    expect(console.get_by_test_id("phone-camera-state")).to_be_visible(timeout=15_000)
    expect(dialog).to_be_hidden()
    try:
        wait_until(buyer_sees_bars, 15, "the phone's colour bars on the buyer's page")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last sample {last.get('sample')}") from None
    frames_presented(page, selector, 60)  # the phone's picture the recording will hold
    # the console keeps the sound: the buyer still gets the agent's audio track
    assert (
        page.evaluate(f"document.querySelector('{selector}').srcObject.getAudioTracks().length")
        == 1
    )
    wait_until(
        lambda: phone.page.evaluate(
            "document.querySelector('[data-testid=camera-preview]').videoWidth > 0"
        ),
        10,
        "the phone's own preview",
    )
    shoot(phone.page, "camera-page-live", sizes=PHONE)
    shoot(console, "console-phone-is-the-camera", sizes=DESKTOP)
    shoot(page, "buyer-sees-the-agents-phone", sizes=PHONE)

    # the same code again: refused, on a page and by the API, with the same answer
    again = open_participant("again", phone=True)
    again.page.goto(f"/camera#{code}")
    expect(again.page.get_by_test_id("camera-error")).to_contain_text(REFUSED)
    shoot(again.page, "camera-page-code-refused", sizes=PHONE)
    used = claim(again.page, code)
    assert used == (other_status, other_body), used
    unknown = claim(again.page, "ZZZZZZZZ")
    assert unknown == used, unknown

    # an expired code gets the same answer too
    with Session(live_server.app.state.engine) as db:
        call = db.exec(select(Call).where(Call.order_ref == "ORD-PHONE-CAM")).one()
        call_id = call.id
    live_server.app.state.calls.phone_cameras.code_ttl_s = 0  # expired as soon as it is made
    fresh = console.evaluate(NEW_CODE_JS, call_id)
    assert fresh["status"] == 201, fresh
    assert fresh["body"]["url"].endswith(f"/camera#{fresh['body']['code']}")
    expired = claim(again.page, fresh["body"]["code"])
    assert expired == used, expired

    # the agent goes back to the console's camera: the phone's page says so
    console.get_by_test_id("phone-camera-stop").click()
    expect(status).to_have_attribute("data-state", "ended", timeout=10_000)
    expect(console.get_by_test_id("phone-camera-state")).to_be_hidden()
    expect(console.get_by_test_id("phone-camera")).to_be_visible()
    wait_until(lambda: not buyer_sees_bars(), 15, "the console's own camera again")
    shoot(phone.page, "camera-page-ended", sizes=PHONE)

    buyer_ends_call(page)
    expect(page.get_by_test_id("call-ended")).to_be_visible()

    # the recording holds the phone's picture as the agent's video (its next segment)
    engine = live_server.app.state.engine
    storage = live_server.app.state.storage

    def tracks_ready() -> list[Recording] | None:
        with Session(engine) as db:
            rows = db.exec(select(Recording).where(Recording.call_id == call_id)).all()
        failed = [r for r in rows if r.state == "failed"]
        assert not failed, [(r.track, r.error) for r in failed]
        review = [r for r in rows if r.kind == "review" and r.state == "ready"]
        tracks = [r for r in rows if r.kind == "track"]
        if review and tracks and all(r.state == "ready" for r in tracks):
            return rows
        return None

    rows = wait_until(tracks_ready, RECORDING_DEADLINE_S, "the tracks and the review file")
    agent_video = {r.segment: r for r in rows if r.kind == "track" and r.track == "agent_video"}
    assert set(agent_video) == {0, 1}, agent_video
    assert not [r for r in rows if r.kind == "track" and r.track == "agent_audio" and r.segment]
    with av.open(str(storage.local_path(agent_video[1].storage_key))) as container:
        frames = [f.to_image() for _, f in zip(range(300), container.decode(video=0), strict=False)]
    assert len(frames) >= 30, len(frames)
    assert image_bars(frames[-1]), "the phone's segment of the agent's track shows the bars"
    with av.open(str(storage.local_path(agent_video[0].storage_key))) as container:
        console_frames = [
            f.to_image() for _, f in zip(range(30), container.decode(video=0), strict=False)
        ]
    assert console_frames and not image_bars(console_frames[0]), "the console's own camera"
    for person in (agent, buyer, phone):
        person.assert_clean()
