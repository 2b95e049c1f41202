"""Encoded-frame plumbing: one incoming track fans out to bounded outgoing tracks.

``TrackSource`` is one participant's incoming track (fed by a ``receiver_tap``);
``ForwardingTrack`` is an aiortc ``MediaStreamTrack`` given to another participant's
``RTCRtpSender`` (or read by a recorder). Its ``recv()`` returns ``av.Packet`` with
``pts`` and ``time_base`` set, which aiortc's sender packetizes without encoding
(``RTCRtpSender._next_encoded_frame`` -> ``encoder.pack``). Everything here runs on
the event loop and never blocks.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import av
from aiortc import RTCRtpSender
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

# ~2 s of 30 fps video: a consumer further behind than that is better restarted at
# a keyframe than shown late.
VIDEO_QUEUE_MAX_FRAMES = 64
# 1 s of 20 ms Opus frames: beyond that, old speech is worth less than the memory.
AUDIO_QUEUE_MAX_FRAMES = 50

DelayRecord = deque[float]
"""Seconds each forwarded frame spent in the relay, newest last (a bounded deque)."""


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One whole encoded frame as received (depayloaded, never decoded).

    ``timestamp`` is in ``clock_rate`` units (RTP clock: 90000 video, 48000 Opus),
    counted from the source's first frame. ``received_at`` is the ``time.monotonic()``
    at which the receiver tap delivered the whole frame (0.0: unknown).
    """

    data: bytes
    timestamp: int
    clock_rate: int
    codec_name: str
    is_keyframe: bool
    received_at: float = 0.0


RTP_TIMESTAMP_RANGE = 2**32
RTP_TIMESTAMP_HALF_RANGE = 2**31
GOP_CACHE_MAX_FRAMES = 45  # 1.5 s at 30 fps: a newcomer replays at most this much


class TrackSource:
    """One incoming track; pushes each frame to every attached ``ForwardingTrack``.

    ``keyframe_requester`` asks the sending browser for a keyframe (rate-limited
    by its implementation) and returns whether a request went out.

    For video it keeps the frames since the latest keyframe while there are at most
    ``GOP_CACHE_MAX_FRAMES`` of them (``recent_frames``): a sink attached shortly after a
    keyframe starts from it at once instead of waiting a keyframe request's round trip
    (browsers also ignore requests that follow their last keyframe too closely).
    """

    def __init__(self, kind: str, keyframe_requester: Callable[[], bool] | None = None) -> None:
        self.kind = kind
        self.frames_received = 0
        self.keyframe_requester: Callable[[], bool] = keyframe_requester or (lambda: False)
        self._sinks: list[ForwardingTrack] = []
        self._since_keyframe: list[EncodedFrame] | None = None

    @property
    def sinks(self) -> tuple[ForwardingTrack, ...]:
        return tuple(self._sinks)

    def push(self, frame: EncodedFrame) -> None:
        """Deliver ``frame`` to every attached sink."""
        self.frames_received += 1
        if self.kind == "video":
            if frame.is_keyframe:
                self._since_keyframe = [frame]
            elif self._since_keyframe is not None:
                if len(self._since_keyframe) < GOP_CACHE_MAX_FRAMES:
                    self._since_keyframe.append(frame)
                else:
                    self._since_keyframe = None  # too old: a newcomer needs a new keyframe
        for sink in self._sinks:
            sink.put(frame)

    def recent_frames(self) -> list[EncodedFrame]:
        """The latest keyframe and the frames after it, or [] when there is none recent."""
        return list(self._since_keyframe or [])

    def request_keyframe(self) -> bool:
        return self.keyframe_requester()

    def close(self) -> None:
        """Detach every sink (they wait for the next source)."""
        for sink in list(self._sinks):
            sink.attach(None)

    def _add_sink(self, sink: ForwardingTrack) -> None:
        if sink not in self._sinks:
            self._sinks.append(sink)

    def _remove_sink(self, sink: ForwardingTrack) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)


class ForwardingTrack(MediaStreamTrack):
    """An outgoing track that yields encoded frames of whatever source is attached.

    Contract:
    - yields nothing until a source is attached (``attach``), and again after it
      is detached; attaching another source continues the same track with
      monotonic timestamps (rebased on wall-clock time);
    - holds at most ``max_queued_frames``; a video consumer that falls behind loses
      everything queued and resumes at the next keyframe, which is requested
      upstream; audio drops its oldest frame;
    - video starts (and restarts after an attach or an overflow) at a keyframe;
      on the first ``recv`` after an attach, frames queued before the newest
      keyframe (video) or before the newest frame (audio) are skipped, so a sender
      that starts late does not begin with a backlog;
    - with a ``delay_record``, each ``recv`` appends how long its frame spent in the
      relay: from the tap's delivery (``EncodedFrame.received_at``) to this hand-over.
    """

    def __init__(
        self,
        kind: str,
        max_queued_frames: int | None = None,
        delay_record: DelayRecord | None = None,
    ) -> None:
        super().__init__()
        if kind not in ("audio", "video"):
            raise ValueError(f'ForwardingTrack kind must be "audio" or "video", not "{kind}"')
        self.kind = kind
        # The latest REMB from the browser this track is sent to (bandwidth.py), if any.
        self.receiver_estimate_bps: int | None = None
        self.max_queued_frames = max_queued_frames or (
            VIDEO_QUEUE_MAX_FRAMES if kind == "video" else AUDIO_QUEUE_MAX_FRAMES
        )
        self.frames_forwarded = 0
        self.frames_dropped = 0
        self.max_queue_length = 0
        self.keyframe_requests_received = 0
        self._queue: deque[EncodedFrame] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._source: TrackSource | None = None
        self._awaiting_keyframe = kind == "video"
        self._skip_backlog = True
        self._timestamp_offset: int | None = None
        self._last_raw_timestamp: int | None = None  # the source's last 32-bit RTP timestamp
        self._wraps = 0  # how often the source's RTP timestamp wrapped past 2**32
        self._last_timestamp: int | None = None
        self._last_sent_at: float | None = None
        self._time_bases: dict[int, fractions.Fraction] = {}
        self._delay_record = delay_record

    @property
    def source(self) -> TrackSource | None:
        return self._source

    @property
    def queue_length(self) -> int:
        return len(self._queue)

    def attach(self, source: TrackSource | None) -> None:
        """Forward ``source`` from now on (``None``: forward nothing).

        Frames queued from a previous source are dropped; for video a keyframe is
        requested from the new source at once, so a late joiner sees a picture
        without waiting for the sender's next periodic keyframe.
        """
        if source is self._source:
            return
        if self._source is not None:
            self._source._remove_sink(self)
        self._source = source
        self.frames_dropped += len(self._queue)
        self._queue.clear()
        self._awaiting_keyframe = self.kind == "video"
        self._skip_backlog = True
        self._timestamp_offset = None
        self._last_raw_timestamp = None
        self._wraps = 0
        if source is not None:
            source._add_sink(self)
            recent = source.recent_frames()
            for frame in recent:
                self.put(frame)
            if not recent:
                source.request_keyframe()

    def request_keyframe(self) -> None:
        """A downstream keyframe request (PLI/FIR): pass it to the source."""
        self.keyframe_requests_received += 1
        if self._source is not None:
            self._source.request_keyframe()

    def put(self, frame: EncodedFrame) -> None:
        """Queue ``frame`` (called by the source, on the event loop)."""
        if self.readyState != "live":
            return
        if self._awaiting_keyframe:
            if not frame.is_keyframe:
                self.frames_dropped += 1
                self._request_upstream_keyframe()
                return
            self._awaiting_keyframe = False
        if len(self._queue) >= self.max_queued_frames:
            if self.kind == "video":
                self.frames_dropped += len(self._queue)
                self._queue.clear()
                if not frame.is_keyframe:
                    self.frames_dropped += 1
                    self._awaiting_keyframe = True
                    self._request_upstream_keyframe()
                    return
            else:
                self._queue.popleft()
                self.frames_dropped += 1
        self._queue.append(frame)
        self.max_queue_length = max(self.max_queue_length, len(self._queue))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _request_upstream_keyframe(self) -> None:
        if self._source is not None:
            self._source.request_keyframe()

    async def recv(self) -> av.Packet:
        """Next encoded frame as an ``av.Packet`` (``pts`` in ``time_base`` units)."""
        frame, pts = await self.recv_frame()
        packet = av.Packet(frame.data)
        packet.pts = pts
        packet.time_base = self._time_base(frame.clock_rate)
        return packet

    async def recv_frame(self) -> tuple[EncodedFrame, int]:
        """Next encoded frame as it is, with its output timestamp (``clock_rate``
        units), for an in-process reader such as the recorder: no ``av.Packet`` is made
        and the bytes are not copied. Raises ``MediaStreamError`` once stopped."""
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.readyState != "live":
            raise MediaStreamError
        if self._skip_backlog:
            self._skip_backlog = False
            self._drop_backlog()
        frame = self._queue.popleft()
        self.frames_forwarded += 1
        now = time.monotonic()
        if self._delay_record is not None and frame.received_at:
            self._delay_record.append(now - frame.received_at)
        return frame, self._output_timestamp(frame, now)

    def stop(self) -> None:
        """End the track; a pending ``recv`` raises ``MediaStreamError``."""
        self.attach(None)
        super().stop()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _drop_backlog(self) -> None:
        keep_from = len(self._queue) - 1
        if self.kind == "video":
            while keep_from > 0 and not self._queue[keep_from].is_keyframe:
                keep_from -= 1
        for _ in range(keep_from):
            self._queue.popleft()
            self.frames_dropped += 1

    def _unwrapped(self, timestamp: int) -> int:
        """The source's 32-bit RTP timestamp extended past its wrap (browsers start it at
        a random value, so a long call may cross 2**32): a step back of more than half
        the range is a wrap, a smaller one a reordered frame."""
        last = self._last_raw_timestamp
        if last is not None:
            if timestamp < last and last - timestamp > RTP_TIMESTAMP_HALF_RANGE:
                self._wraps += 1
            elif timestamp > last and timestamp - last > RTP_TIMESTAMP_HALF_RANGE:
                return timestamp + (self._wraps - 1) * RTP_TIMESTAMP_RANGE  # late, from before
        self._last_raw_timestamp = timestamp
        return timestamp + self._wraps * RTP_TIMESTAMP_RANGE

    def _output_timestamp(self, frame: EncodedFrame, now: float) -> int:
        timestamp = self._unwrapped(frame.timestamp)
        if self._timestamp_offset is None:
            if self._last_timestamp is None or self._last_sent_at is None:
                self._timestamp_offset = -timestamp
            else:
                elapsed_ticks = round((now - self._last_sent_at) * frame.clock_rate)
                target = self._last_timestamp + max(1, elapsed_ticks)
                self._timestamp_offset = target - timestamp
        self._last_timestamp = timestamp + self._timestamp_offset
        self._last_sent_at = now
        return self._last_timestamp

    def _time_base(self, clock_rate: int) -> fractions.Fraction:
        time_base = self._time_bases.get(clock_rate)
        if time_base is None:
            time_base = self._time_bases[clock_rate] = fractions.Fraction(1, clock_rate)
        return time_base


def route_keyframe_requests(sender: RTCRtpSender, track: ForwardingTrack) -> None:
    """Make PLI/FIR that reach ``sender`` ask ``track``'s source for a keyframe.

    Seam (aiortc 1.16, rtcrtpsender.py): ``_handle_rtcp_packet`` calls
    ``self._send_keyframe()`` for PLI and FIR; the sender itself only honours it
    when encoding, which a forwarding sender never does. The per-instance attribute
    shadows the method for this sender only.
    """
    original = sender._send_keyframe

    def send_keyframe() -> None:
        original()
        track.request_keyframe()

    sender._send_keyframe = send_keyframe  # type: ignore[method-assign]
