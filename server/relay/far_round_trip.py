"""Receiver reports that tell each browser the round trip to the far end of its call,
not only to the relay.

A browser measures its round trip from the relay's RTCP receiver reports on what it
sends: the time since its sender report, minus the relay's delay since last SR
(``dlsr``). Through a relay that answers in a millisecond, an agent next to the server
measured about 1 ms, while the buyer's lost packets, asked for again from the buyer,
came back a whole buyer round trip later. libwebrtc sizes its NACK retries by that round
trip: it asked every 20 ms and gave a packet up after ten tries, before the buyer's
retransmission could arrive, so that the frame it completed was not known as
retransmitted. Between two browsers the reports come from the far end, so the round
trip is the whole path (docs/performance.md, "The round trip the agent measures").

``report_far_round_trip(receiver, far_s)`` makes the relay's receiver reports on
``receiver`` (an aiortc ``RTCRtpReceiver`` of one leg) say the report was held
``far_s()`` seconds less: the browser then measures its own round trip plus ``far_s()``
(the other legs' round trip, local.py). A report due before that much time has passed
since the sender report carries no ``lsr`` at all (the browser measures nothing from
it), never a short one. ``far_s()`` is read when each report is written, capped at
``MAX_FAR_S``.

aiortc 1.16 (rtcrtpreceiver.py) keeps the last sender report per SSRC in two private
dicts, ``__lsr`` (its middle 32 bits) and ``__lsr_time`` (``time.time()`` at receipt),
and every report reads ``ssrc in __lsr`` and ``__lsr_time[ssrc]`` in one synchronous
step. Both dicts are replaced by views: ``__lsr_time`` answers the receipt time plus
``far_s()``, ``__lsr`` hides an SSRC while that time is still ahead. aiortc writes
them as before. ``FarRoundTripSeamError`` when the attributes moved.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiortc import RTCRtpReceiver

_LSR_ATTR = "_RTCRtpReceiver__lsr"
_LSR_TIME_ATTR = "_RTCRtpReceiver__lsr_time"

# Audio sender reports come every 5 s in Chromium: at most 1 s of each interval goes
# without a usable report.
MAX_FAR_S = 1.0


class FarRoundTripSeamError(RuntimeError):
    """aiortc's receiver no longer keeps its last sender reports where this module
    expects them."""


class _HeldTimes(dict[int, float]):
    """SSRC -> when its last sender report arrived, as later by ``far_s()``."""

    def __init__(self, items: dict[int, float], far_s: Callable[[], float]) -> None:
        super().__init__(items)
        self._far_s = far_s

    def __getitem__(self, ssrc: int) -> float:
        return super().__getitem__(ssrc) + min(max(self._far_s(), 0.0), MAX_FAR_S)


class _ReportedSenders(dict[int, int]):
    """SSRC -> its last sender report's middle bits, for those whose held time is past."""

    def __init__(self, items: dict[int, int], times: _HeldTimes) -> None:
        super().__init__(items)
        self._times = times

    def __contains__(self, ssrc: object) -> bool:
        if not super().__contains__(ssrc) or not dict.__contains__(self._times, ssrc):
            return False
        return self._times[ssrc] < time.time()  # type: ignore[index]


def check_report_seams(receiver: RTCRtpReceiver) -> None:
    """Raise ``FarRoundTripSeamError`` unless ``receiver``'s reports can be adjusted."""
    for attr in (_LSR_ATTR, _LSR_TIME_ATTR):
        if type(getattr(receiver, attr, None)) not in (dict, _HeldTimes, _ReportedSenders):
            raise FarRoundTripSeamError(f"RTCRtpReceiver.{attr} is missing or not a dict")


def report_far_round_trip(receiver: RTCRtpReceiver, far_s: Callable[[], float]) -> None:
    """From now on, ``receiver``'s reports add ``far_s()`` seconds to the round trip the
    browser measures from them (module docstring). Call it once per receiver."""
    check_report_seams(receiver)
    lsr: dict[int, int] = getattr(receiver, _LSR_ATTR)
    lsr_time: dict[int, float] = getattr(receiver, _LSR_TIME_ATTR)
    if isinstance(lsr_time, _HeldTimes):
        raise FarRoundTripSeamError("the receiver's reports are already adjusted")
    times = _HeldTimes(dict(lsr_time), far_s)
    setattr(receiver, _LSR_TIME_ATTR, times)
    setattr(receiver, _LSR_ATTR, _ReportedSenders(dict(lsr), times))
