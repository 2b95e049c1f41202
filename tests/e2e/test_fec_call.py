"""Forward error correction from a real Chromium (server/relay/fec.py, ulpfec.py): a buyer
on a lossy link sends RED and ULPFEC, the relay rebuilds lost packets from it, the agent's
picture moves and every recorded frame decodes; with the setting off the answer has no FEC.

The agent's Chromium measures its round trip to the buyer, not only to the relay
(far_round_trip.py): its receiver reports say so while its ICE pair says loopback."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, select

from server.models import Call
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import agent_sees_bars, go_available, sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.ice_paths import record_peer_connections
from tests.helpers.impairment import Impairment, ImpairmentProxy
from tests.helpers.links import make_link
from tests.helpers.recordings import all_ready, decoded_video, packets_of
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import NotYet, page_pause, wait_until

# The browser's own answer, as it was handed to it (after the proxy's candidate rewrite).
ANSWER_JS = """
() => {
  const pcs = window.__impairedPeerConnections || [];
  const pc = pcs[pcs.length - 1];
  return pc && pc.remoteDescription ? pc.remoteDescription.sdp : "";
}
"""
REBUILT_WANTED = 3

# () -> the agent's newest peer connection: the round trip its audio's receiver reports
# give (s, or null) and its ICE pair's (s, or null)
AGENT_LINK_JS = """
async () => {
  const pcs = window.__peerConnections || [];
  const pc = pcs[pcs.length - 1];
  if (!pc || !pc.remoteDescription) return null;
  const out = { reports: null, pair: null };
  const stats = await pc.getStats();
  stats.forEach((s) => {
    if (s.type === "remote-inbound-rtp" && s.kind === "audio" && s.roundTripTime !== undefined) {
      out.reports = s.roundTripTime;
    }
    if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
      out.pair = s.currentRoundTripTime ?? null;
    }
  });
  return out;
}
"""
# the buyer's link is 120 ms round trip; the agent's own is loopback
FAR_ROUND_TRIP_S = 0.1


@pytest.fixture
def server_settings() -> dict[str, Any]:
    """Setting overrides of this module's server (a test parametrizes them)."""
    return {}


@pytest.fixture
def live_server(server_factory, server_settings: dict[str, Any]) -> LiveServer:
    return server_factory(**server_settings)


def _video_counter(server: LiveServer, name: str) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == f"showdesk_relay_{name}_total" and sample.labels == {"kind": "video"}:
                return sample.value
    raise AssertionError(f"showdesk_relay_{name}_total is not in /metrics")


def _call_on_a_lossy_link(
    server: LiveServer,
    open_participant: OpenParticipant,
    camera_browser: Browser,
    order_ref: str,
    proxy: ImpairmentProxy,
) -> tuple[object, object]:
    _, link_url = make_link(server.app, order_ref, "damage_verification")
    email = f"agent-{order_ref}@shop.test"
    add_user(server.app, email, "agent", "Aggie")
    agent = open_participant("agent")
    record_peer_connections(agent.context)
    sign_in(agent.page, email)
    go_available(agent.page)
    buyer = open_participant("buyer", phone=True, on=camera_browser)
    # 120 ms round trip, 3% of the buyer's packets lost on the way in
    proxy.set(to_server=Impairment(delay_ms=60, loss=0.03), to_browser=Impairment(delay_ms=60))
    proxy.attach(buyer.page)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    agent.page.get_by_test_id("accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    agent_sees_bars(agent, timeout_s=20)
    return agent, buyer


def test_a_lossy_buyers_fec_rebuilds_lost_packets_and_every_recorded_frame_decodes(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    rebuilt_before = _video_counter(live_server, "packets_recovered")
    with ImpairmentProxy(seed=3) as proxy:
        agent, buyer = _call_on_a_lossy_link(
            live_server, open_participant, camera_browser, "ORD-7101", proxy
        )
        answer = buyer.page.evaluate(ANSWER_JS)
        assert "red/90000" in answer and "ulpfec/90000" in answer, answer

        def far_round_trip() -> dict | NotYet:
            link = agent.page.evaluate(AGENT_LINK_JS)
            if not link or link["reports"] is None or link["reports"] < FAR_ROUND_TRIP_S:
                return NotYet(f"the agent's reports: {link and link['reports']}")
            return link

        link = wait_until(far_round_trip, 30, "the agent's round trip to the buyer")
        assert link["pair"] is not None and link["pair"] < FAR_ROUND_TRIP_S / 2, link["pair"]

        def rebuilt() -> float | NotYet:
            n = _video_counter(live_server, "packets_recovered") - rebuilt_before
            lost = proxy.stats()["to_server"].lost
            return n if n >= REBUILT_WANTED else NotYet(f"{n} rebuilt, {lost} lost on the way")

        wait_until(rebuilt, 60, "packets rebuilt from FEC", page_pause(buyer.page))
        assert _video_counter(live_server, "fec_packets_received") > 0
        agent_sees_bars(agent, timeout_s=20)  # still moving after the rebuilt packets
        agent.page.get_by_test_id("end-call").click()
        buyer.page.get_by_test_id("call-ended").wait_for(state="visible")

    engine = live_server.app.state.engine
    with Session(engine) as db:
        call = db.exec(select(Call).where(Call.order_ref == "ORD-7101")).one()
    rows = wait_until(all_ready(engine, call.id, review=False), 30, "the call's track files")
    video = next(r for r in rows if r.track == "buyer_video")
    path = live_server.app.state.storage.local_path(video.storage_key)
    assert len(packets_of(path)) > 30
    assert len(decoded_video(path)) == len(packets_of(path)), "every recorded frame decodes"
    agent.assert_clean()


@pytest.mark.parametrize("server_settings", [{"relay_video_fec": False}])
def test_with_fec_off_the_answer_offers_the_browser_none(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    server = live_server
    with ImpairmentProxy(seed=4) as proxy:
        agent, buyer = _call_on_a_lossy_link(
            server, open_participant, camera_browser, "ORD-7102", proxy
        )
        answer = buyer.page.evaluate(ANSWER_JS)
        assert "m=video" in answer and "VP8/90000" in answer, answer
        assert "red/90000" not in answer and "ulpfec/90000" not in answer, answer
        assert _video_counter(server, "fec_packets_received") == 0
    agent.assert_clean()
