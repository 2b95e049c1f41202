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

- it starts at 300 kbps or less (the first throughput after 3 s), and Chromium's own
  estimate starts at 300 kbps: at that rate Chromium's encoder finds a camera's
  640x360 picture too costly (quantizer over its threshold) and drops to 320x180 within
  the first seconds, and with a detailed picture its quantizer at 320x180 never falls
  low enough for it to step up again, whatever the bandwidth later (measured).

``ReceiveBandwidth`` replaces one receiver's estimator: aiortc's overuse detection
(delay growth) with ``ClimbingRate`` as its rate control: it starts at
``start_bitrate_bps``, climbs 8% a second while the path shows no queueing, and a
sustained overuse cuts it to 0.85x what arrives, after which it climbs the same way
again; never above ``max_bitrate_bps`` nor the lowest estimate of the browsers the
stream is forwarded to (``downstream``); never below ``min_bitrate_bps`` (a spurious cut
does not starve the picture: the sender's own loss-based control still backs off on a
real bottleneck). ``follow_receiver_estimate`` captures the receiving browsers'
estimates: the REMB a receiving browser sends to the relay's sender for it.
Loss the sender cannot see: the relay asks again for every lost packet (nacks.py), so
its receiver reports count almost none lost and Chromium's own loss-based control never
backs off; on a link whose rate cap the sender overshoots (a 1 Mbps start on an 800 kbps
uplink) the bottleneck's queue overflows for seconds, each burst a freeze and a hole in
the recording. So ``ReceiveBandwidth.packet`` counts the first transmissions that never
came (``LossCounter``: sequence numbers skipped), and a window of them with
``LOSS_CUT_FRACTION`` or more lost cuts the rate like a sustained overuse does
(``ClimbingRate.lost``); random loss of a few percent does not.
``announce_video_bitrates`` puts the start and the ceiling into the answer
(``x-google-start-bitrate`` / ``x-google-max-bitrate``), so Chromium's own estimate
starts there too instead of at 300 kbps, and its encoder may use more than its
per-resolution default (600 kbps at 320x180).
"""

from __future__ import annotations

from collections.abc import Callable

from aiortc import RTCRtpSender
from aiortc.rate import BandwidthUsage, RemoteBitrateEstimator
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, unpack_remb_fci
from aiortc.utils import uint16_add, uint16_gt

from .forwarding import ForwardingTrack, TrackSource

DEFAULT_MAX_BITRATE_BPS = 2_500_000  # Chromium's own cap for 720p VP8
# What a sending browser is told to start at (the answer's x-google-start-bitrate): at
# Chromium's own 300 kbps start its encoder drops a 640x360 picture to 320x180 in the first
# second and, with a detailed picture, never steps up again.
DEFAULT_START_BITRATE_BPS = 1_000_000
# Chromium's start bitrate: what a sender may always use until its own loss-based control
# says otherwise.
MIN_BITRATE_BPS = 300_000
# A window of first transmissions with this share lost or more is a queue overflowing, not
# a lossy radio link (Chromium's own loss-based control backs off above 10% too).
LOSS_CUT_FRACTION = 0.10
LOSS_WINDOW_PACKETS = 100  # sequence numbers per loss window (about a second at 800 kbps)
# After a loss cut the rate holds this long before it climbs again: the sender takes a
# round trip and a REMB interval to follow, and the queue that overflowed to drain.
LOSS_HOLD_MS = 1000


class LossCounter:
    """The share of a stream's first transmissions lost, per window of sequence numbers
    (pure). ``seen(sequence_number)`` for every packet that arrives; a packet behind the
    highest one seen (a retransmission, or reordering) counts for nothing, a jump ahead
    counts the numbers skipped as lost. Returns the window's lost share each time
    ``window`` sequence numbers have been covered, else None."""

    def __init__(self, window: int = LOSS_WINDOW_PACKETS) -> None:
        if window <= 0:
            raise ValueError("window must be positive")
        self.window = window
        self._highest: int | None = None
        self._expected = 0
        self._lost = 0

    def seen(self, sequence_number: int) -> float | None:
        if self._highest is None:
            self._highest = sequence_number
            return None
        if not uint16_gt(sequence_number, self._highest):
            return None  # a duplicate, late or retransmitted packet
        step = uint16_add(sequence_number, -self._highest)
        self._highest = sequence_number
        self._expected += step
        self._lost += step - 1
        if self._expected < self.window:
            return None
        share = self._lost / self._expected
        self._expected = self._lost = 0
        return share


class ClimbingRate:
    """The rate a sender is told, from the overuse detector's verdicts (pure: no I/O, no
    clock of its own; ``now_ms`` is the arrival clock).

    Starts at ``start_bps``. While arrivals show no queueing (``NORMAL``) it climbs
    ``climb_per_s`` (8%: aiortc's and Chromium's multiplicative rate) per second spent
    ``NORMAL``, counted from update to update (at most a second each), so a path whose
    verdicts flicker between ``NORMAL`` and the others still climbs in its ``NORMAL``
    stretches; there is no slow additive phase near the last cut, so a cut costs
    seconds, not the call. Queueing delay growing (``OVERUSING``) for at least
    ``overuse_ms`` cuts it to 0.85x what arrives (at most once a ``cut_interval_ms``;
    aiortc's estimator asks on every packet while overusing), after which it holds until
    the detector says ``NORMAL`` again; ``UNDERUSING`` (a queue draining) holds. A
    shorter overuse holds too: a moment the relay's event loop (or a loaded machine)
    was busy delays the packets behind it and hands them over at once, which the
    detector takes for a queue; measured on a loaded 2-core machine, cuts after 0.2 s of
    overuse came on a clean link within seconds and left Chromium at 320x180. A real
    queue grows for as long as the sender sends too much, and one that overflows first
    is loss, which the browser's own control answers. Always within ``[min_bps, max_bps]``.

    ``lost(share, now_ms)``: a window of the stream's first transmissions had ``share``
    lost; from ``LOSS_CUT_FRACTION`` on it cuts the same way (a queue overflowing, see
    the module docstring), at most once a ``cut_interval_ms``, and holds ``LOSS_HOLD_MS``
    before climbing again. Smaller shares (a lossy radio link) change nothing: the
    browser's own loss-based control stays below it.

    The interface is what ``aiortc.rate.RemoteBitrateEstimator`` calls of its
    ``rate_control``: ``update`` and ``feedback_interval``.
    """

    CUT_FACTOR = 0.85

    def __init__(
        self,
        *,
        start_bps: int,
        min_bps: int,
        max_bps: int,
        climb_per_s: float = 0.08,
        cut_interval_ms: int = 300,
        overuse_ms: int = 1000,
    ) -> None:
        if not 0 < min_bps <= max_bps:
            raise ValueError("need 0 < min_bps <= max_bps")
        if climb_per_s <= 0:
            raise ValueError("climb_per_s must be positive")
        self.min_bps = min_bps
        self.max_bps = max_bps
        self.current_bitrate = self._clamp(start_bps)
        self._climb = 1 + climb_per_s
        self._cut_interval_ms = cut_interval_ms
        self._overuse_ms = overuse_ms
        self._overusing_since_ms: int | None = None
        self._last_update_ms: int | None = None
        self._last_cut_ms: int | None = None
        self._throughput_bps: int | None = None
        self._hold_until_ms: int | None = None

    def feedback_interval(self) -> int:
        """How often (ms) the estimator asks for a new value without an overuse."""
        return 500

    def update(
        self, bandwidth_usage: BandwidthUsage, estimated_throughput: int | None, now_ms: int
    ) -> int:
        """The rate after the detector's verdict at ``now_ms``, given what arrived over
        the last second (``estimated_throughput``, bits/s; None: not known yet)."""
        if estimated_throughput is not None:
            self._throughput_bps = estimated_throughput
        if bandwidth_usage != BandwidthUsage.OVERUSING:
            self._overusing_since_ms = None
        since_ms = None if self._last_update_ms is None else now_ms - self._last_update_ms
        self._last_update_ms = now_ms
        if bandwidth_usage == BandwidthUsage.OVERUSING:
            if self._overusing_since_ms is None:
                self._overusing_since_ms = now_ms
            sustained = now_ms - self._overusing_since_ms >= self._overuse_ms
            due = self._last_cut_ms is None or now_ms - self._last_cut_ms >= self._cut_interval_ms
            if sustained and due:
                self._cut(now_ms)
        elif (
            bandwidth_usage == BandwidthUsage.NORMAL
            and since_ms is not None
            and since_ms > 0
            and (self._hold_until_ms is None or now_ms >= self._hold_until_ms)
        ):
            self.current_bitrate = self._clamp(
                int(self.current_bitrate * self._climb ** (min(since_ms, 1000) / 1000))
            )
        return self.current_bitrate

    def lost(self, share: float, now_ms: int) -> int:
        """The rate after a loss window with ``share`` of its first transmissions lost."""
        due = self._last_cut_ms is None or now_ms - self._last_cut_ms >= self._cut_interval_ms
        if share >= LOSS_CUT_FRACTION and due and self._cut(now_ms):
            self._hold_until_ms = now_ms + LOSS_HOLD_MS
        return self.current_bitrate

    def _cut(self, now_ms: int) -> bool:
        """Down to ``CUT_FACTOR`` of what arrives (never up); False while that is unknown."""
        if self._throughput_bps is None:
            return False
        cut = round(self.CUT_FACTOR * self._throughput_bps)
        self.current_bitrate = self._clamp(min(cut, self.current_bitrate))
        self._last_cut_ms = now_ms
        return True

    def _clamp(self, bitrate: int) -> int:
        return max(self.min_bps, min(bitrate, self.max_bps))


class ReceiveBandwidth(RemoteBitrateEstimator):
    """One video receiver's bandwidth estimate; see the module docstring.

    ``estimate_bps``: the last value sent (None before the first). ``downstream()``:
    the lowest estimate of the receiving browsers, or None when none is known.
    ``packet(sequence_number)``: told of every media packet that arrives (after RTX is
    unwrapped), for the loss the sender cannot see; a cut goes out as a REMB with the
    next packet's estimate. ``fec_bytes(n)``: an FEC packet of ``n`` bytes arrived, whose
    slot aiortc is handed as an empty packet (fec.py): its bytes count with that packet's
    arrival, so the rate that arrives includes what the sender spends on FEC."""

    def __init__(
        self,
        *,
        max_bitrate_bps: int = DEFAULT_MAX_BITRATE_BPS,
        min_bitrate_bps: int = MIN_BITRATE_BPS,
        start_bitrate_bps: int = DEFAULT_START_BITRATE_BPS,
        downstream: Callable[[], int | None] = lambda: None,
    ) -> None:
        if not 0 < min_bitrate_bps <= max_bitrate_bps:
            raise ValueError("need 0 < min_bitrate_bps <= max_bitrate_bps")
        super().__init__()
        self.rate_control = ClimbingRate(  # type: ignore[assignment]
            start_bps=start_bitrate_bps, min_bps=min_bitrate_bps, max_bps=max_bitrate_bps
        )
        self.estimate_bps: int | None = None
        self.loss_cuts = 0  # windows that cut the rate for loss (for monitoring)
        self._min_bps = min_bitrate_bps
        self._downstream = downstream
        self._losses = LossCounter()
        self._last_arrival_ms: int | None = None
        self._fec_bytes = 0

    def fec_bytes(self, n: int) -> None:
        self._fec_bytes += n

    def packet(self, sequence_number: int) -> None:
        share = self._losses.seen(sequence_number)
        if share is None or self._last_arrival_ms is None:
            return
        before = self.rate_control.current_bitrate
        if self.rate_control.lost(share, self._last_arrival_ms) < before:  # type: ignore[attr-defined]
            self.loss_cuts += 1
            self.last_update_ms = None  # the next packet sends the cut, not the next interval

    def add(
        self, arrival_time_ms: int, abs_send_time: int, payload_size: int, ssrc: int
    ) -> tuple[int, list[int]] | None:
        self._last_arrival_ms = arrival_time_ms
        payload_size, self._fec_bytes = payload_size + self._fec_bytes, 0
        update = super().add(arrival_time_ms, abs_send_time, payload_size, ssrc)
        if update is None:
            return None
        bitrate, ssrcs = update
        limit = self._downstream()
        if limit is not None:
            bitrate = min(bitrate, max(limit, self._min_bps))
        self.estimate_bps = bitrate
        return bitrate, ssrcs


_NOT_MEDIA_CODECS = frozenset({"rtx", "red", "ulpfec", "flexfec-03"})


def announce_video_bitrates(answer_sdp: str, *, start_bps: int, max_bps: int) -> str:
    """``answer_sdp`` with each video codec's ``fmtp`` (made, after its ``rtpmap``, if
    missing) carrying ``x-google-start-bitrate`` and ``x-google-max-bitrate`` (kbps; the
    start at most the ceiling).

    Chromium takes its sender's bandwidth estimate's start and ceiling from these in the
    remote description; other browsers ignore them. Retransmission, RED and FEC payload
    types are left as they are, and so is every other line.
    """
    if start_bps <= 0 or max_bps <= 0:
        raise ValueError("bitrates must be positive")
    extra = (
        f"x-google-start-bitrate={min(start_bps, max_bps) // 1000};"
        f"x-google-max-bitrate={max_bps // 1000}"
    )
    newline = "\r\n" if "\r\n" in answer_sdp else "\n"
    lines = answer_sdp.split(newline)
    # (section index, payload type) of every fmtp line
    with_fmtp: set[tuple[int, str]] = set()
    section = 0
    for line in lines:
        if line.startswith("m="):
            section += 1
        elif line.startswith("a=fmtp:"):
            with_fmtp.add((section, line[len("a=fmtp:") :].partition(" ")[0]))
    out: list[str] = []
    section, video, announced = 0, False, set()
    for line in lines:
        if line.startswith("m="):
            section += 1
            video = line.startswith("m=video")
        elif video and line.startswith("a=rtpmap:"):
            pt, _, encoding = line[len("a=rtpmap:") :].partition(" ")
            if encoding.split("/", 1)[0].lower() not in _NOT_MEDIA_CODECS:
                announced.add((section, pt))
                if (section, pt) not in with_fmtp:
                    out.extend((line, f"a=fmtp:{pt} {extra}"))
                    continue
        elif video and line.startswith("a=fmtp:"):
            pt, _, params = line[len("a=fmtp:") :].partition(" ")
            if (section, pt) in announced:
                line = f"a=fmtp:{pt} {params};{extra}" if params else f"a=fmtp:{pt} {extra}"
        out.append(line)
    return newline.join(out)


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
