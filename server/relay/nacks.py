"""Asking the sender for a missing video packet until it arrives or no longer matters.

aiortc's receiver (rtcrtpreceiver.py) keeps a ``NackGenerator`` per video receiver:
``add(packet)`` notes the sequence numbers skipped, and when it returns True the
receiver sends one NACK listing every packet still missing. Stock, it returns True only
when a new gap appears, so a packet whose retransmission is lost too is asked for again
only when some later packet is lost: on a clean moment of the link, never, and the
relay's jitter buffer gives up on the frame (a freeze, a keyframe, a hole in the
recording).

``RepeatingNacks`` keeps aiortc's contract and also returns True when a packet has been
missing for a retransmission round trip since it was last asked for, so the NACK goes
out again (for everything missing), until the packet is ``max_age_s`` old (the jitter
buffer's ``MAX_FRAME_WAIT_S``: after that it has given up on the frame); then it is
forgotten. The round trip is measured: from the first request for a packet to its
arrival (packets asked for once only, so the sample is not ambiguous). So a packet lost
twice still arrives while its frame waits, where the round trip allows two requests in
that time (about 0.2 s or less).

Waiting longer than half a second was tried (up to three round trips, 1.1 s at 300 ms):
on a lossy long link the agent's picture then came in late bursts, and capture-to-display
at the agent rose over the call (bench/network.py, docs/performance.md). Recovering such
packets without holding the live picture needs packets forwarded as they come
(docs/architecture.md).

Cost: one dictionary look-up per packet while nothing is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import RtpPacket

from .jitter import MAX_FRAME_WAIT_S

# Before the first retransmission has been timed: short enough for three requests within
# the jitter buffer's wait (a sender ignores a repeat that comes within its round trip).
INITIAL_ROUND_TRIP_S = 0.1
ROUND_TRIP_SMOOTHING = 0.25  # weight of a new round-trip sample
# A sender ignores a request for a packet it retransmitted less than its own round-trip
# estimate ago (libwebrtc), so asking again sooner than one round trip is wasted.
REPEAT_AFTER_ROUND_TRIPS = 1.2
REPEAT_MARGIN_S = 0.02


class RepeatingNacks(NackGenerator):
    """A ``NackGenerator`` that asks again; see the module docstring.

    ``round_trip_s``: the measured retransmission round trip. ``repeats``: NACKs sent
    again for packets already asked for (for monitoring). ``forget()``: stop asking for
    everything missing now (the jitter buffer gave up on it).
    """

    def __init__(
        self, max_age_s: float = MAX_FRAME_WAIT_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.max_age_s = max_age_s
        self.round_trip_s = INITIAL_ROUND_TRIP_S
        self.repeats = 0
        self._clock = clock
        # sequence number -> [first asked, last asked, times asked]
        self._asked: dict[int, list[float]] = {}

    @property
    def repeat_interval_s(self) -> float:
        return REPEAT_AFTER_ROUND_TRIPS * self.round_trip_s + REPEAT_MARGIN_S

    def forget(self) -> None:
        self.missing.clear()
        self._asked.clear()

    def add(self, packet: RtpPacket) -> bool:
        missed = super().add(packet)
        if not self._asked and not missed:
            return False
        now = self._clock()
        asked = self._asked.pop(packet.sequence_number, None)
        if asked is not None and asked[2] == 1:
            sample = now - asked[0]
            self.round_trip_s += ROUND_TRIP_SMOOTHING * (sample - self.round_trip_s)
        if not missed:
            missed = self._repeat_due(now)
        if missed:  # aiortc now sends one NACK for everything in ``missing``
            for sequence_number in self.missing:
                entry = self._asked.get(sequence_number)
                if entry is None:
                    self._asked[sequence_number] = [now, now, 1]
                else:
                    entry[1] = now
                    entry[2] += 1
        return missed

    def _repeat_due(self, now: float) -> bool:
        """Forget packets too old to matter (and any aiortc stopped tracking); True when
        one still missing was last asked for a repeat interval ago."""
        wait, interval = self.max_age_s, self.repeat_interval_s
        due = False
        for sequence_number, (first, last, _) in list(self._asked.items()):
            if sequence_number not in self.missing or now - first > wait:
                del self._asked[sequence_number]
                self.missing.discard(sequence_number)
            elif now - last >= interval:
                due = True
        if due:
            self.repeats += 1
        return due
