"""The buyer's page in a real Firefox ESR (tests/helpers/firefox.py): a buyer opens the
link, consents, and waits in line with the camera's preview showing."""

from __future__ import annotations

from tests.helpers.firefox import OpenFirefox, by_testid
from tests.helpers.firefox_steps import sees_firefox_camera
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until


def test_a_firefox_buyer_consents_and_waits_with_the_camera_preview_showing(
    live_server: LiveServer, open_firefox: OpenFirefox
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
    sees_firefox_camera(buyer.page, by_testid("waiting-preview"))
    shoot(buyer.page, "firefox-buyer-waiting")
    wait_until(
        lambda: any(side == "buyer" for (_, side) in live_server.app.state.calls.media.legs()),
        10,
        "the buyer's connection at the server",
    )
    buyer.assert_clean()
