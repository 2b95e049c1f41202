"""The buyer's page in WebKit, Safari's engine (tests/helpers/webkit.py: WebKitGTK's
MiniBrowser). This WebKit has no WebRTC, so it shows everything before the call: the
screens a buyer can reach without one, the page's camera (a 640x480 mock camera) with
its preview and a photo from it, and the clear words for a browser that cannot call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from server.models import Call
from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.links import make_link
from tests.helpers.screens import SIZES, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import store_call
from tests.helpers.webkit import NARROWEST_WIDTH, WebKitPage, launch_webkit

WEB = Path(__file__).resolve().parents[2] / "web"
WORDS = json.loads((WEB / "i18n" / "en.json").read_text())
# MiniBrowser's window is never as narrow as a phone: its narrowest, at a phone's height
WEBKIT_SIZES = {"phone": {"width": NARROWEST_WIDTH, "height": 844}, "desktop": SIZES["desktop"]}

# () -> starts keeping the page's uncaught errors and unhandled rejections in __errors
WATCH_ERRORS_JS = """() => {
  window.__errors = [];
  addEventListener("error", (e) => window.__errors.push(String(e.message)));
  addEventListener("unhandledrejection", (e) => window.__errors.push(String(e.reason)));
}"""

# () -> the page's own CallMedia (callmedia.js, as the buyer page uses it) opens the
# camera a damage check asks for and shows it in the waiting screen's preview; then
# takes a photo from it. Returns what the camera, the preview and the photo are.
CAMERA_AND_PHOTO_JS = """async () => {
  const { CallMedia, defaultDevices } = await import("/static/js/callmedia.js");
  const { Signaling } = await import("/static/js/signaling.js");
  const problems = [];
  const media = new CallMedia(new Signaling("buyer", {}), { onProblem: (t) => problems.push(t) });
  const error = await media.prepare(defaultDevices("buyer", "damage_verification"), {
    cameraRequired: true,
  });
  const track = media.devices.videoTrack;
  const preview = document.querySelector('[data-testid="waiting-preview"]');
  const started = Date.now();
  while (!preview.videoWidth && Date.now() - started < 5000) {
    await new Promise((done) => setTimeout(done, 50));
  }
  // the share of lit pixels in the preview's picture, once it shows one
  const canvas = document.createElement("canvas");
  canvas.width = preview.videoWidth;
  canvas.height = preview.videoHeight;
  const ctx = canvas.getContext("2d");
  let lit = 0;
  while (lit < 0.2 && Date.now() - started < 10000) {
    await new Promise((done) => setTimeout(done, 100));
    ctx.drawImage(preview, 0, 0);
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i] + pixels[i + 1] + pixels[i + 2] > 60) count += 1;
    }
    lit = count / (pixels.length / 4);
  }
  const photo = await media.takePhoto();
  const bitmap = await createImageBitmap(photo);
  const result = {
    error,
    problems,
    asked: track.getConstraints(),
    camera: track.getSettings(),
    preview: {
      width: preview.videoWidth,
      height: preview.videoHeight,
      paused: preview.paused,
      muted: preview.muted,
      autoplay: preview.autoplay,
      playsInline: preview.playsInline,
      lit,
    },
    photo: { type: photo.type, size: photo.size, width: bitmap.width, height: bitmap.height },
    imageCapture: typeof ImageCapture,
  };
  media.end();
  return result;
}"""


def screen_shown(page: WebKitPage, testid: str) -> None:
    page.get_by_test_id(testid).wait_for()


def assert_no_script_errors(page: WebKitPage) -> None:
    assert page.evaluate("window.__errors") == []


def open_link(page: WebKitPage, link_url: str, first_screen: str) -> None:
    page.goto(link_url)
    screen_shown(page, first_screen)
    page.evaluate(WATCH_ERRORS_JS)


def test_webkit_shows_the_consent_and_tells_a_buyer_plainly_that_this_browser_cannot_call(
    live_server: LiveServer, webkit_page: WebKitPage
) -> None:
    page = webkit_page
    _, link_url = make_link(live_server.app, "ORD-WK-1", "damage_verification", buyer_name="Sa")
    open_link(page, link_url, "consent")
    assert page.evaluate("typeof RTCPeerConnection") == "undefined"  # what this WebKit is
    assert "Sa" in page.get_by_test_id("consent-greeting").inner_text()
    shoot(page, "webkit-buyer-consent", sizes=WEBKIT_SIZES)

    page.get_by_test_id("consent-accept").click()
    screen_shown(page, "call-unsupported")
    text = page.get_by_test_id("call-unsupported").inner_text()
    assert WORDS["unsupported.title"] in text and WORDS["unsupported.text"] in text
    assert page.evaluate("document.querySelector('[data-testid=\"call-state\"]').hidden")
    shoot(page, "webkit-buyer-unsupported", sizes=WEBKIT_SIZES)
    assert_no_serious_violations(page, "the page for a browser that cannot call")
    assert_no_script_errors(page)
    # the buyer is not put in the line: no call was made
    with Session(live_server.app.state.engine) as db:
        assert db.exec(select(Call).where(Call.order_ref == "ORD-WK-1")).all() == []


def test_webkit_opens_the_rear_mock_camera_shows_its_preview_and_takes_a_full_size_photo(
    live_server: LiveServer, webkit_page: WebKitPage
) -> None:
    page = webkit_page
    _, link_url = make_link(live_server.app, "ORD-WK-CAM", "damage_verification")
    open_link(page, link_url, "consent")
    found = page.evaluate(CAMERA_AND_PHOTO_JS)
    assert found["error"] is None and found["problems"] == [], found
    assert found["asked"]["facingMode"] == {"ideal": "environment"}, found["asked"]
    camera, preview, photo = found["camera"], found["preview"], found["photo"]
    # the preview plays inline and muted without a tap, as iOS Safari needs it to
    assert not preview["paused"] and preview["muted"] and preview["autoplay"]
    assert preview["playsInline"]
    assert (preview["width"], preview["height"]) == (camera["width"], camera["height"])
    assert preview["lit"] > 0.2, preview  # the mock camera's picture, not a black frame
    # WebKit has no ImageCapture: the page draws the camera's frame at its own size
    assert found["imageCapture"] == "undefined"
    assert photo["type"] == "image/jpeg" and photo["size"] > 1000, photo
    assert (photo["width"], photo["height"]) == (camera["width"], camera["height"]), found
    assert_no_script_errors(page)


def test_webkit_shows_a_declined_call_and_a_page_without_a_valid_link(
    live_server: LiveServer, webkit_page: WebKitPage
) -> None:
    page = webkit_page
    _, link_url = make_link(live_server.app, "ORD-WK-NO", "damage_verification")
    open_link(page, link_url, "consent")
    page.get_by_test_id("consent-decline").click()
    screen_shown(page, "declined")
    shoot(page, "webkit-buyer-declined", sizes=WEBKIT_SIZES)
    assert_no_script_errors(page)

    page.fresh()  # no call cookie: the buyer page has no call to show
    page.goto("/call")
    screen_shown(page, "link-invalid")
    assert WORDS["invalid.title"] in page.get_by_test_id("link-invalid").inner_text()
    shoot(page, "webkit-buyer-link-invalid", sizes=WEBKIT_SIZES)


def test_webkit_shows_how_the_links_last_call_ended(
    live_server: LiveServer, webkit_page: WebKitPage
) -> None:
    page = webkit_page
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    link, link_url = make_link(live_server.app, "ORD-WK-END", "damage_verification")
    store_call(live_server.app, "ORD-WK-END", agent_id=agent_id, link=link)
    open_link(page, link_url, "call-ended")
    ended = page.get_by_test_id("call-ended").inner_text()
    assert "This call ended on" in ended, ended
    shoot(page, "webkit-buyer-ended", sizes=WEBKIT_SIZES)
    assert_no_script_errors(page)


def test_webkit_without_a_camera_asks_for_one_instead_of_joining_the_line(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """A second MiniBrowser with no mock camera (and no real one here): the camera
    cannot be opened, so a damage check says so and offers to try again."""
    _, link_url = make_link(live_server.app, "ORD-WK-NOCAM", "damage_verification")
    with launch_webkit(tmp_path, "--enable-mock-capture-devices=false") as page:
        page.base_url = live_server.url
        open_link(page, link_url, "consent")
        page.get_by_test_id("consent-accept").click()
        screen_shown(page, "camera-needed")
        reason = page.evaluate(
            "document.querySelector('[data-testid=\"camera-needed\"]').dataset.reason"
        )
        assert reason in ("no-device", "denied", "failed"), reason
        page.get_by_test_id("camera-retry").wait_for()
        shoot(page, "webkit-buyer-camera-needed", sizes=WEBKIT_SIZES)
        assert_no_script_errors(page)
    with Session(live_server.app.state.engine) as db:
        assert db.exec(select(Call).where(Call.order_ref == "ORD-WK-NOCAM")).all() == []


@pytest.mark.parametrize("video", ["agent-video", "local-video", "waiting-preview"])
def test_the_buyer_pages_videos_play_inline_as_ios_safari_requires(video: str) -> None:
    """iOS Safari plays a video inline only with ``playsinline``, and without a tap only
    muted: the buyer's own camera is muted, the agent's (with sound) is not."""
    html = (WEB / "buyer.html").read_text()
    tag = next(line for line in html.splitlines() if f'data-testid="{video}"' in line)
    assert "playsinline" in tag and "autoplay" in tag
    assert ("muted" in tag) == (video != "agent-video")
