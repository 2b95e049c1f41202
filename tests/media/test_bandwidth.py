"""The bandwidth the relay tells a sending browser it may use (server/relay/bandwidth.py):
it climbs past what the sender uses now while the path shows no queueing, up to the
configured ceiling, never below the floor, and never above what the receiving side
says it can take; a queue overflowing (a tenth or more of the first transmissions lost)
cuts it, a lossy radio link's few percent do not."""

from __future__ import annotations

from aiortc.rate import BandwidthUsage

from server.relay.bandwidth import (
    LOSS_HOLD_MS,
    MIN_BITRATE_BPS,
    ClimbingRate,
    LossCounter,
    ReceiveBandwidth,
    announce_video_bitrates,
    follow_receiver_estimate,
)
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

        def follows() -> bool:
            told, said = heard.receiver_estimate_bps, sink.receiver_estimate_bps
            return told is not None and said is not None and told <= max(said, MIN_BITRATE_BPS)

        # before the agent's first REMB the buyer may hear the ceiling; after it, no more
        await poll_until(
            follows,
            lambda: (
                f"buyer heard {heard.receiver_estimate_bps}, "
                f"agent said {sink.receiver_estimate_bps}"
            ),
            timeout_s=15,
        )
        assert MIN_BITRATE_BPS <= heard.receiver_estimate_bps <= 1_000_000
    finally:
        await relay.aclose()


# ------------------------------------------------------------- the rate, as a pure class


def _rate(**kwargs: int) -> ClimbingRate:
    return ClimbingRate(
        **{"start_bps": 800_000, "min_bps": 300_000, "max_bps": 1_500_000, **kwargs}
    )


def test_the_rate_starts_at_its_start_and_climbs_multiplicatively_to_the_ceiling():
    rate = _rate()
    assert rate.current_bitrate == 800_000
    seen = [rate.update(BandwidthUsage.NORMAL, 700_000, ms) for ms in range(0, 20_000, 500)]
    assert seen[0] == 800_000
    assert 800_000 * 1.07 < seen[2] < 800_000 * 1.09  # about 8% in the first second
    assert seen[-1] == 1_500_000  # and never over the ceiling


def test_a_sustained_overuse_cuts_to_below_what_arrives_and_the_rate_climbs_again():
    rate = _rate()
    for ms in range(0, 5_000, 500):
        rate.update(BandwidthUsage.NORMAL, 900_000, ms)
    for ms in range(5_000, 6_200, 20):  # the detector says so on every packet
        rate.update(BandwidthUsage.OVERUSING, 1_000_000, ms)
    cut = rate.current_bitrate
    assert cut == 850_000
    assert rate.update(BandwidthUsage.UNDERUSING, 800_000, 6_300) == cut  # draining: hold
    after = [rate.update(BandwidthUsage.NORMAL, 800_000, ms) for ms in range(6_500, 16_500, 500)]
    assert after[-1] > 1.5 * cut  # multiplicative again, not an additive crawl


def test_an_overuse_shorter_than_a_queue_holds_the_rate_instead_of_cutting_it():
    rate = _rate()
    rate.update(BandwidthUsage.NORMAL, 600_000, 0)
    for ms in range(100, 900, 20):  # a busy moment's burst, or jitter on a loaded machine
        rate.update(BandwidthUsage.OVERUSING, 600_000, ms)
    assert 800_000 <= rate.update(BandwidthUsage.NORMAL, 600_000, 1_000) < 810_000  # no cut


def test_the_rate_stays_within_its_floor_and_ceiling():
    assert _rate(start_bps=5_000_000).current_bitrate == 1_500_000
    rate = _rate()
    for ms in range(0, 2_000, 20):
        rate.update(BandwidthUsage.OVERUSING, 50_000, ms)
    assert rate.current_bitrate == 300_000


def test_the_answer_tells_chromium_the_start_and_ceiling_of_each_video_codec_only():
    sdp = "\r\n".join(
        [
            "v=0",
            "m=video 9 UDP/TLS/RTP/SAVPF 97 98 99 100",
            "a=rtpmap:97 VP8/90000",
            "a=rtcp-fb:97 nack",
            "a=rtpmap:98 rtx/90000",
            "a=fmtp:98 apt=97",
            "a=rtpmap:99 H264/90000",
            "a=fmtp:99 packetization-mode=1",
            "a=rtpmap:100 rtx/90000",
            "a=fmtp:100 apt=99",
            "m=audio 9 UDP/TLS/RTP/SAVPF 96",
            "a=rtpmap:96 opus/48000/2",
            "",
        ]
    )
    lines = announce_video_bitrates(sdp, start_bps=800_000, max_bps=1_500_000).split("\r\n")
    params = "x-google-start-bitrate=800;x-google-max-bitrate=1500"
    assert lines[3] == f"a=fmtp:97 {params}"  # made, right after its rtpmap
    assert f"a=fmtp:99 packetization-mode=1;{params}" in lines
    assert "a=fmtp:98 apt=97" in lines and "a=fmtp:100 apt=99" in lines
    assert not any(line.startswith("a=fmtp:96") for line in lines)
    assert lines[-1] == ""
    start_over_max = announce_video_bitrates(sdp, start_bps=3_000_000, max_bps=1_500_000)
    assert "x-google-start-bitrate=1500;" in start_over_max


def test_verdicts_that_flicker_between_normal_and_underuse_still_let_the_rate_climb():
    rate = _rate()
    for ms in range(0, 20_000, 250):
        usage = BandwidthUsage.NORMAL if ms % 500 == 0 else BandwidthUsage.UNDERUSING
        rate.update(usage, 700_000, ms)
    assert rate.current_bitrate > 1.3 * 800_000


# ------------------------------------------------------------- loss the sender cannot see


def test_the_loss_counter_counts_skipped_first_transmissions_per_window_not_retransmissions():
    counter = LossCounter(window=10)
    shares = [counter.seen(n) for n in (100, 101, 103, 102, 104, 105, 108, 109, 110)]
    # 102 came late (a retransmission): 103 had counted it lost, as a receiver report does
    assert shares == [None] * 8 + [0.3]  # 101..110: 102, 106 and 107 never came first
    assert counter.seen(110) is None  # a duplicate counts for nothing
    wrapped = LossCounter(window=4)
    assert [wrapped.seen(n) for n in (65534, 65535, 0, 2)] == [None, None, None, 0.25]


def test_a_window_with_a_tenth_lost_cuts_below_what_arrives_and_holds_before_climbing():
    rate = _rate()
    rate.update(BandwidthUsage.NORMAL, 900_000, 0)
    assert rate.lost(0.15, 500) == 765_000  # 0.85 x what arrives
    held = [rate.update(BandwidthUsage.NORMAL, 760_000, ms) for ms in (700, 1_000, 1_400)]
    assert held == [765_000] * 3  # the overflowed queue drains first
    assert rate.update(BandwidthUsage.NORMAL, 760_000, 500 + LOSS_HOLD_MS + 500) > 765_000
    assert rate.lost(0.5, 500 + LOSS_HOLD_MS + 600) < 765_000  # and again on a new overflow


def test_a_lossy_radio_link_does_not_cut_the_rate():
    rate = _rate()
    rate.update(BandwidthUsage.NORMAL, 900_000, 0)
    for ms in range(500, 10_500, 500):
        rate.lost(0.05, ms)  # 5% lost: the relay asks for each again, nothing to cut for
        rate.update(BandwidthUsage.NORMAL, 900_000, ms)
    assert rate.current_bitrate > 1_000_000


def test_the_estimator_sends_a_lower_rate_at_once_after_the_stream_loses_a_fifth_of_its_packets():
    estimator = ReceiveBandwidth(max_bitrate_bps=2_500_000, start_bitrate_bps=1_000_000)
    sent: list[int] = []
    told_at_once = []
    sequence_number = 0
    for i in range(600):  # 1000-byte packets at 1 Mbps for 4.8 s, a fifth never arrive
        at_ms = i * 8
        sequence_number += 1
        if i % 5 == 4 and i >= 300:
            continue  # lost on the way in from 2.4 s on
        cuts = estimator.loss_cuts
        estimator.packet(sequence_number)
        abs_send_time = int(at_ms / 1000 * (1 << 18)) & 0xFFFFFF
        update = estimator.add(at_ms + 10_000, abs_send_time, PACKET_BYTES, SSRC)
        if update is not None:
            sent.append(update[0])
        if estimator.loss_cuts > cuts:  # this packet's REMB carries the cut
            told_at_once.append(update is not None and update[0] < max(sent[:-1]))
    assert told_at_once and all(told_at_once), told_at_once
    assert sent[-1] < 1_000_000, sent  # below the start, where no loss had cut it
    assert max(sent[: len(sent) // 2]) >= 1_000_000, sent


def test_fec_bytes_handed_in_with_an_empty_slot_count_in_the_rate_that_arrives():
    plain, with_fec = ReceiveBandwidth(), ReceiveBandwidth()
    for i in range(100):  # 1 s of 1000-byte media, each followed by a 500-byte FEC slot
        at_ms, send = 10_000 + 10 * i, int(i / 100 * (1 << 18))
        for estimator in (plain, with_fec):
            estimator.add(at_ms, send, PACKET_BYTES, SSRC)
        with_fec.fec_bytes(500)
        for estimator in (plain, with_fec):
            estimator.add(at_ms + 1, send, 0, SSRC)  # the slot: no payload of its own
    now = 10_000 + 10 * 99 + 1
    ratio = with_fec.incoming_bitrate.rate(now) / plain.incoming_bitrate.rate(now)
    assert abs(ratio - 1.5) < 0.001, ratio
