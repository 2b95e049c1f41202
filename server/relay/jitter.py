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
"""

from __future__ import annotations

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_gt

# aiortc's own capacity for video (rtcrtpreceiver.py): packets held while a frame
# waits for a retransmission.
VIDEO_CAPACITY_PACKETS = 512


class CompleteFrameJitterBuffer(JitterBuffer):
    """Video jitter buffer that releases a frame once its marker packet is in.

    A frame is complete when the packets from the buffer's origin (the first
    packet after the previous frame) up to a packet with the RTP marker bit set
    are all present and share one timestamp. Otherwise aiortc's rule applies
    (release when the next frame starts), so loss and reordering behave as stock.
    With ``release_on_marker=False`` it is aiortc's buffer, plus ``media_ssrc``.
    """

    def __init__(
        self, capacity: int = VIDEO_CAPACITY_PACKETS, release_on_marker: bool = True
    ) -> None:
        super().__init__(capacity=capacity, is_video=True)
        self.media_ssrc: int | None = None
        self.packets = 0  # RTP packets added (for monitoring)
        self._release_on_marker = release_on_marker

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        self.media_ssrc = packet.ssrc
        self.packets += 1
        return super().add(packet)

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
