"""Per-leg RTP rewriting and the NACK history of a packet-forwarding relay (pure parts)."""

from __future__ import annotations

import pytest
from aiortc.rtp import RtpPacket

from server.relay.rtp_legs import LegRewriter, PacketHistory, sequence_number


def _packet(sequence: int, timestamp: int, ssrc: int = 1111, payload: bytes = b"vp8") -> bytes:
    return RtpPacket(
        payload_type=96,
        marker=1,
        sequence_number=sequence,
        timestamp=timestamp,
        ssrc=ssrc,
        payload=payload,
    ).serialize()


def _parse(data: bytes) -> RtpPacket:
    return RtpPacket.parse(data)


def test_a_gap_on_the_way_in_is_the_same_gap_on_the_way_out():
    leg = LegRewriter(ssrc=4242, first_sequence=1000, first_timestamp=90000)
    sent = [_parse(leg.rewrite(_packet(s, 3000 * s))) for s in (10, 11, 13, 14)]
    assert [p.sequence_number for p in sent] == [1000, 1001, 1003, 1004]
    assert [p.timestamp for p in sent] == [90000, 93000, 99000, 102000]
    assert {p.ssrc for p in sent} == {4242}
    assert all(p.payload == b"vp8" and p.marker == 1 and p.payload_type == 96 for p in sent)


def test_a_retransmission_or_late_packet_takes_its_own_place():
    leg = LegRewriter(ssrc=1, first_sequence=500, first_timestamp=0)
    for sequence in (20, 21, 23):
        leg.rewrite(_packet(sequence, 0))
    late = _parse(leg.rewrite(_packet(22, 0)))
    assert late.sequence_number == 502
    after = _parse(leg.rewrite(_packet(24, 0)))
    assert after.sequence_number == 504


def test_numbers_wrap_around():
    leg = LegRewriter(ssrc=1, first_sequence=65534, first_timestamp=(1 << 32) - 10)
    sent = [_parse(leg.rewrite(_packet(s, 100 + 5 * s))) for s in (0, 1, 2, 3)]
    assert [p.sequence_number for p in sent] == [65534, 65535, 0, 1]
    assert [p.timestamp for p in sent] == [(1 << 32) - 10, (1 << 32) - 5, 0, 5]


def test_a_new_incoming_stream_continues_the_legs_numbering():
    leg = LegRewriter(ssrc=9, first_sequence=100, first_timestamp=1000)
    leg.rewrite(_packet(7, 50, ssrc=1))
    leg.rewrite(_packet(8, 80, ssrc=1))
    restarted = _parse(leg.rewrite(_packet(30000, 777777, ssrc=2)))
    assert restarted.ssrc == 9
    assert restarted.sequence_number == 102
    assert restarted.timestamp == 1031
    following = _parse(leg.rewrite(_packet(30001, 777877, ssrc=2)))
    assert (following.sequence_number, following.timestamp) == (103, 1131)


@pytest.mark.parametrize("data", [b"", b"\x80" * 11, bytes([0x40]) + b"\x00" * 15])
def test_what_is_not_rtp_is_refused(data):
    with pytest.raises(ValueError):
        LegRewriter(ssrc=1, first_sequence=0, first_timestamp=0).rewrite(data)


def test_the_history_answers_a_nack_with_the_packets_it_still_holds():
    history = PacketHistory(capacity=4)
    for sequence in range(100, 106):
        history.add(_packet(sequence, 0, payload=bytes([sequence])))
    # 100 and 101 were overwritten by 104 and 105.
    assert history.get(100) is None
    assert history.get(104) is not None and sequence_number(history.get(104)) == 104
    answered = history.answer([101, 103, 102, 200])
    assert [sequence_number(p) for p in answered] == [103, 102]
    assert _parse(answered[0]).payload == bytes([103])


def test_the_history_keeps_the_rewritten_packets_across_a_wrap():
    leg = LegRewriter(ssrc=3, first_sequence=65535, first_timestamp=0)
    history = PacketHistory(capacity=8)
    for sequence in range(5):
        history.add(leg.rewrite(_packet(sequence, 0)))
    assert [sequence_number(p) for p in history.answer([65535, 0, 3])] == [65535, 0, 3]
    assert history.get(4) is None


def test_a_history_needs_room():
    with pytest.raises(ValueError):
        PacketHistory(capacity=0)
