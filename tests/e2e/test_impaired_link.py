"""A buyer on a degraded link (tests/helpers/impairment.py): the call's only media path is
through the impairment proxy, and the buyer's browser measures the delay it adds; on a
clean one the buyer's sender starts at the relay's start bitrate and the agent gets the
buyer's video at its full 640 width."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from server.infra.config import Settings
from tests.helpers.browser_steps import agent_sees_bars, available_agent
from tests.helpers.chromium import OpenParticipant
from tests.helpers.impairment import ROUND_TRIP_MS_JS, Impairment, ImpairmentProxy
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import NotYet, page_pause, wait_until

DELAY_MS = 100


def test_a_buyer_behind_the_impairment_proxy_reaches_the_agent_only_through_it(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    _, link_url = make_link(live_server.app, "ORD-7001", "damage_verification")
    agent = available_agent(live_server, open_participant, "agent-7001@shop.test", "Aggie")
    buyer = open_participant("buyer", phone=True, on=camera_browser)
    with ImpairmentProxy(seed=1) as proxy:
        proxy.set(Impairment(delay_ms=DELAY_MS))
        proxy.attach(buyer.page)
        buyer.page.goto(link_url)
        buyer.page.get_by_test_id("consent-accept").click()
        agent.page.get_by_test_id("accept").click()
        expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
        agent_sees_bars(agent, timeout_s=20)

        def round_trip() -> float | NotYet:
            rtt = buyer.page.evaluate(ROUND_TRIP_MS_JS)
            return rtt if rtt else NotYet(f"no round trip yet: {rtt}")

        rtt_ms = wait_until(round_trip, 20, "the buyer's own round trip", page_pause(buyer.page))
        stats = proxy.stats()
        assert stats["to_server"].forwarded > 0 and stats["to_browser"].forwarded > 0
        assert rtt_ms >= 2 * DELAY_MS - 5, rtt_ms  # every packet took the proxy's path

        proxy.blackout(2.0)
        wait_until(
            lambda: proxy.stats()["to_server"].lost > 20 or NotYet("nothing lost"),
            10,
            "the blackout",
            page_pause(buyer.page),
        )
        before = proxy.stats()["to_server"].forwarded
        wait_until(
            lambda: proxy.stats()["to_server"].forwarded > before + 50 or NotYet("dark"),
            15,
            "media through again",
            page_pause(buyer.page),
        )
        agent_sees_bars(agent, timeout_s=20)
    agent.assert_clean()


# The buyer's first bandwidth estimate: Chromium's own start is 300 kbps; the relay's
# answer (x-google-start-bitrate) and its REMB start it higher.
FIRST_ESTIMATE_JS = """
() => new Promise((resolve) => {
  const read = async () => {
    const pcs = window.__impairedPeerConnections || [];
    const pc = pcs[pcs.length - 1];
    if (pc) {
      for (const s of (await pc.getStats()).values()) {
        if (s.type === "candidate-pair" && s.nominated && s.availableOutgoingBitrate)
          return resolve(s.availableOutgoingBitrate);
      }
    }
    setTimeout(read, 20);
  };
  read();
})
"""

AGENT_VIDEO_WIDTH_JS = """
() => {
  const video = document.querySelector('[data-testid="call-view"] [data-testid="remote-video"]');
  return video ? video.videoWidth : 0;
}
"""


def test_a_clean_link_starts_the_buyer_at_the_relays_start_bitrate_and_the_agent_gets_640_wide(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    start_bps = 1000 * Settings.model_fields["media_start_bitrate_kbps"].default
    _, link_url = make_link(live_server.app, "ORD-7002", "damage_verification")
    agent = available_agent(live_server, open_participant, "agent-7002@shop.test", "Aggie")
    buyer = open_participant("buyer", phone=True, on=camera_browser)
    with ImpairmentProxy(seed=2) as proxy:
        proxy.set(Impairment())
        proxy.attach(buyer.page)
        buyer.page.goto(link_url)
        buyer.page.get_by_test_id("consent-accept").click()
        agent.page.get_by_test_id("accept").click()
        expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
        first_bps = buyer.page.evaluate(FIRST_ESTIMATE_JS)
        assert first_bps >= 0.9 * start_bps, first_bps  # not Chromium's 300 kbps
        agent_sees_bars(agent, timeout_s=20)

        def agent_width() -> int | NotYet:
            width = agent.page.evaluate(AGENT_VIDEO_WIDTH_JS)
            return width if width >= 640 else NotYet(f"the buyer's video is {width} wide")

        wait_until(agent_width, 30, "the buyer's 640-wide video at the agent")
        shoot(agent.page, "console-buyer-video-640-wide")
    agent.assert_clean()
