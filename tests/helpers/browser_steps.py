"""Steps the e2e tests share on the real pages: signing in (an admin on /admin), going
available, a live call between an agent's console and a buyer's phone, and reading the
remote video."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.helpers.accounts import PASSWORD, add_user
from tests.helpers.chromium import OpenParticipant, Participant
from tests.helpers.links import make_link
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until
from tests.helpers.y4m import BARS_RGB, bar_centre

COLOUR_TOLERANCE = 45  # VP8 at call bitrates and two colour conversions shift colours a little

# ([selector, points]) -> the video's size, the mean colour of an 8x8 patch at each
# point (fractions of width and height), and a checksum of its bottom strip.
SAMPLE_VIDEO_JS = """
([selector, points]) => {
  const video = document.querySelector(selector);
  if (!video || !video.videoWidth) return null;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(video, 0, 0);
  const at = ([fx, fy]) => {
    const x = Math.floor(fx * canvas.width) - 4, y = Math.floor(fy * canvas.height) - 4;
    const d = ctx.getImageData(x, y, 8, 8).data;
    let r = 0, g = 0, b = 0;
    for (let i = 0; i < d.length; i += 4) { r += d[i]; g += d[i + 1]; b += d[i + 2]; }
    const n = d.length / 4;
    return [r / n, g / n, b / n];
  };
  const h = canvas.height;
  const bottom = ctx.getImageData(0, Math.floor(h * 0.8), canvas.width, Math.floor(h * 0.15)).data;
  let checksum = 0;
  for (let i = 0; i < bottom.length; i += 16) checksum = (checksum * 31 + bottom[i]) % 1000000007;
  return { width: canvas.width, height: canvas.height, colours: points.map(at), checksum };
}
"""

# (selector) -> counts the frames the video presents from now on in window.__framesPresented
COUNT_FRAMES_JS = """
(selector) => {
  const video = document.querySelector(selector);
  window.__framesPresented = 0;
  const count = () => { window.__framesPresented += 1; video.requestVideoFrameCallback(count); };
  video.requestVideoFrameCallback(count);
}
"""


def sign_in(page: Page, email: str, password: str = PASSWORD, landing: str = "/console") -> None:
    """Sign in through /login and wait for the landing page."""
    page.goto("/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"**{landing}")


def signed_in_admin(
    live_server: LiveServer, open_participant: OpenParticipant, email: str = "root@shop.test"
) -> Participant:
    """A new admin, Ada Admin, signed in on /admin."""
    add_user(live_server.app, email, "admin", "Ada Admin")
    admin = open_participant("admin")
    sign_in(admin.page, email, landing="/admin")
    return admin


def go_available(page: Page) -> None:
    """On /console: wait for the socket's welcome, then switch to available."""
    switch = page.get_by_test_id("availability")
    expect(switch).to_have_attribute("data-state", "away")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "open")
    switch.click()
    expect(switch).to_have_attribute("data-state", "available")


def frames_presented(page: Page, selector: str, count: int, timeout_s: float = 30) -> None:
    """Wait until the video at ``selector`` has presented ``count`` more frames
    (``COUNT_FRAMES_JS``): a test that checks a recording's frames lets that much
    picture through first, however fast the steps before it ran."""
    page.evaluate(COUNT_FRAMES_JS, selector)
    wait_until(
        lambda: page.evaluate("window.__framesPresented") >= count,
        timeout_s,
        f"{count} frames presented by {selector}",
    )


def buyer_ends_call(page: Page) -> None:
    """On the buyer's live call: "End call", then confirm it."""
    page.get_by_test_id("end-call").click()
    expect(page.get_by_test_id("end-dialog")).to_be_visible()
    page.get_by_test_id("end-confirm").click()


def remote_video(page: Page) -> str:
    """The selector of the other side's video on this page (buyer's call page or console)."""
    return (
        '[data-testid="live"] [data-testid="agent-video"]'
        if "/call" in page.url
        else ('[data-testid="call-view"] [data-testid="remote-video"]')
    )


def colours_match(sample: dict | None) -> bool:
    """Whether a ``SAMPLE_VIDEO_JS`` sample at the bar centres shows the camera clip's
    colour bars (``y4m.BARS_RGB``, within ``COLOUR_TOLERANCE``)."""
    if not sample:
        return False
    for want, got in zip(BARS_RGB, sample["colours"], strict=True):
        if any(abs(w - g) > COLOUR_TOLERANCE for w, g in zip(want, got, strict=True)):
            return False
    return True


def bar_points() -> list[list[float]]:
    """The centres of the clip's colour bars, as ``SAMPLE_VIDEO_JS`` takes them."""
    return [list(bar_centre(i)) for i in range(len(BARS_RGB))]


def agent_sees_bars(agent: Participant, timeout_s: float = 10) -> None:
    """Wait until the agent's remote video shows the buyer's colour bars."""
    selector = remote_video(agent.page)
    points = bar_points()
    wait_until(
        lambda: colours_match(agent.page.evaluate(SAMPLE_VIDEO_JS, [selector, points])),
        timeout_s,
        "the buyer's colour bars at the agent",
    )


def available_agent(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    email: str,
    name: str,
    on: Browser | None = None,
) -> Participant:
    """A new agent ``name`` signed in on the console (on ``on``, else the default browser)
    and available, ready to accept the next call."""
    add_user(live_server.app, email, "agent", name)
    agent = open_participant("agent", on=on)
    sign_in(agent.page, email)
    go_available(agent.page)
    return agent


def start_call(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    camera_browser: Browser,
    order_ref: str,
) -> tuple[Participant, Participant, str]:
    """An agent and a buyer (on ``camera_browser``, whose camera shows the colour bars)
    in a live damage-verification call; returns both and the link's URL."""
    _, link_url = make_link(live_server.app, order_ref, "damage_verification")
    agent = available_agent(
        live_server, open_participant, f"agent-{order_ref}@shop.test", "Aggie Agent"
    )
    buyer = open_participant("buyer", phone=True, on=camera_browser)
    answered_call(agent, buyer, link_url)
    return agent, buyer, link_url


def answered_call(agent: Participant, buyer: Participant, link_url: str) -> None:
    """The buyer opens ``link_url`` and consents, the available ``agent`` accepts: the
    call is live on the buyer's page."""
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    agent.page.get_by_test_id("accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
