"""Take encoded frames out of one aiortc ``RTCRtpReceiver`` before decoding.

The seam (aiortc 1.16, rtcrtpreceiver.py): ``RTCRtpReceiver._handle_rtp_packet``
runs on the event loop, assembles whole frames in ``self.__jitter_buffer`` and
hands ``(codec, JitterFrame)`` to ``self.__decoder_queue.put``, which a decoder
thread reads. Replacing those per-instance attributes turns that one receiver
into an encoded-frame source:

- the decoder queue is swapped for ``_TapQueue``, whose ``put`` delivers the frame
  synchronously on the event loop (no thread hop) and passes only the ``None``
  stop sentinel on to the real queue, so the idle decoder thread still exits;
- the jitter buffer is swapped for one that releases frames as soon as they are
  complete and remembers the media SSRC (see jitter.py).

- the video receiver's NACK generator is swapped for one that asks again for a packet
  still missing after a round trip, for as long as the jitter buffer waits for it (see
  nacks.py);
- with a ``bandwidth``, the video receiver's bitrate estimator (the REMB it sends) is
  swapped for it (see bandwidth.py).

After video packets were lost for good (the buffer gave up on them), the tap delivers
nothing until the next keyframe and asks the sender for one: the frames in between
cannot be decoded, by a browser or in a recording.

Nothing module-level is replaced: other peer connections in the process, and
other receivers of the same one, decode as usual. The attributes are private, so
``check_receiver_seams`` fails loudly if an aiortc upgrade moves them (tested).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import RtpPacket

from .bandwidth import ReceiveBandwidth
from .bitstream import is_keyframe
from .forwarding import EncodedFrame
from .jitter import MAX_FRAME_WAIT_S, CompleteFrameJitterBuffer, InOrderAudioBuffer
from .nacks import RepeatingNacks

logger = logging.getLogger(__name__)

_DECODER_QUEUE_ATTR = "_RTCRtpReceiver__decoder_queue"
_JITTER_BUFFER_ATTR = "_RTCRtpReceiver__jitter_buffer"
_DECODER_THREAD_ATTR = "_RTCRtpReceiver__decoder_thread"
_NACK_GENERATOR_ATTR = "_RTCRtpReceiver__nack_generator"
_BITRATE_ESTIMATOR_ATTR = "_RTCRtpReceiver__remote_bitrate_estimator"

# A keyframe costs several times a delta frame on the sender's uplink; a burst of
# requests (two viewers joining, a PLI per dropped frame) needs only one.
KEYFRAME_REQUEST_MIN_INTERVAL_S = 0.3


class ReceiverSeamError(RuntimeError):
    """aiortc's receiver no longer has the private attributes the tap replaces."""


def check_receiver_seams(receiver: RTCRtpReceiver) -> None:
    """Raise ``ReceiverSeamError`` unless ``receiver`` can be tapped.

    Must be called before the receiver starts (before ``receive()``).
    """
    decoder_queue = getattr(receiver, _DECODER_QUEUE_ATTR, None)
    if not isinstance(decoder_queue, queue.Queue):
        raise ReceiverSeamError(
            f"RTCRtpReceiver.{_DECODER_QUEUE_ATTR} is {type(decoder_queue).__name__}, "
            "expected queue.Queue"
        )
    jitter_buffer = getattr(receiver, _JITTER_BUFFER_ATTR, None)
    if not isinstance(jitter_buffer, JitterBuffer):
        raise ReceiverSeamError(
            f"RTCRtpReceiver.{_JITTER_BUFFER_ATTR} is {type(jitter_buffer).__name__}, "
            "expected JitterBuffer"
        )
    nacks = getattr(receiver, _NACK_GENERATOR_ATTR, "missing")
    if nacks is not None and not isinstance(nacks, NackGenerator):
        raise ReceiverSeamError(
            f"RTCRtpReceiver.{_NACK_GENERATOR_ATTR} is {type(nacks).__name__}, "
            "expected NackGenerator (video) or None (audio)"
        )
    estimator = getattr(receiver, _BITRATE_ESTIMATOR_ATTR, "missing")
    if estimator is not None and not isinstance(estimator, RemoteBitrateEstimator):
        raise ReceiverSeamError(
            f"RTCRtpReceiver.{_BITRATE_ESTIMATOR_ATTR} is {type(estimator).__name__}, "
            "expected RemoteBitrateEstimator (video) or None (audio)"
        )
    if getattr(receiver, _DECODER_THREAD_ATTR, "missing") is not None:
        raise ReceiverSeamError("RTCRtpReceiver has already started: tap it before receive()")
    if not callable(getattr(receiver, "_send_rtcp_pli", None)):
        raise ReceiverSeamError("RTCRtpReceiver._send_rtcp_pli is missing")


class _TapQueue:
    """Stands in for the receiver's decoder queue; see the module docstring."""

    def __init__(
        self, inner: queue.Queue, on_frame: Callable[[RTCRtpCodecParameters, JitterFrame], None]
    ) -> None:
        self._inner = inner
        self._on_frame = on_frame

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            self._inner.put(None)
            return
        codec, jitter_frame = item
        try:
            self._on_frame(codec, jitter_frame)
        except Exception:
            # Never let a forwarding bug break aiortc's packet handling.
            logger.exception("encoded frame handler failed")

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        return self._inner.get(block, timeout)


def _also_to(
    on_packet: Callable[[RtpPacket], None], add: Callable[[RtpPacket], Any]
) -> Callable[[RtpPacket], Any]:
    """The jitter buffer's ``add``, handing each packet to ``on_packet`` first (after
    aiortc unwrapped RTX; a failing handler never breaks the receiver)."""

    def add_packet(packet: RtpPacket) -> Any:
        try:
            on_packet(packet)
        except Exception:
            logger.exception("packet handler failed")
        return add(packet)

    return add_packet


class EncodedFrameTap:
    """Delivers a receiver's encoded frames to ``on_frame`` on the event loop.

    Contract: install right after ``setRemoteDescription`` created the receiver and
    before ``setLocalDescription`` (which starts it). The receiver's remote track
    then never yields anything; it ends when the receiver stops. ``on_frame`` must
    not block. ``bandwidth`` (video): the estimate sent to the sender as REMB (default:
    aiortc's own), told of every packet's sequence number. ``request_keyframe`` sends a
    PLI upstream for the media SSRC, at most once per
    ``KEYFRAME_REQUEST_MIN_INTERVAL_S``. ``close`` cancels pending sends.
    ``frames_lost`` counts video frames given up after a loss (see the module docstring).
    ``on_packet`` (video) is handed every media packet as it arrives, before reassembly
    (packet forwarding, packet_forwarding.py). ``max_frame_wait_s`` (video): how long a
    frame missing a packet waits for its retransmission, and how long the missing packet
    is asked for (jitter.py's ``MAX_FRAME_WAIT_S`` when the frames are the live picture;
    longer, ``RECORDER_FRAME_WAIT_S``, when packets go on as they come and the frames
    only feed the recorder). ``picture_ids``: the video is VP8, whose picture ids tell
    the buffer which gaps hold no media (jitter.py).
    """

    def __init__(
        self,
        receiver: RTCRtpReceiver,
        kind: str,
        on_frame: Callable[[EncodedFrame], None],
        *,
        release_complete_frames: bool = True,
        bandwidth: ReceiveBandwidth | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_packet: Callable[[RtpPacket], None] | None = None,
        max_frame_wait_s: float = MAX_FRAME_WAIT_S,
        picture_ids: bool = False,
    ) -> None:
        check_receiver_seams(receiver)
        self.kind = kind
        self.bandwidth = bandwidth if kind == "video" else None  # the REMB estimate, if any
        self.keyframe_requests_sent = 0
        self.frames_lost = 0
        self._awaiting_keyframe = False
        self._receiver = receiver
        self._on_frame = on_frame
        self._clock = clock
        self._last_request_at: float | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._closed = False

        self._buffer: CompleteFrameJitterBuffer | InOrderAudioBuffer | None = None
        self._nacks: RepeatingNacks | None = None
        if kind == "video":
            self._nacks = RepeatingNacks(max_age_s=max_frame_wait_s)
            setattr(receiver, _NACK_GENERATOR_ATTR, self._nacks)
            if bandwidth is not None:
                setattr(receiver, _BITRATE_ESTIMATOR_ATTR, bandwidth)
            self._buffer = CompleteFrameJitterBuffer(
                release_on_marker=release_complete_frames,
                on_loss=self._lost,
                max_wait_s=max_frame_wait_s,
                picture_ids=picture_ids,
            )
            setattr(receiver, _JITTER_BUFFER_ATTR, self._buffer)
            if bandwidth is not None:  # the loss the sender cannot see (bandwidth.py)
                self._buffer.add = _also_to(  # type: ignore[method-assign]
                    lambda packet: bandwidth.packet(packet.sequence_number), self._buffer.add
                )
            if on_packet is not None:
                self._buffer.add = _also_to(on_packet, self._buffer.add)  # type: ignore[method-assign]
        elif release_complete_frames:
            self._buffer = InOrderAudioBuffer()
            setattr(receiver, _JITTER_BUFFER_ATTR, self._buffer)
        inner = getattr(receiver, _DECODER_QUEUE_ATTR)
        setattr(receiver, _DECODER_QUEUE_ATTR, _TapQueue(inner, self._deliver))

    @property
    def packets_received(self) -> int:
        """RTP packets of the media stream that reached the tap (not counted when the
        audio tap keeps aiortc's own buffer, ``release_complete_frames=False``)."""
        return self._buffer.packets if self._buffer is not None else 0

    @property
    def nacks_repeated(self) -> int:
        """NACKs sent again for video packets still missing (nacks.py)."""
        return self._nacks.repeats if self._nacks is not None else 0

    @property
    def media_ssrc(self) -> int | None:
        """SSRC of the media stream (never the RTX one), once a packet arrived."""
        return self._buffer.media_ssrc if self._buffer is not None else None

    def request_keyframe(self) -> bool:
        """Ask the sender for a keyframe (PLI). Returns False if rate-limited/unknown."""
        ssrc = self.media_ssrc
        if self._closed or self.kind != "video" or ssrc is None:
            return False
        now = self._clock()
        if (
            self._last_request_at is not None
            and now - self._last_request_at < KEYFRAME_REQUEST_MIN_INTERVAL_S
        ):
            return False
        self._last_request_at = now
        self.keyframe_requests_sent += 1
        task = asyncio.get_running_loop().create_task(self._receiver._send_rtcp_pli(ssrc))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return True

    def close(self) -> None:
        """Stop delivering frames and cancel keyframe requests still being sent."""
        self._closed = True
        for task in list(self._pending):
            task.cancel()

    def _lost(self, frames: int) -> None:
        """The jitter buffer gave up on packets: resume at the next keyframe."""
        self.frames_lost += frames
        if self._nacks is not None:
            self._nacks.forget()
        self._awaiting_keyframe = True
        self.request_keyframe()

    def _deliver(self, codec: RTCRtpCodecParameters, jitter_frame: JitterFrame) -> None:
        if self._closed:
            return
        keyframe = is_keyframe(codec.name, jitter_frame.data)
        if self._awaiting_keyframe:
            if not keyframe:
                self.frames_lost += 1
                self.request_keyframe()
                return
            self._awaiting_keyframe = False
        self._on_frame(
            EncodedFrame(
                data=jitter_frame.data,
                timestamp=jitter_frame.timestamp,
                clock_rate=codec.clockRate,
                codec_name=codec.name,
                is_keyframe=keyframe,
                received_at=time.monotonic(),
            )
        )
