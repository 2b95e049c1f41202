"""The buyer's page in a real Firefox ESR (tests/helpers/firefox.py): a buyer opens the
link, consents, and waits in line with the camera's preview showing."""

from __future__ import annotations

from collections.abc import Callable

from tests.helpers.browser_steps import SAMPLE_VIDEO_JS
from tests.helpers.firefox import FirefoxParticipant, by_testid
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import NotYet, wait_until

CENTRE = [[0.5, 0.5]]


def test_a_firefox_buyer_consents_and_waits_with_the_camera_preview_showing(
    live_server: LiveServer, open_firefox: Callable[..., FirefoxParticipant]
) -> None:
    _, link_url = make_link(live_server.app, "ORD-FX-1", "damage_verification", buyer_name="Fe")
    buyer = open_firefox("buyer", phone=True)
    buyer.page.goto(link_url)
    buyer.page.wait_for_selector(by_testid("consent"))
    assert "/call" in buyer.page.url and "/j/" not in buyer.page.url
    shoot(buyer.page, "firefox-buyer-consent")
    buyer.page.click(by_testid("consent-accept"))
    buyer.page.wait_for_selector('[data-testid="call-state"][data-state="waiting"]', "attached")
    buyer.page.wait_for_selector(by_testid("waiting-preview"))

    # Firefox's fake camera fills the frame with one colour: not black, and it changes
    preview = by_testid("waiting-preview")
    seen: list[tuple] = []

    def colour_changes() -> bool | NotYet:
        sample = buyer.page.evaluate(SAMPLE_VIDEO_JS, [preview, CENTRE])
        if not sample:
            return NotYet("no frame in the preview yet")
        colour = tuple(round(c) for c in sample["colours"][0])
        if max(colour) < 40:
            return NotYet(f"a dark preview {colour}")
        seen.append(colour)
        return len(set(seen)) >= 3 or NotYet(f"colours so far {set(seen)}")

    wait_until(colour_changes, 10, "the camera's changing colour in the preview")
    shoot(buyer.page, "firefox-buyer-waiting")
    wait_until(
        lambda: any(side == "buyer" for (_, side) in live_server.app.state.calls.media.legs()),
        10,
        "the buyer's connection at the server",
    )
    buyer.assert_clean()
