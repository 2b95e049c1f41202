"""Frame assembly for a relay that forwards, never decodes.

aiortc's receiver puts each RTP packet into a jitter buffer whose ``add(packet)``
returns ``(pli_flag, JitterFrame | None)``. Its stock buffers add latency that a
forwarder does not need (the receiving browser has its own jitter buffer):

- video: a frame is released only when the next frame's first packet arrives,
  about one frame interval (33 ms at 30 fps) late;
- audio: ``prefetch=4`` holds each packet until four more frames arrived (~80 ms).

The buffers here release as soon as a frame is known complete. They keep aiortc's
``add`` contract and also remember the media SSRC (after RTX unwrapping), which is
the SSRC a keyframe request must name.

A packet lost for good (every retransmission lost too; the tap keeps asking, see
nacks.py) would make
aiortc's video buffer hold every later frame until 512 packets have arrived, several
seconds of frozen picture. Here frames wait behind a missing packet until both
``MAX_FRAME_WAIT_S`` of later media has arrived (by the sender's RTP timestamps,
counted from the first packet after the gap) and ``MIN_WALL_WAIT_S`` has passed on
the relay's clock since the gap was seen; then the buffer gives up on everything it
holds and says so (``on_loss``), so the tap resumes at the next keyframe and asks for
one. The two clocks keep a busy moment from being taken for a loss: packets that
queued while the relay's loop was busy arrive together, seconds of RTP time in a few
milliseconds, and the retransmission is behind them. A late retransmission of a
packet given up is dropped (aiortc would take one 100 packets late for a new stream).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add, uint16_gt

from .bitstream import vp8_picture_id

# aiortc's own capacity for video (rtcrtpreceiver.py): packets held while a frame
# waits for a retransmission.
VIDEO_CAPACITY_PACKETS = 512
# How long a frame missing a packet waits for the retransmission (a NACK round trip,
# and one more if the first retransmission was lost and a later gap asks again).
MAX_FRAME_WAIT_S = 0.5
# The same wait when the frames only feed the recorder (packets go on to the other leg
# as they come, packet_forwarding.py): nobody watches them live, so a frame waits for a
# second retransmission instead of becoming a hole and a keyframe request, as long as
# the sender may still hold the packet (libwebrtc keeps a sent packet for about a second,
# or three round trips when those are longer).
RECORDER_FRAME_WAIT_S = 1.0
MIN_WALL_WAIT_S = 0.2
VIDEO_CLOCK_RATE = 90000  # every RTP video payload format's clock (RFC 7741, RFC 6184)
_HALF_TIMESTAMP_RANGE = 1 << 31
# A packet behind the origin and at most this much older than the newest is late.
LATE_WINDOW_TICKS = 10 * VIDEO_CLOCK_RATE

LossHandler = Callable[[int], None]
"""Told that buffered packets were given up; the argument counts the frames among them
(frames lost whole are not seen, so not counted). Called on the event loop."""


class CompleteFrameJitterBuffer(JitterBuffer):
    """Video jitter buffer that releases a frame once its marker packet is in.

    A frame is complete when the packets from the buffer's origin (the first
    packet after the previous frame) up to a packet with the RTP marker bit set
    are all present and share one timestamp. Otherwise aiortc's rule applies
    (release when the next frame starts), so loss and reordering behave as stock.
    With ``release_on_marker=False`` it is aiortc's buffer, plus ``media_ssrc``.

    Slots without media are passed over at the origin: an empty packet (padding, or the
    slot of an FEC packet, fec.py) and, with ``picture_ids`` (VP8), a gap between a frame
    released whole and a packet that begins the frame with the next picture id: nothing
    of either frame can be in it, so it was padding or FEC (never retransmitted) and is
    not waited for.

    Loss: see the module docstring. ``on_loss`` is called when packets are given up,
    and when aiortc's own rules drop them (a jump in sequence numbers, an overflow).
    With an ``on_loss`` the returned PLI flag is always False: the handler asks for
    the keyframe (the tap rate-limits and counts those). Without one, a loss sets the
    flag and aiortc's receiver sends the PLI.
    """

    def __init__(
        self,
        capacity: int = VIDEO_CAPACITY_PACKETS,
        release_on_marker: bool = True,
        *,
        on_loss: LossHandler | None = None,
        max_wait_s: float = MAX_FRAME_WAIT_S,
        min_wall_wait_s: float = MIN_WALL_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
        picture_ids: bool = False,
    ) -> None:
        if max_wait_s <= 0 or min_wall_wait_s < 0:
            raise ValueError("max_wait_s must be > 0 and min_wall_wait_s >= 0")
        super().__init__(capacity=capacity, is_video=True)
        self.media_ssrc: int | None = None
        self.packets = 0  # RTP packets added (for monitoring)
        self.losses = 0  # times buffered packets were given up (for monitoring)
        self._release_on_marker = release_on_marker
        self._on_loss = on_loss
        self._max_wait_ticks = round(max_wait_s * VIDEO_CLOCK_RATE)
        self._min_wall_wait_s = min_wall_wait_s
        self._clock = clock
        self._newest: RtpPacket | None = None  # the highest sequence number added
        self._gap_seen_at: float | None = None  # relay clock, while frames wait on a gap
        self._picture_ids = picture_ids
        self._last_picture: tuple[int, int] | None = None  # of the frame released whole last

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        self.media_ssrc = packet.ssrc
        self.packets += 1
        newest = self._newest
        if newest is not None and self._origin is not None:
            if uint16_gt(self._origin, packet.sequence_number) and _late(packet, newest):
                return False, None  # late: its frame was released or given up
        if newest is None or uint16_gt(packet.sequence_number, newest.sequence_number):
            self._newest = packet
        dropped, frame = super().add(packet)
        given_up = 0
        if dropped:  # aiortc emptied the buffer up to this packet
            self._newest = packet
            self._gap_seen_at = None
            self._last_picture = None
        elif frame is not None or not self._waiting_on_a_gap():
            self._gap_seen_at = None
        else:
            now = self._clock()
            if self._gap_seen_at is None:
                self._gap_seen_at = now
            if (
                now - self._gap_seen_at >= self._min_wall_wait_s
                and self._ticks_since_gap() >= self._max_wait_ticks
            ):
                given_up = self._give_up()
                dropped = True
        if not dropped:
            return False, frame
        self.losses += 1
        if self._on_loss is None:
            return True, frame
        self._on_loss(given_up)
        return False, frame

    def _held(self) -> int:
        """Sequence numbers from the origin to the newest packet (0 when nothing is held)."""
        origin, newest = self._origin, self._newest
        if origin is None or newest is None or uint16_gt(origin, newest.sequence_number):
            return 0
        return uint16_add(newest.sequence_number, -origin) + 1

    def _waiting_on_a_gap(self) -> bool:
        """True when a packet is missing between the origin and the newest packet."""
        return any(
            self._packets[(self._origin + count) % self.capacity] is None
            for count in range(self._held())
        )

    def _ticks_since_gap(self) -> int:
        """RTP time from the first packet after the first gap to the newest packet; a
        newest packet timestamped before it (a sender that started over) counts as
        waited out."""
        assert self._origin is not None and self._newest is not None
        after_gap = False
        for count in range(self._held()):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is None:
                after_gap = True
            elif after_gap:
                waited = (self._newest.timestamp - packet.timestamp) % (1 << 32)
                return waited if waited < _HALF_TIMESTAMP_RANGE else self._max_wait_ticks
        return 0

    def _give_up(self) -> int:
        """Drop every packet held, up to the newest: the frames they belong to cannot be
        completed, and the frames after them cannot be decoded without them. Returns
        how many frames had packets among them, not counting a frame still arriving
        (its tail is counted where it is dropped, see receiver_tap.py)."""
        assert self._newest is not None
        held = self._held()
        timestamps = set()
        for count in range(held):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is not None:
                timestamps.add(packet.timestamp)
        if not self._newest.marker:
            timestamps.discard(self._newest.timestamp)
        self.remove(held)
        self._gap_seen_at = None
        self._last_picture = None
        return len(timestamps)

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if self._release_on_marker:
            self._pass_slots_without_media()
        packets: list[RtpPacket] = []
        for count in range(self.capacity if self._release_on_marker else 0):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is None or (packets and packet.timestamp != packets[0].timestamp):
                break
            packets.append(packet)
            if packet.marker:
                self.remove(count + 1)
                if self._picture_ids:
                    self._last_picture = vp8_picture_id(packets[0].payload)
                return JitterFrame(
                    data=b"".join(p._data for p in packets),  # type: ignore[attr-defined]
                    timestamp=packets[0].timestamp,
                )
        frame = super()._remove_frame(sequence_number)
        if frame is not None:
            self._last_picture = None
        return frame

    def _pass_slots_without_media(self) -> None:
        """Move the origin past the slots without media (see the class docstring)."""
        while self._origin is not None:
            packet = self._packets[self._origin % self.capacity]
            if packet is not None:
                if packet.payload:
                    return
                self.remove(1)
                continue
            gap = self._gap_before_next_picture()
            if not gap:
                return
            self.remove(gap)

    def _gap_before_next_picture(self) -> int:
        """How many slots from the origin (a missing packet) lie before a packet that
        begins the picture after the last one released whole; 0 when none does."""
        last = self._last_picture
        if last is None:
            return 0
        for count in range(1, self._held()):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is None or not packet.payload:
                continue
            found = vp8_picture_id(packet.payload)
            if found is not None and found == ((last[0] + 1) % (1 << last[1]), last[1]):
                return count
            return 0
        return 0


class InOrderAudioBuffer:
    """Audio "jitter buffer" that releases each packet at once, in sequence order.

    Every Opus packet is a whole frame. A packet older than the last one released
    (late or duplicate) is dropped rather than forwarded out of order.
    """

    def __init__(self) -> None:
        self.media_ssrc: int | None = None
        self.packets = 0  # RTP packets added (for monitoring)
        self._last_sequence_number: int | None = None

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        self.packets += 1
        if self._last_sequence_number is not None and not uint16_gt(
            packet.sequence_number, self._last_sequence_number
        ):
            return False, None
        self._last_sequence_number = packet.sequence_number
        self.media_ssrc = packet.ssrc
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]


def _late(packet: RtpPacket, newest: RtpPacket) -> bool:
    """``packet`` (behind the origin) is timestamped shortly before ``newest``: a late
    packet of this stream, not the first of a sender that started over."""
    return (newest.timestamp - packet.timestamp) % (1 << 32) <= LATE_WINDOW_TICKS
