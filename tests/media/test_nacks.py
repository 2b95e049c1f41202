"""Asking again for a missing video packet (server/relay/nacks.py): a request is
repeated once a round trip has passed without the packet, stops when the packet comes
or is too old for the jitter buffer, and the round trip is learnt from the
retransmissions that arrive."""

from __future__ import annotations

from aiortc.rtp import RtpPacket

from server.relay.nacks import RepeatingNacks


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _packet(seq: int) -> RtpPacket:
    return RtpPacket(payload_type=96, sequence_number=seq, timestamp=seq * 3000, ssrc=1)


def _stream(nacks: RepeatingNacks, clock: Clock, seqs: range, step_s: float) -> list[int]:
    """Feed ``seqs`` one per ``step_s``; the sequence numbers at which a NACK went out."""
    asked = []
    for seq in seqs:
        clock.now += step_s
        if nacks.add(_packet(seq)):
            asked.append(seq)
    return asked


def test_a_missing_packet_is_asked_for_again_every_round_trip_until_it_is_too_old():
    clock = Clock()
    nacks = RepeatingNacks(clock=clock)
    _stream(nacks, clock, range(0, 10), 0.01)
    assert _stream(nacks, clock, range(11, 12), 0.01) == [11]  # the gap: aiortc's own NACK
    interval, wait = nacks.repeat_interval_s, nacks.max_age_s

    end = 12 + int(3 * wait / 0.01)
    asked = _stream(nacks, clock, range(12, end), 0.01)

    assert len(asked) == int(wait / interval), (asked, interval, wait)
    assert 10 not in nacks.missing  # given up: no more requests for it
    assert _stream(nacks, clock, range(end, end + 100), 0.01) == []


def test_a_packet_that_arrives_is_no_longer_asked_for_and_times_the_round_trip():
    clock = Clock()
    nacks = RepeatingNacks(clock=clock)
    _stream(nacks, clock, range(0, 10), 0.01)
    _stream(nacks, clock, range(11, 20), 0.01)  # 10 is missing, asked for at 11
    clock.now += 0.05
    assert not nacks.add(_packet(10))  # its retransmission, 0.14 s after the request
    assert _stream(nacks, clock, range(20, 200), 0.01) == []
    assert 0.1 < nacks.round_trip_s < 0.14  # moved from the initial guess towards 0.14


def test_forget_stops_every_request():
    clock = Clock()
    nacks = RepeatingNacks(clock=clock)
    _stream(nacks, clock, range(0, 10), 0.01)
    _stream(nacks, clock, range(11, 12), 0.01)
    nacks.forget()
    assert _stream(nacks, clock, range(12, 200), 0.01) == []
