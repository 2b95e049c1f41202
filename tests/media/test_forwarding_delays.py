"""The relay records how long each forwarded frame spent inside it, per kind and
sending role, in a bounded record: from the tap's delivery to the RTP sender."""

from __future__ import annotations

import time
from collections import deque

import pytest

from server.relay import local
from server.relay.forwarding import EncodedFrame, ForwardingTrack, TrackSource
from server.relay.local import LocalRelay
from tests.helpers.peers import Client
from tests.helpers.waiting import poll_until


def _audio(timestamp: int, received_at: float) -> EncodedFrame:
    return EncodedFrame(b"\xfc", timestamp, 48000, "opus", True, received_at=received_at)


async def test_each_handed_over_frame_records_its_time_in_the_relay():
    record: deque[float] = deque(maxlen=3)
    source = TrackSource("audio")
    track = ForwardingTrack("audio", delay_record=record)
    track.attach(source)
    source.push(_audio(0, received_at=time.monotonic() - 0.05))
    await track.recv()
    assert len(record) == 1
    assert 0.05 <= record[0] < 1.0
    for index in range(1, 6):
        source.push(_audio(index * 960, received_at=time.monotonic()))
        await track.recv()
    assert len(record) == 3, "the record is bounded"
    assert all(0.0 <= delay < 0.05 for delay in record)


async def test_a_frame_without_a_delivery_time_is_not_recorded():
    record: deque[float] = deque()
    source = TrackSource("audio")
    track = ForwardingTrack("audio", delay_record=record)
    track.attach(source)
    source.push(EncodedFrame(b"\xfc", 0, 48000, "opus", True))
    await track.recv()
    assert not record


async def test_relay_records_buyer_frames_forwarded_to_the_agent(monkeypatch, clients):
    monkeypatch.setattr(local, "FORWARDING_DELAY_SAMPLES", 20)
    relay = LocalRelay(
        on_event=lambda event: None, ice_servers=[], connect_timeout_s=5.0, video_codecs=("VP8",)
    )
    try:
        buyer = Client()
        buyer.send("audio")
        buyer.send("video")
        agent = Client()
        agent.receive("audio")
        agent.receive("video")
        clients += [buyer, agent]
        for client, pid, role in ((buyer, "buyer-1", "buyer"), (agent, "agent-1", "agent")):
            await relay.open("call-1", pid, role)
            await client.accept(await relay.answer(pid, await client.offer()))
        audio = agent.captures["audio"]
        await poll_until(
            lambda: len(audio.frames) >= 30,
            lambda: f"agent got {len(audio.frames)} audio frames",
        )

        delays = relay.forwarding_delays("audio", from_role="buyer")
        assert len(delays) == 20, "the record keeps the newest FORWARDING_DELAY_SAMPLES"
        assert all(0.0 <= delay < 0.5 for delay in delays)
        assert relay.forwarding_delays("video", from_role="buyer")
        assert relay.forwarding_delays("audio", from_role="agent") == []
        assert relay.forwarding_delays("audio") == delays

        await relay.close_call("call-1")
        assert relay.forwarding_delays("audio", from_role="buyer"), "kept after the call"
        relay.clear_forwarding_delays()
        assert relay.forwarding_delays("audio") == []
        with pytest.raises(ValueError, match="kind"):
            relay.forwarding_delays("data")
    finally:
        await relay.aclose()
