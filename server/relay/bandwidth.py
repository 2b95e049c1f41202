"""The bandwidth the relay tells a sending browser it may use (REMB).

aiortc's video receiver estimates the sender's bandwidth from packet arrival times
(``aiortc/rate.py``, receive-side, delay-based) and sends it as REMB; a browser sender
never goes above the REMB it gets. Stock, that estimate cannot serve a relay:

- it is clamped at 1.5x the rate the sender uses now plus 10 kbps, so a sender that
  started small (or was cut after a spurious overuse: a busy moment on the relay looks
  like queueing delay) is never told it may send more, and Chromium does not raise its
  resolution again (measured: 320x180 for whole calls with 1.5 Mbps free);
- it knows nothing of the receiving side: the other browser's own estimate (its REMB
  to the relay) is not passed back.

``ReceiveBandwidth`` replaces one receiver's estimator: the same overuse detection
(delay growth cuts the estimate to 0.85x what arrives), but without the clamp, so
while the path shows no overuse the estimate climbs (8% a second, aiortc's rate) up to
``max_bitrate_bps``; never below ``min_bitrate_bps`` (a spurious cut does not starve the
picture: the sender's own loss-based control still backs off on a real bottleneck);
and never above the lowest estimate of the browsers the stream is forwarded to
(``downstream``). ``follow_receiver_estimate`` captures those: the REMB a receiving
browser sends to the relay's sender for it.
"""

from __future__ import annotations

from collections.abc import Callable

from aiortc import RTCRtpSender
from aiortc.rate import AimdRateControl, RemoteBitrateEstimator
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, unpack_remb_fci

from .forwarding import ForwardingTrack, TrackSource

DEFAULT_MAX_BITRATE_BPS = 2_500_000  # Chromium's own cap for 720p VP8
# Chromium's start bitrate: what a sender may always use until its own loss-based control
# says otherwise.
MIN_BITRATE_BPS = 300_000


class _ClimbingRateControl(AimdRateControl):
    """aiortc's AIMD control with a floor and a ceiling instead of its throughput clamp,
    starting at the floor (not after 3 s, nor at the first overuse's 0.85x of a
    start-up trickle)."""

    def __init__(self, min_bps: int, max_bps: int) -> None:
        super().__init__()
        self._min_bps = min_bps
        self._max_bps = max_bps
        self.current_bitrate = min_bps
        self.current_bitrate_initialized = True

    def _clamp_bitrate(self, new_bitrate: int, estimated_throughput: int) -> int:
        return max(self._min_bps, min(new_bitrate, self._max_bps))


class ReceiveBandwidth(RemoteBitrateEstimator):
    """One video receiver's bandwidth estimate; see the module docstring.

    ``estimate_bps``: the last value sent (None before the first). ``downstream()``:
    the lowest estimate of the receiving browsers, or None when none is known."""

    def __init__(
        self,
        *,
        max_bitrate_bps: int = DEFAULT_MAX_BITRATE_BPS,
        min_bitrate_bps: int = MIN_BITRATE_BPS,
        downstream: Callable[[], int | None] = lambda: None,
    ) -> None:
        if not 0 < min_bitrate_bps <= max_bitrate_bps:
            raise ValueError("need 0 < min_bitrate_bps <= max_bitrate_bps")
        super().__init__()
        self.rate_control = _ClimbingRateControl(min_bitrate_bps, max_bitrate_bps)
        self.estimate_bps: int | None = None
        self._min_bps = min_bitrate_bps
        self._downstream = downstream

    def add(
        self, arrival_time_ms: int, abs_send_time: int, payload_size: int, ssrc: int
    ) -> tuple[int, list[int]] | None:
        update = super().add(arrival_time_ms, abs_send_time, payload_size, ssrc)
        if update is None:
            return None
        bitrate, ssrcs = update
        limit = self._downstream()
        if limit is not None:
            bitrate = min(bitrate, max(limit, self._min_bps))
        self.estimate_bps = bitrate
        return bitrate, ssrcs


def lowest_receiver_estimate(source: TrackSource) -> int | None:
    """The lowest REMB among the browsers ``source`` is forwarded to (None: none known)."""
    return min(
        (s.receiver_estimate_bps for s in source.sinks if s.receiver_estimate_bps is not None),
        default=None,
    )


def follow_receiver_estimate(sender: RTCRtpSender, track: ForwardingTrack) -> None:
    """Keep ``track.receiver_estimate_bps`` at the REMB that reaches ``sender`` (the
    sender ``track`` is given to) for its SSRC.

    Seam (aiortc 1.16, rtcrtpsender.py): the transport hands each RTCP packet to
    ``sender._handle_rtcp_packet``; the per-instance attribute wraps it for this sender
    only, and the packet still reaches aiortc's own handling."""
    original = sender._handle_rtcp_packet

    async def handle(packet: object) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                pass
            else:
                if sender._ssrc in ssrcs:
                    track.receiver_estimate_bps = bitrate
        await original(packet)

    sender._handle_rtcp_packet = handle  # type: ignore[method-assign]
