"""Frame assembly for forwarding: a video frame leaves when its marker packet is in
(not one frame later), audio leaves at once, both in order."""

from __future__ import annotations

import pytest
from aiortc.rtp import RtpPacket

from server.relay.jitter import (
    MAX_FRAME_WAIT_S,
    RECORDER_FRAME_WAIT_S,
    CompleteFrameJitterBuffer,
    InOrderAudioBuffer,
)

SSRC = 1234


def _packet(seq: int, timestamp: int, data: bytes, marker: bool = False) -> RtpPacket:
    packet = RtpPacket(
        payload_type=96, sequence_number=seq, timestamp=timestamp, ssrc=SSRC, payload=data
    )
    packet.marker = int(marker)
    packet._data = data  # type: ignore[attr-defined]
    return packet


def _feed(buffer, packets: list[RtpPacket]) -> list[tuple[int, bytes] | None]:
    out = []
    for packet in packets:
        _, frame = buffer.add(packet)
        out.append(None if frame is None else (frame.timestamp, frame.data))
    return out


def test_video_frame_is_released_when_its_marker_packet_arrives():
    buffer = CompleteFrameJitterBuffer()
    released = _feed(
        buffer,
        [
            _packet(100, 3000, b"a"),
            _packet(101, 3000, b"b"),
            _packet(102, 3000, b"c", marker=True),
            _packet(103, 6000, b"d", marker=True),
        ],
    )
    assert released == [None, None, (3000, b"abc"), (6000, b"d")]
    assert buffer.media_ssrc == SSRC


def test_stock_rule_waits_for_the_next_frame():
    buffer = CompleteFrameJitterBuffer(release_on_marker=False)
    released = _feed(
        buffer,
        [_packet(100, 3000, b"a"), _packet(101, 3000, b"b", True), _packet(102, 6000, b"c")],
    )
    assert released == [None, None, (3000, b"ab")]


def test_frame_with_a_missing_packet_waits_for_the_retransmission():
    buffer = CompleteFrameJitterBuffer()
    released = _feed(
        buffer,
        [
            _packet(100, 3000, b"a"),
            _packet(102, 3000, b"c", marker=True),
            _packet(101, 3000, b"b"),  # retransmitted
        ],
    )
    assert released == [None, None, (3000, b"abc")]


def test_late_duplicate_of_a_released_frame_is_ignored():
    buffer = CompleteFrameJitterBuffer()
    released = _feed(
        buffer,
        [
            _packet(100, 3000, b"a", marker=True),
            _packet(100, 3000, b"a", marker=True),
            _packet(101, 6000, b"b", marker=True),
        ],
    )
    assert released == [(3000, b"a"), None, (6000, b"b")]


def test_audio_packets_leave_at_once_and_late_ones_are_dropped():
    buffer = InOrderAudioBuffer()
    released = _feed(
        buffer,
        [
            _packet(10, 960, b"x"),
            _packet(12, 2880, b"z"),
            _packet(11, 1920, b"y"),  # late: the receiving browser has moved on
            _packet(13, 3840, b"w"),
        ],
    )
    assert released == [(960, b"x"), (2880, b"z"), None, (3840, b"w")]
    assert buffer.media_ssrc == SSRC


class _Clock:
    """The relay's clock, set by the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _lossy_buffer() -> tuple[CompleteFrameJitterBuffer, _Clock, list[int]]:
    clock, losses = _Clock(), []
    buffer = CompleteFrameJitterBuffer(
        on_loss=losses.append, max_wait_s=0.5, min_wall_wait_s=0.2, clock=clock
    )
    return buffer, clock, losses


def _feed_at(buffer, clock: _Clock, timed: list[tuple[float, RtpPacket]]) -> list:
    """Feed packets at relay times; 30 fps video: 3000 ticks (33 ms) a frame."""
    out = []
    for at, packet in timed:
        clock.now = at
        _, frame = buffer.add(packet)
        out.append(None if frame is None else (frame.timestamp, frame.data))
    return out


def _frame(seq: int, n: int, data: bytes = b"x") -> tuple[float, RtpPacket]:
    """Frame ``n`` of a 30 fps stream, one packet, arriving on time."""
    return (n / 30, _packet(seq, 3000 * n, data, marker=True))


def test_frames_behind_a_packet_lost_for_good_are_given_up_after_the_wait():
    buffer, clock, losses = _lossy_buffer()
    timed = [(0.0, _packet(100, 0, b"a")), (0.0, _packet(102, 0, b"c", marker=True))]
    timed += [_frame(102 + n, n) for n in range(1, 16)]  # 101 never comes, nor its retransmission
    timed += [_frame(118, 16, b"after")]
    released = _feed_at(buffer, clock, timed)
    # frame 15 is 0.5 s of RTP time after frame 1 (the first after the gap): given up
    assert released == [None] * 17 + [(48000, b"after")]
    assert losses == [16] and buffer.losses == 1  # frames 0 to 15, with what arrived


def test_a_retransmission_within_the_wait_completes_the_frame():
    buffer, clock, losses = _lossy_buffer()
    timed = [_frame(100, 0, b"a"), _frame(102, 2, b"c")]  # 101 (frame 1) is late
    timed += [_frame(103, 10, b"d"), (0.4, _packet(101, 3000, b"b", marker=True))]
    timed += [_frame(104, 13), _frame(105, 14)]
    released = _feed_at(buffer, clock, timed)
    assert released == [(0, b"a"), None, None, (3000, b"b"), (6000, b"c"), (30000, b"d")]
    assert losses == []


def test_a_busy_relay_is_not_taken_for_a_loss():
    """Packets that queued while the relay's loop was busy arrive together, seconds of
    the sender's time in an instant; the retransmission is behind them."""
    buffer, clock, losses = _lossy_buffer()
    timed = [_frame(100, 0)]  # then a stall; 101 was lost, which shows after it
    timed += [(1.0, _packet(100 + n, 3000 * n, b"x", marker=True)) for n in range(2, 32)]
    timed += [(1.05, _packet(101, 3000, b"b", marker=True))]  # the retransmission
    released = _feed_at(buffer, clock, timed)
    assert released[-1] == (3000, b"b") and losses == []


def test_at_a_low_frame_rate_a_lost_marker_packet_still_gets_its_retransmission():
    """The wait counts from the first packet after the gap, not from the stuck frame:
    at 1 fps the next frame comes a second after it."""
    buffer, clock, losses = _lossy_buffer()
    timed = [(0.0, _packet(100, 0, b"a")), (1.0, _packet(102, 90000, b"c", marker=True))]
    timed += [(1.05, _packet(101, 0, b"b", marker=True))]  # 101 ended frame 0; retransmitted
    released = _feed_at(buffer, clock, timed)
    assert released == [None, None, (0, b"ab")] and losses == []


def test_loss_across_the_sequence_number_wrap():
    buffer, clock, losses = _lossy_buffer()
    timed = [(0.0, _packet(65534, 0, b"a")), (0.0, _packet(0, 0, b"c", marker=True))]
    timed += [_frame(n, n) for n in range(1, 17)]  # 65535 lost
    released = _feed_at(buffer, clock, timed)
    assert released[-1] == (48000, b"x") and losses == [16]


def test_loss_across_the_timestamp_wrap():
    buffer, clock, losses = _lossy_buffer()
    start = (1 << 32) - 6000
    timed = [(0.0, _packet(100, start, b"a"))]  # 101 lost
    timed += [
        (n / 30, _packet(101 + n, (start + 3000 * n) % (1 << 32), b"x", True)) for n in range(1, 18)
    ]
    released = _feed_at(buffer, clock, timed)
    assert released[-1] == ((start + 3000 * 17) % (1 << 32), b"x") and len(losses) == 1


def test_a_late_retransmission_after_a_give_up_is_dropped():
    """aiortc's own buffer takes a packet 100 or more behind for a sender that started
    over and empties itself; this one is just late."""
    buffer, clock, losses = _lossy_buffer()
    timed = [_frame(100, 0), (0.0, _packet(102, 3000, b"y", marker=True))]  # 101 lost
    timed += [_frame(102 + n, n + 1) for n in range(1, 150)]
    _feed_at(buffer, clock, timed)
    assert len(losses) == 1
    late = _feed_at(buffer, clock, [(5.1, _packet(101, 3000, b"b"))])
    after = _feed_at(buffer, clock, [_frame(252, 151, b"next")])
    assert late == [None] and after == [(453000, b"next")] and len(losses) == 1


def test_without_a_loss_handler_a_give_up_asks_aiortc_for_a_keyframe():
    buffer = CompleteFrameJitterBuffer(max_wait_s=0.5, min_wall_wait_s=0.0)
    packets = [_packet(100, 0, b"a"), _packet(102, 3000, b"c", True)]
    packets.append(_packet(103, 60000, b"d", True))
    assert [buffer.add(packet)[0] for packet in packets] == [False, False, True]


def test_a_sender_that_starts_over_is_reported_as_a_loss():
    losses = []
    buffer = CompleteFrameJitterBuffer(on_loss=losses.append)
    _feed(buffer, [_packet(5000, 3000, b"a", marker=True), _packet(5001, 6000, b"b")])
    _, frame = buffer.add(_packet(100, 2_000_000_000, b"x", marker=True))  # new numbering
    assert losses == [0] and frame is not None and frame.data == b"x"


def test_the_wait_must_be_positive():
    with pytest.raises(ValueError):
        CompleteFrameJitterBuffer(max_wait_s=0)


def test_the_recorders_frames_wait_for_a_second_retransmission_the_live_picture_gives_up_on():
    """A packet whose retransmission comes 0.8 s of media (and wall time) later: the live
    picture's buffer has given up its frame by then; the recorder's (packets forwarded as
    they come) still completes it, and every frame after it."""

    def run(max_wait_s: float) -> tuple[list[int], int]:
        now = [0.0]
        losses: list[int] = []
        buffer = CompleteFrameJitterBuffer(
            max_wait_s=max_wait_s, clock=lambda: now[0], on_loss=losses.append
        )
        released: list[int] = []
        packets = [_packet(100, 0, b"a"), _packet(102, 0, b"c", marker=True)]
        packets += [_packet(102 + n, 3000 * n, b"x", marker=True) for n in range(1, 25)]
        for index, packet in enumerate(packets):
            now[0] = index / 30  # one frame of 30 fps per packet after the first
            _, frame = buffer.add(packet)
            if frame is not None:
                released.append(frame.timestamp)
        later = [_packet(101, 0, b"b")]  # the retransmission, 0.8 s late
        later += [_packet(127 + n, 3000 * (25 + n), b"y", marker=True) for n in range(30)]
        for packet in later:  # aiortc's contract: at most one frame out per packet in
            now[0] += 1 / 30
            _, frame = buffer.add(packet)
            if frame is not None:
                released.append(frame.timestamp)
        return released, len(losses)

    assert MAX_FRAME_WAIT_S < 0.8 < RECORDER_FRAME_WAIT_S
    live, live_losses = run(MAX_FRAME_WAIT_S)
    assert live_losses == 1 and 0 not in live  # given up: a hole and a keyframe request
    recorded, recorded_losses = run(RECORDER_FRAME_WAIT_S)
    assert recorded_losses == 0
    assert recorded == [3000 * n for n in range(len(recorded))]  # in order, none missing
    assert len(recorded) > 26  # past the frames that had waited on the gap


def _vp8(seq: int, timestamp: int, picture_id: int, *, start: bool, marker: bool) -> RtpPacket:
    """A VP8 packet whose descriptor carries a 15-bit picture id (RFC 7741)."""
    descriptor = bytes((0x90 if start else 0x80, 0x80, 0x80 | picture_id >> 8, picture_id & 0xFF))
    packet = _packet(seq, timestamp, b"frame %d" % picture_id, marker)
    packet.payload = descriptor + packet._data  # type: ignore[attr-defined]
    return packet


def _slot(seq: int, timestamp: int) -> RtpPacket:
    """An empty packet: padding, or the slot of an FEC packet (server/relay/fec.py)."""
    packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=timestamp, ssrc=SSRC)
    packet._data = b""  # type: ignore[attr-defined]
    return packet


def test_an_empty_packet_between_frames_is_passed_over_not_released_as_a_frame():
    buffer = CompleteFrameJitterBuffer()
    out = _feed(
        buffer,
        [_packet(1, 3000, b"a", True), _slot(2, 3000), _packet(3, 6000, b"b", True)],
    )
    assert out == [(3000, b"a"), None, (6000, b"b")]


def test_a_gap_before_the_next_vp8_picture_is_not_waited_for():
    buffer = CompleteFrameJitterBuffer(picture_ids=True)
    out = _feed(
        buffer,
        [
            _vp8(10, 3000, 32767, start=True, marker=False),
            _vp8(11, 3000, 32767, start=False, marker=True),
            # 12 and 13 lost: FEC packets, never retransmitted
            _vp8(14, 6000, 0, start=True, marker=True),  # the next picture id (wrapped)
        ],
    )
    assert [f and f[0] for f in out] == [None, 3000, 6000]
    assert buffer.losses == 0


def test_a_gap_before_a_later_vp8_picture_is_waited_for():
    buffer = CompleteFrameJitterBuffer(picture_ids=True)
    out = _feed(
        buffer,
        [
            _vp8(10, 3000, 5, start=True, marker=True),
            _vp8(12, 9000, 7, start=True, marker=True),  # picture 6 was in 11
        ],
    )
    assert [f and f[0] for f in out] == [3000, None]
    assert _feed(buffer, [_vp8(11, 6000, 6, start=True, marker=True)]) == [(6000, b"frame 6")]


def test_without_picture_ids_a_gap_between_frames_is_waited_for():
    buffer = CompleteFrameJitterBuffer()
    out = _feed(
        buffer,
        [
            _vp8(10, 3000, 5, start=True, marker=True),
            _vp8(12, 6000, 6, start=True, marker=True),
        ],
    )
    assert [f and f[0] for f in out] == [3000, None]
