"""ForwardingTrack's contract with synthetic frames (no network)."""

from __future__ import annotations

import asyncio

import pytest
from aiortc.mediastreams import MediaStreamError

from server.relay.forwarding import EncodedFrame, ForwardingTrack, TrackSource


def _video(timestamp: int, key: bool, tag: bytes = b"") -> EncodedFrame:
    data = (b"\x00" if key else b"\x01") + tag
    return EncodedFrame(data, timestamp, 90000, "VP8", key)


class _CountingSource(TrackSource):
    def __init__(self, kind: str = "video") -> None:
        super().__init__(kind, keyframe_requester=self._count)
        self.requests = 0

    def _count(self) -> bool:
        self.requests += 1
        return True


async def test_video_starts_at_a_keyframe_and_asks_for_one():
    source = _CountingSource()
    track = ForwardingTrack("video")
    track.attach(source)
    assert source.requests == 1, "attaching must ask for a keyframe at once"
    source.push(_video(0, key=False))
    assert track.queue_length == 0
    assert source.requests == 2
    source.push(_video(3000, key=True))
    source.push(_video(6000, key=False))
    assert bytes(await track.recv())[0] == 0


async def test_first_read_skips_a_backlog_to_the_newest_keyframe():
    source = TrackSource("video")
    track = ForwardingTrack("video")
    track.attach(source)
    for index, key in enumerate([True, False, False, True, False]):
        source.push(_video(index * 3000, key, tag=bytes([index])))
    packet = await track.recv()
    assert bytes(packet) == b"\x00\x03"
    assert track.frames_dropped == 3


async def test_timestamps_stay_monotonic_when_the_source_changes():
    first, second = TrackSource("video"), TrackSource("video")
    track = ForwardingTrack("video")
    track.attach(first)
    first.push(_video(50_000, key=True))
    first.push(_video(53_000, key=False))
    a = await track.recv()
    b = await track.recv()
    assert (a.pts, b.pts) == (0, 3000)
    assert a.time_base.denominator == 90000
    track.attach(second)
    second.push(_video(0, key=True))
    c = await track.recv()
    assert c.pts > b.pts
    assert first.sinks == ()
    assert second.sinks == (track,)


async def test_stopping_the_track_ends_a_pending_recv():
    track = ForwardingTrack("audio")
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    track.stop()
    with pytest.raises(MediaStreamError):
        await pending


async def test_timestamps_keep_counting_across_the_rtp_timestamp_wrap():
    source = TrackSource("audio")
    track = ForwardingTrack("audio")
    track.attach(source)
    start = 2**32 - 2 * 960  # a browser's random start, two Opus frames before the wrap
    raw = [(start + n * 960) % 2**32 for n in range(5)]
    pts = []
    for timestamp in raw:
        source.push(EncodedFrame(b"\xfc", timestamp, 48000, "opus", False))
        pts.append((await track.recv()).pts)
    assert raw[2] < raw[1]  # the source did wrap
    assert pts == [0, 960, 1920, 2880, 3840]


def test_a_reordered_frame_from_before_the_wrap_stays_before_it():
    track = ForwardingTrack("audio")
    late = 2**32 - 960
    unwrapped = [track._unwrapped(t) for t in (late - 960, 0, late, 960)]  # noqa: SLF001
    assert unwrapped == [late - 960, 2**32, late, 2**32 + 960]
