"""The bandwidth the relay tells a sending browser it may use (server/relay/bandwidth.py):
it climbs past what the sender uses now while the path shows no queueing, up to the
configured ceiling, never below the floor, and never above what the receiving side
says it can take."""

from __future__ import annotations

from server.relay.bandwidth import MIN_BITRATE_BPS, ReceiveBandwidth, follow_receiver_estimate
from server.relay.forwarding import ForwardingTrack
from server.relay.local import LocalRelay
from tests.helpers.peers import Client
from tests.helpers.waiting import poll_until

PACKET_BYTES = 1000
SSRC = 42


def _steady(estimator: ReceiveBandwidth, kbps: int, seconds: float) -> list[int]:
    """Packets at ``kbps`` that arrive exactly as they were sent (no queue anywhere);
    the estimates the receiver would have sent."""
    sent: list[int] = []
    interval_ms = PACKET_BYTES * 8 / kbps
    for i in range(int(seconds * 1000 / interval_ms)):
        at_ms = i * interval_ms
        abs_send_time = int(at_ms / 1000 * (1 << 18)) & 0xFFFFFF  # 6.18 fixed point seconds
        update = estimator.add(int(at_ms) + 10_000, abs_send_time, PACKET_BYTES, SSRC)
        if update is not None:
            sent.append(update[0])
    return sent


def test_an_idle_path_lets_the_estimate_climb_past_what_the_sender_uses_up_to_the_ceiling():
    estimator = ReceiveBandwidth(max_bitrate_bps=1_500_000)
    estimates = _steady(estimator, kbps=400, seconds=30)
    assert estimates[0] >= MIN_BITRATE_BPS  # from the first report, not after 3 s
    assert max(estimates) > 1.5 * 400_000 + 10_000  # aiortc's clamp would stop here
    assert estimates[-1] == 1_500_000


def test_the_estimate_is_never_above_the_receiving_side_nor_below_the_floor():
    capped = ReceiveBandwidth(max_bitrate_bps=2_500_000, downstream=lambda: 700_000)
    assert max(_steady(capped, kbps=400, seconds=30)) == 700_000
    starved = ReceiveBandwidth(max_bitrate_bps=2_500_000, downstream=lambda: 50_000)
    assert set(_steady(starved, kbps=400, seconds=5)) == {MIN_BITRATE_BPS}


async def test_the_sender_hears_no_more_than_the_relays_ceiling_and_the_receivers_estimate(
    events, clients
):
    relay = LocalRelay(
        on_event=events.append,
        ice_servers=[],
        connect_timeout_s=5.0,
        video_codecs=["VP8"],
        max_bitrate_bps=1_000_000,
    )
    try:
        buyer, agent = Client(), Client()
        buyer.send("video")
        agent.receive("video")
        clients += [buyer, agent]
        heard = ForwardingTrack("video")  # holds the REMB that reaches the buyer's sender
        follow_receiver_estimate(buyer.transceivers["video"].sender, heard)
        for client, pid, role in ((buyer, "buyer-1", "buyer"), (agent, "agent-1", "agent")):
            await relay.open("call-1", pid, role)
            await client.accept(await relay.answer(pid, await client.offer()))
        sink = relay.sinks("agent-1")[0]
        await poll_until(
            lambda: (
                heard.receiver_estimate_bps is not None and sink.receiver_estimate_bps is not None
            ),
            lambda: (
                f"buyer heard {heard.receiver_estimate_bps}, "
                f"agent said {sink.receiver_estimate_bps}"
            ),
            timeout_s=15,
        )
        assert MIN_BITRATE_BPS <= heard.receiver_estimate_bps <= 1_000_000
        assert heard.receiver_estimate_bps <= max(sink.receiver_estimate_bps, MIN_BITRATE_BPS)
    finally:
        await relay.aclose()
