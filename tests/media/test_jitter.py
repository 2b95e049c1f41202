"""Frame assembly for forwarding: a video frame leaves when its marker packet is in
(not one frame later), audio leaves at once, both in order."""

from __future__ import annotations

from aiortc.rtp import RtpPacket

from server.relay.jitter import CompleteFrameJitterBuffer, InOrderAudioBuffer

SSRC = 1234


def _packet(seq: int, timestamp: int, data: bytes, marker: bool = False) -> RtpPacket:
    packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=timestamp, ssrc=SSRC)
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


def test_frames_behind_a_packet_lost_for_good_are_given_up_after_the_wait():
    losses = []
    buffer = CompleteFrameJitterBuffer(on_loss=losses.append, max_wait_s=0.5)  # 45000 ticks
    released = _feed(
        buffer,
        [
            _packet(100, 3000, b"a"),  # 101 never comes, nor its retransmission
            _packet(102, 3000, b"c", marker=True),
            _packet(103, 6000, b"d", marker=True),
            _packet(104, 30000, b"e", marker=True),
            _packet(105, 48000, b"f", marker=True),  # 45000 ticks after frame 3000: given up
            _packet(106, 51000, b"g", marker=True),
        ],
    )
    assert released == [None] * 5 + [(51000, b"g")]
    assert losses == [4] and buffer.losses == 1  # frames 3000 to 48000, with what arrived


def test_a_retransmission_within_the_wait_completes_the_frame():
    losses = []
    buffer = CompleteFrameJitterBuffer(on_loss=losses.append, max_wait_s=0.5)
    released = _feed(
        buffer,
        [
            _packet(100, 3000, b"a", marker=True),
            _packet(102, 6000, b"c", marker=True),  # 101 (frame 4500) is late
            _packet(103, 30000, b"d", marker=True),
            _packet(101, 4500, b"b", marker=True),  # retransmitted
            _packet(104, 33000, b"e", marker=True),
            _packet(105, 36000, b"f", marker=True),
        ],
    )
    assert released == [(3000, b"a"), None, None, (4500, b"b"), (6000, b"c"), (30000, b"d")]
    assert losses == [] and buffer.losses == 0


def test_a_busy_relay_is_not_taken_for_a_loss():
    """Packets that queued while the relay's loop was busy arrive together: the wait is
    the sender's time between them, not the time the relay took to read them."""
    losses = []
    buffer = CompleteFrameJitterBuffer(on_loss=losses.append, max_wait_s=0.5)
    packets = [_packet(100, 3000, b"a", marker=True), _packet(102, 6000, b"c", marker=True)]
    packets += [_packet(103 + n, 9000 + 3000 * n, b"x", marker=True) for n in range(5)]
    packets.append(_packet(101, 4500, b"b", marker=True))  # the retransmission, behind them
    released = _feed(buffer, packets)
    assert released[-1] == (4500, b"b") and losses == []


def test_without_a_loss_handler_a_give_up_asks_aiortc_for_a_keyframe():
    buffer = CompleteFrameJitterBuffer(max_wait_s=0.5)
    flags = [
        buffer.add(packet)[0]
        for packet in (
            _packet(100, 3000, b"a"),
            _packet(102, 6000, b"c", marker=True),
            _packet(103, 60000, b"d", marker=True),
        )
    ]
    assert flags == [False, False, True]


def test_a_jump_back_in_sequence_numbers_is_reported_as_a_loss():
    losses = []
    buffer = CompleteFrameJitterBuffer(on_loss=losses.append)
    _feed(buffer, [_packet(5000, 3000, b"a", marker=True), _packet(5001, 6000, b"b")])
    _, frame = buffer.add(_packet(100, 9000, b"x", marker=True))  # the sender started over
    assert losses == [0] and frame is not None and frame.data == b"x"
