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

A packet lost for good (its retransmission lost too: aiortc asks only once) would make
aiortc's video buffer hold every later frame until 512 packets have arrived, several
seconds of frozen picture. Here a frame waits at most ``MAX_FRAME_WAIT_S`` for its
missing packet; then the buffer gives up on everything it holds and says so
(``on_loss``), so the tap resumes at the next keyframe and asks for one. The wait is
measured in the sender's time (RTP timestamps), not the relay's: packets that queued
up while the relay's loop was busy arrive in the order they were sent, the
retransmission among them, so a busy moment is not taken for a loss.
"""

from __future__ import annotations

from collections.abc import Callable

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add, uint16_gt

# aiortc's own capacity for video (rtcrtpreceiver.py): packets held while a frame
# waits for a retransmission.
VIDEO_CAPACITY_PACKETS = 512
# How long a frame missing a packet waits for the retransmission (a NACK round trip,
# and one more if the first retransmission was lost and a later gap asks again).
MAX_FRAME_WAIT_S = 0.5
VIDEO_CLOCK_RATE = 90000  # every RTP video payload format's clock (RFC 7741, RFC 6184)
_HALF_TIMESTAMP_RANGE = 1 << 31

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

    Loss: when a frame has waited for a missing packet while ``max_wait_s`` of later
    media arrived (by RTP timestamp), every packet held is dropped and ``on_loss`` is
    called; aiortc's own drops (a jump in sequence numbers, an overflow) call it too.
    With an ``on_loss`` the returned PLI flag is always False: the handler asks for the
    keyframe (the tap rate-limits and counts those). Without one, a loss sets the flag
    and aiortc's receiver sends the PLI.
    """

    def __init__(
        self,
        capacity: int = VIDEO_CAPACITY_PACKETS,
        release_on_marker: bool = True,
        *,
        on_loss: LossHandler | None = None,
        max_wait_s: float = MAX_FRAME_WAIT_S,
    ) -> None:
        super().__init__(capacity=capacity, is_video=True)
        self.media_ssrc: int | None = None
        self.packets = 0  # RTP packets added (for monitoring)
        self.losses = 0  # times buffered packets were given up (for monitoring)
        self._release_on_marker = release_on_marker
        self._on_loss = on_loss
        self._max_wait_ticks = round(max_wait_s * VIDEO_CLOCK_RATE)
        self._newest: int | None = None  # highest sequence number added

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        self.media_ssrc = packet.ssrc
        self.packets += 1
        if self._newest is None or uint16_gt(packet.sequence_number, self._newest):
            self._newest = packet.sequence_number
        dropped, frame = super().add(packet)
        given_up = 0
        if dropped:  # aiortc emptied the buffer up to this packet
            self._newest = packet.sequence_number
        elif frame is None and self._waited_ticks() >= self._max_wait_ticks:
            given_up = self._give_up()
            dropped = True
        if not dropped:
            return False, frame
        self.losses += 1
        if self._on_loss is None:
            return True, frame
        self._on_loss(given_up)
        return False, frame

    def _waited_ticks(self) -> int:
        """RTP time from the oldest packet held to the newest (0 when nothing waits)."""
        origin, newest = self._origin, self._newest
        if origin is None or newest is None or uint16_gt(origin, newest):
            return 0  # nothing held
        last = self._packets[newest % self.capacity]
        if last is None:
            return 0
        for count in range(uint16_add(newest, -origin)):
            first = self._packets[(origin + count) % self.capacity]
            if first is not None:
                waited = (last.timestamp - first.timestamp) % (1 << 32)
                return waited if waited < _HALF_TIMESTAMP_RANGE else 0
        return 0

    def _give_up(self) -> int:
        """Drop every packet held, up to the newest: the frames they belong to cannot be
        completed, and the frames after them cannot be decoded without them. Returns
        how many frames had packets among them."""
        assert self._origin is not None and self._newest is not None
        held = uint16_add(self._newest, -self._origin) + 1
        timestamps = set()
        for count in range(held):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is not None:
                timestamps.add(packet.timestamp)
        self.remove(held)
        return len(timestamps)

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        packets: list[RtpPacket] = []
        for count in range(self.capacity if self._release_on_marker else 0):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is None or (packets and packet.timestamp != packets[0].timestamp):
                break
            packets.append(packet)
            if packet.marker:
                self.remove(count + 1)
                return JitterFrame(
                    data=b"".join(p._data for p in packets),  # type: ignore[attr-defined]
                    timestamp=packets[0].timestamp,
                )
        return super()._remove_frame(sequence_number)


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
