"""Fake participants made of aiortc peer connections, for the tests and the benches.

- ``Client``: the browser stand-in that plays pre-encoded clips (``ClipTrack``, no
  encoding) and receives media without decoding it (``Capture``, through the relay's
  own receiver tap), so that it costs little. It offers; signaling is up to the caller.
  The relay's and recording tests keep every frame sent and received to compare them;
  the load bench (``keep_media=False``) only counts them.
- ``Peer``: a participant over a signaling socket whose connection encodes live frames
  (``ColourBars``) and decodes what it receives, for tests that look at the pictures.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import av
import numpy as np
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from server.relay.forwarding import EncodedFrame
from server.relay.receiver_tap import EncodedFrameTap
from tests.helpers.clips import (
    AUDIO_SAMPLES_PER_FRAME,
    AUDIO_TIME_BASE,
    VIDEO_FPS,
    VIDEO_TIME_BASE,
    opus_clip,
    vp8_clip,
)
from tests.helpers.ws import recv_type

Clips = dict[str, tuple[bytes, ...]]  # kind ("video", "audio") -> encoded frames


class ClipTrack(MediaStreamTrack):
    """Sends a pre-encoded clip in real time as ``av.Packet`` (no encoding), looping.

    ``clip`` defaults to ``clips.vp8_clip()`` or ``clips.opus_clip()``. ``restart()``
    makes the next frame the clip's first (a keyframe for video); ``switch(clip)``
    plays another clip from its first frame. ``count`` is the frames sent so far, and
    with ``keep_sent`` ``sent`` records every frame's bytes in order."""

    def __init__(
        self, kind: str, clip: tuple[bytes, ...] | None = None, keep_sent: bool = True
    ) -> None:
        super().__init__()
        self.kind = kind
        if kind == "video":
            self.clip = clip or vp8_clip()
            self._ticks, self._interval_s, self._time_base = 3000, 1 / VIDEO_FPS, VIDEO_TIME_BASE
        else:
            self.clip = clip or opus_clip()
            self._ticks, self._interval_s = AUDIO_SAMPLES_PER_FRAME, 0.02
            self._time_base = AUDIO_TIME_BASE
        self.sent: list[bytes] = []
        self.count = 0
        self._keep_sent = keep_sent
        self._index = 0
        self._started_at: float | None = None

    def restart(self) -> None:
        self._index = 0

    def switch(self, clip: tuple[bytes, ...]) -> None:
        """From the next frame on, send ``clip`` from its first frame (its keyframe)."""
        self.clip = clip
        self.restart()

    async def recv(self) -> av.Packet:
        if self._started_at is None:
            self._started_at = time.monotonic()
        due = self._started_at + self.count * self._interval_s
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        data = self.clip[self._index]
        self._index = (self._index + 1) % len(self.clip)
        packet = av.Packet(data)
        packet.pts = self.count * self._ticks
        packet.time_base = self._time_base
        self.count += 1
        if self._keep_sent:
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
    """Loses one media packet of ``sender``: the ``nth`` it sends from now on, and every
    retransmission (RTX) it sends after that (or only the first
    ``retransmissions_to_lose``), as a lossy network might.

    Works on the sender's DTLS transport, below SRTP: the packets are the plain RTP
    aiortc is about to protect and send."""

    def __init__(
        self, sender: RTCRtpSender, nth: int, retransmissions_to_lose: int | None = None
    ) -> None:
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
            elif (
                ssrc == self._rtx_ssrc
                and self.lost_at is not None
                and (
                    retransmissions_to_lose is None
                    or self.retransmissions_lost < retransmissions_to_lose
                )
            ):
                self.retransmissions_lost += 1
                return
            await send(data)

        transport._send_rtp = lossy_send  # type: ignore[method-assign]


class UplinkBlackout:
    """Cuts everything ``pc`` sends over RTP (audio, video, retransmissions) while ``on``:
    a network that stops carrying a phone's packets while its signaling socket stays up.
    Works on the DTLS transports, below SRTP; ``dropped`` counts the packets cut."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.on = False
        self.dropped = 0
        for transport in {t.sender.transport for t in pc.getTransceivers()}:
            send = transport._send_rtp

            async def cut(data: bytes, send: Any = send) -> None:
                if self.on:
                    self.dropped += 1
                    return
                await send(data)

            transport._send_rtp = cut  # type: ignore[method-assign]


class Capture:
    """Collects the encoded frames a client receiver gets (via the relay's tap): with
    ``keep`` the frames and their arrival times, always their ``count``."""

    def __init__(self, transceiver: RTCRtpTransceiver, keep: bool = True) -> None:
        self.frames: list[EncodedFrame] = []
        self.arrivals: list[float] = []
        self.count = 0
        self._keep = keep
        self.tap = EncodedFrameTap(transceiver.receiver, transceiver.kind, self._on_frame)

    def _on_frame(self, frame: EncodedFrame) -> None:
        self.count += 1
        if self._keep:
            self.frames.append(frame)
            self.arrivals.append(time.monotonic())

    @property
    def payloads(self) -> list[bytes]:
        return [frame.data for frame in self.frames]


class Client:
    """A browser stand-in: one aiortc peer connection that offers.

    ``send(kind)`` adds a track playing ``clips[kind]`` (default: the clips module's),
    ``receive(kind)`` a receive-only transceiver; ``offer()`` and ``accept(answer)``
    carry the SDP the caller exchanges over signaling. With ``keep_media=False`` frames
    are counted, not kept (a long run must not grow)."""

    def __init__(self, clips: Clips | None = None, keep_media: bool = True) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tracks: dict[str, ClipTrack] = {}
        self.spies: dict[str, KeyframeSpy] = {}
        self.captures: dict[str, Capture] = {}
        self.transceivers: dict[str, RTCRtpTransceiver] = {}
        self._clips = clips or {}
        self._keep = keep_media

    def send(self, kind: str, receive: bool = False) -> ClipTrack:
        """Add a track playing the ``kind`` clip (sendonly; sendrecv, captured, with
        ``receive``), with a ``KeyframeSpy`` on its sender; returns the track."""
        track = ClipTrack(kind, self._clips.get(kind), keep_sent=self._keep)
        transceiver = self.pc.addTransceiver(track, "sendrecv" if receive else "sendonly")
        self.tracks[kind] = track
        self.spies[kind] = KeyframeSpy(transceiver.sender, track)
        self.transceivers[kind] = transceiver
        if receive:
            self.captures[kind] = Capture(transceiver, keep=self._keep)
        return track

    def receive(self, kind: str, capture: bool = True) -> RTCRtpTransceiver:
        """Add a recvonly ``kind`` transceiver (its frames captured with ``capture``)."""
        transceiver = self.pc.addTransceiver(kind, "recvonly")
        self.transceivers[kind] = transceiver
        if capture:
            self.captures[kind] = Capture(transceiver, keep=self._keep)
        return transceiver

    def sent_count(self, kind: str) -> int:
        """Frames of ``kind`` sent so far (0 when this client sends none)."""
        track = self.tracks.get(kind)
        return track.count if track is not None else 0

    def received_count(self, kind: str) -> int:
        """Frames of ``kind`` received so far (0 when this client captures none)."""
        capture = self.captures.get(kind)
        return capture.count if capture is not None else 0

    @property
    def keyframe_requests(self) -> int:
        """Keyframe requests (PLI/FIR) that reached this client's senders."""
        return sum(spy.count for spy in self.spies.values())

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
    """The relay events of ``type_`` about ``participant_id``, in order."""
    return [e for e in events if e["type"] == type_ and e["participant_id"] == participant_id]


FRAME_SIZE = (320, 240)


class ColourBars(VideoStreamTrack):
    """320x240 frames: a fixed colour on the left half and a block that moves."""

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        image = np.zeros((FRAME_SIZE[1], FRAME_SIZE[0], 3), dtype=np.uint8)
        image[:, : FRAME_SIZE[0] // 2] = (200, 40, 40)
        x = (pts // 3000 * 4) % (FRAME_SIZE[0] - 40)
        image[100:140, x : x + 40] = (255, 255, 255)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class Peer:
    """One participant: a signaling socket and an aiortc peer connection to the server
    that sends ``ColourBars`` and/or a tone and decodes what it receives
    (``received[kind]``: the decoded frames)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.pc: RTCPeerConnection | None = None
        self.received: dict[str, list] = {"audio": [], "video": []}
        self._readers: list[asyncio.Task] = []

    async def connect_media(self, send_video: bool, send_audio: bool) -> None:
        """Offer over the socket (sendrecv video and audio) and apply the answer."""
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTransceiver(ColourBars() if send_video else "video", "sendrecv")
        self.pc.addTransceiver(AudioStreamTrack() if send_audio else "audio", "sendrecv")

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._readers.append(asyncio.ensure_future(self._read(track)))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.ws.send(json.dumps({"type": "offer", "sdp": self.pc.localDescription.sdp}))
        answer = await recv_type(self.ws, "answer", timeout_s=10)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self.received[track.kind].append(frame)
        except Exception:  # noqa: BLE001  (the track ended)
            return

    async def close(self) -> None:
        for task in self._readers:
            task.cancel()
        if self.pc is not None:
            await self.pc.close()
