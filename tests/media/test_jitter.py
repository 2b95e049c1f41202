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
