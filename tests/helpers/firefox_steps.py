"""Steps of the e2e tests on Firefox pages (tests/helpers/firefox.py), beside the
Chromium ones in browser_steps.py (whose ``sign_in`` and ``remote_video`` run on Firefox
pages as they are): an available agent on the console, and Firefox's fake camera seen in
a video."""

from __future__ import annotations

from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import SAMPLE_VIDEO_JS, sign_in
from tests.helpers.firefox import Firefox, FirefoxPage, FirefoxParticipant
from tests.helpers.page_js import RTC_STATS_JS
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import NotYet, wait_until

# Firefox's fake camera fills the frame with one colour whose hue changes: sampled well
# inside the frame (its top-left corner carries a small counter)
FRAME_POINTS = [[0.3, 0.5], [0.5, 0.5], [0.7, 0.5], [0.3, 0.8], [0.7, 0.8]]
SAME_COLOUR = 45  # per channel, between the points of one frame (VP8 and scaling)
HUE_STEP = 30  # per channel, between the first colour and a later one
BRIGHT = 60  # at least one channel this bright: not a black frame


def go_available(page: FirefoxPage) -> None:
    """On /console: wait for the socket's welcome, then switch to available."""
    switch = page.get_by_test_id("availability")
    switch.wait_for_attribute("data-state", "away")
    page.get_by_test_id("connection").wait_for_attribute("data-state", "open")
    switch.click()
    switch.wait_for_attribute("data-state", "available")


def available_firefox_agent(
    live_server: LiveServer, firefox: Firefox, email: str, name: str
) -> FirefoxParticipant:
    """A new agent ``name`` signed in on the console in Firefox and available."""
    add_user(live_server.app, email, "agent", name)
    agent = firefox.participant("agent", live_server.url)
    sign_in(agent.page, email)  # type: ignore[arg-type]  # FirefoxPage has the calls it makes
    go_available(agent.page)
    return agent


def sees_firefox_camera(page: object, selector: str, timeout_s: float = 15) -> list[list[float]]:
    """Wait until the video at ``selector`` on ``page`` (either engine) shows Firefox's
    fake camera: the whole frame one bright colour, and that colour changing (a frozen
    or black frame fails). Returns the colours seen."""
    seen: list[list[float]] = []

    def changed() -> bool | NotYet:
        sample = page.evaluate(SAMPLE_VIDEO_JS, [selector, FRAME_POINTS])  # type: ignore[attr-defined]
        if not sample:
            return NotYet("no frame yet")
        colours = sample["colours"]
        first = colours[0]
        if any(abs(a - b) > SAME_COLOUR for c in colours for a, b in zip(c, first, strict=True)):
            return NotYet(f"not one colour across the frame: {colours}")
        if max(first) < BRIGHT:
            return NotYet(f"a dark frame {first}")
        seen.append(first)
        moved = max(abs(a - b) for a, b in zip(seen[0], first, strict=True))
        return moved >= HUE_STEP or NotYet(f"the colour moved {moved:.0f} from {seen[0]}")

    wait_until(changed, timeout_s, f"Firefox's changing camera colour in {selector}")
    return seen


def receives_audio(page: object, timeout_s: float = 10) -> dict:
    """Wait until the page's peer connections (``page_js.TRACK_PEERS_INIT_JS`` loaded
    before them) have received 50 more audio packets than now, with some sound in them
    (``totalAudioEnergy`` above 0), on either engine; return the last inbound audio."""

    def stats() -> dict | None:
        return page.evaluate(RTC_STATS_JS)["inbound"].get("audio")  # type: ignore[attr-defined]

    before = (stats() or {}).get("packets", 0)

    def more() -> dict | NotYet:
        audio = stats()
        if not audio or audio["packets"] < before + 50:
            return NotYet(f"inbound audio {audio} (from {before} packets)")
        return audio if audio["energy"] > 0 else NotYet(f"silent audio {audio}")

    return wait_until(more, timeout_s, "audio arriving from the other side")
