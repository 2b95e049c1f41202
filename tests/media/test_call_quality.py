"""The relay tells when a leg's media stops and resumes, and reports what the leg's
connection was like when it closes: packets lost on the way, round trip, stalls."""

from __future__ import annotations

import time
from typing import Any

from server.relay.local import MEDIA_STOPPED_S, LocalRelay
from tests.helpers.peers import Client, UplinkBlackout, events_of
from tests.helpers.waiting import poll_until

BLACKOUT_S = 1.5


async def _join(relay: LocalRelay, client: Client, pid: str, role: str) -> None:
    await relay.open("call-1", pid, role)
    await client.accept(await relay.answer(pid, await client.offer()))


async def test_a_blackout_of_the_buyers_uplink_is_reported_as_stopped_then_resumed_and_counted(
    relay: LocalRelay, clients: list[Client], events: list[dict[str, Any]]
) -> None:
    buyer, agent = Client(), Client()
    for client in (buyer, agent):
        client.send("video", receive=True)
        client.send("audio", receive=True)
    clients += [buyer, agent]
    await _join(relay, buyer, "buyer-1", "buyer")
    await _join(relay, agent, "agent-1", "agent")
    await poll_until(
        lambda: agent.received_count("video") > 30 and buyer.received_count("audio") > 50,
        lambda: f"agent got {agent.received_count('video')} video frames",
        timeout_s=10,
    )
    blackout = UplinkBlackout(buyer.pc)
    blackout.on = True
    cut_at = time.monotonic()
    await poll_until(
        lambda: bool(events_of(events, "media_stopped", "buyer-1")),
        lambda: f"events: {[e['type'] for e in events]}",
        timeout_s=5,
    )
    told_after_s = time.monotonic() - cut_at
    assert told_after_s >= MEDIA_STOPPED_S * 0.9
    stopped = events_of(events, "media_stopped", "buyer-1")[0]
    assert stopped["role"] == "buyer" and stopped["silent_ms"] >= 500
    assert not events_of(events, "media_stopped", "agent-1")  # the agent's media still flows
    await poll_until(lambda: time.monotonic() - cut_at >= BLACKOUT_S, lambda: "", timeout_s=5)
    blackout.on = False
    await poll_until(
        lambda: bool(events_of(events, "media_resumed", "buyer-1")),
        lambda: f"events: {[e['type'] for e in events]}",
        timeout_s=5,
    )
    resumed = events_of(events, "media_resumed", "buyer-1")[0]
    assert resumed["stall_ms"] >= BLACKOUT_S * 1000 * 0.8
    assert blackout.dropped > 0
    # the relay reads a round trip from the buyer's receiver reports (about a second apart)
    await poll_until(
        lambda: bool(relay._legs["buyer-1"].rtt_samples),
        lambda: "no round-trip sample",
        timeout_s=8,
    )

    await relay.close("buyer-1")
    [report] = events_of(events, "leg_quality", "buyer-1")
    assert report["role"] == "buyer"
    assert report["stalls"] >= 1
    assert report["worst_stall_ms"] >= BLACKOUT_S * 1000 * 0.8
    assert report["packets_expected"] > 100
    # audio is never retransmitted: its packets cut in the blackout stay lost
    assert report["packets_lost"] > 0
    assert report["rtt_ms"] is not None and 0 <= report["rtt_ms"] < 200  # loopback
    types = [e["type"] for e in events if e["participant_id"] == "buyer-1"]
    assert types.index("leg_quality") < types.index("closed")
