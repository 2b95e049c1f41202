"""Real aiortc peers for the relay's tests: a buyer that sends pre-encoded media,
an agent that receives, and waits that poll a condition with a deadline."""

from __future__ import annotations

import array
import asyncio
import fractions
import functools
import math
import time
from collections.abc import Callable
from typing import Any

import av
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack

from server.relay.forwarding import EncodedFrame
from server.relay.receiver_tap import EncodedFrameTap

VIDEO_SIZE = (320, 240)
VIDEO_FPS = 30
VIDEO_CLIP_FRAMES = 60  # 2 s: the clip restarts (with its keyframe) when it ends
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
AUDIO_SAMPLES_PER_FRAME = 960  # 20 ms of Opus at 48 kHz
AUDIO_TIME_BASE = fractions.Fraction(1, 48000)
AUDIO_CLIP_FRAMES = 50


async def wait_until(
    condition: Callable[[], bool],
    describe: Callable[[], str],
    timeout_s: float = 5.0,
    poll_s: float = 0.02,
) -> None:
    """Poll ``condition`` until true; on timeout fail with ``describe()``'s last state."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout_s} s: {describe()}")
        await asyncio.sleep(poll_s)


@functools.cache
def vp8_clip() -> tuple[bytes, ...]:
    """A 320x240 VP8 clip: frame 0 is the only keyframe, the rest are deltas."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = VIDEO_SIZE
    codec.pix_fmt = "yuv420p"
    codec.time_base = fractions.Fraction(1, VIDEO_FPS)
    codec.bit_rate = 500_000
    codec.gop_size = 10_000
    codec.options = {"deadline": "realtime", "lag-in-frames": "0", "cpu-used": "8"}
    pattern = bytes(range(256)) * 8
    frames = []
    for index in range(VIDEO_CLIP_FRAMES):
        frame = av.VideoFrame(VIDEO_SIZE[0], VIDEO_SIZE[1], "yuv420p")
        for plane_index, plane in enumerate(frame.planes):
            rows = plane.buffer_size // plane.line_size
            plane.update(
                b"".join(
                    pattern[(row * 2 + index * 5 + plane_index * 40) % 256 :][: plane.line_size]
                    for row in range(rows)
                )
            )
        frame.pts = index
        frames.extend(bytes(packet) for packet in codec.encode(frame))
    frames.extend(bytes(packet) for packet in codec.encode(None))
    assert frames[0][0] & 1 == 0, "the clip must start with a keyframe"
    assert all(f[0] & 1 == 1 for f in frames[1:]), "the clip must have one keyframe"
    return tuple(frames)


@functools.cache
def opus_clip() -> tuple[bytes, ...]:
    """One second of a 440 Hz tone as 20 ms Opus packets."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = 48000
    codec.layout = "stereo"
    codec.format = "s16"
    codec.time_base = AUDIO_TIME_BASE
    packets = []
    for index in range(AUDIO_CLIP_FRAMES):
        samples = array.array("h")
        for n in range(AUDIO_SAMPLES_PER_FRAME):
            t = (index * AUDIO_SAMPLES_PER_FRAME + n) / 48000
            value = int(8000 * math.sin(2 * math.pi * 440 * t))
            samples.extend((value, value))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_SAMPLES_PER_FRAME)
        frame.sample_rate = 48000
        frame.pts = index * AUDIO_SAMPLES_PER_FRAME
        frame.planes[0].update(samples.tobytes())
        packets.extend(bytes(p) for p in codec.encode(frame))
    return tuple(packets)


class ClipTrack(MediaStreamTrack):
    """Sends a pre-encoded clip in real time as ``av.Packet`` (no encoding).

    ``restart()`` makes the next frame the clip's first (a keyframe for video);
    ``sent`` records every frame's bytes in order.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        if kind == "video":
            self._clip = vp8_clip()
            self._ticks, self._interval_s, self._time_base = 3000, 1 / VIDEO_FPS, VIDEO_TIME_BASE
        else:
            self._clip = opus_clip()
            self._ticks, self._interval_s = AUDIO_SAMPLES_PER_FRAME, 0.02
            self._time_base = AUDIO_TIME_BASE
        self.sent: list[bytes] = []
        self._index = 0
        self._count = 0
        self._started_at: float | None = None

    def restart(self) -> None:
        self._index = 0

    async def recv(self) -> av.Packet:
        if self._started_at is None:
            self._started_at = time.monotonic()
        due = self._started_at + self._count * self._interval_s
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        data = self._clip[self._index]
        self._index = (self._index + 1) % len(self._clip)
        packet = av.Packet(data)
        packet.pts = self._count * self._ticks
        packet.time_base = self._time_base
        self._count += 1
        self.sent.append(data)
        return packet


class KeyframeSpy:
    """Counts the keyframe requests (PLI/FIR) that reach a sender and restarts its clip."""

    def __init__(self, sender: RTCRtpSender, track: ClipTrack) -> None:
        self.count = 0
        original = sender._send_keyframe

        def send_keyframe() -> None:
            self.count += 1
            track.restart()
            original()

        sender._send_keyframe = send_keyframe  # type: ignore[method-assign]


class UplinkLoss:
    """Loses one media packet of ``sender`` for good: the ``nth`` it sends from now on,
    and every retransmission (RTX) it sends after that, as a lossy network might.

    Works on the sender's DTLS transport, below SRTP: the packets are the plain RTP
    aiortc is about to protect and send."""

    def __init__(self, sender: RTCRtpSender, nth: int) -> None:
        self.lost_sequence_number: int | None = None
        self.lost_at: float | None = None  # time.monotonic() when it was lost
        self.retransmissions_lost = 0
        self._media_ssrc, self._rtx_ssrc = sender._ssrc, sender._rtx_ssrc
        self._count = 0
        transport = sender.transport
        send = transport._send_rtp

        async def lossy_send(data: bytes) -> None:
            ssrc = int.from_bytes(data[8:12], "big")
            if ssrc == self._media_ssrc:
                self._count += 1
                if self._count == nth:
                    self.lost_sequence_number = int.from_bytes(data[2:4], "big")
                    self.lost_at = time.monotonic()
                    return
            elif ssrc == self._rtx_ssrc and self.lost_at is not None:
                self.retransmissions_lost += 1
                return
            await send(data)

        transport._send_rtp = lossy_send  # type: ignore[method-assign]


class Capture:
    """Collects the encoded frames a client receiver gets (via the relay's tap)."""

    def __init__(self, transceiver: RTCRtpTransceiver) -> None:
        self.frames: list[EncodedFrame] = []
        self.arrivals: list[float] = []
        self.tap = EncodedFrameTap(transceiver.receiver, transceiver.kind, self._on_frame)

    def _on_frame(self, frame: EncodedFrame) -> None:
        self.frames.append(frame)
        self.arrivals.append(time.monotonic())

    @property
    def payloads(self) -> list[bytes]:
        return [frame.data for frame in self.frames]


class Client:
    """A browser stand-in: one aiortc peer connection that offers."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tracks: dict[str, ClipTrack] = {}
        self.spies: dict[str, KeyframeSpy] = {}
        self.captures: dict[str, Capture] = {}
        self.transceivers: dict[str, RTCRtpTransceiver] = {}

    def send(self, kind: str, receive: bool = False) -> ClipTrack:
        track = ClipTrack(kind)
        transceiver = self.pc.addTransceiver(track, "sendrecv" if receive else "sendonly")
        self.tracks[kind] = track
        self.spies[kind] = KeyframeSpy(transceiver.sender, track)
        self.transceivers[kind] = transceiver
        if receive:
            self.captures[kind] = Capture(transceiver)
        return track

    def receive(self, kind: str, capture: bool = True) -> RTCRtpTransceiver:
        transceiver = self.pc.addTransceiver(kind, "recvonly")
        self.transceivers[kind] = transceiver
        if capture:
            self.captures[kind] = Capture(transceiver)
        return transceiver

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def close(self) -> None:
        for capture in self.captures.values():
            capture.tap.close()
        await self.pc.close()


def events_of(events: list[dict[str, Any]], type_: str, participant_id: str) -> list[dict]:
    return [e for e in events if e["type"] == type_ and e["participant_id"] == participant_id]
