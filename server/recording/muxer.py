"""The writer thread: muxes encoded frames into track files, off the event loop.

The event loop only calls ``open``/``write``/``close``, which put a command on a queue
and return at once; one thread (``MuxThread``) runs the commands in order: PyAV muxing,
file writes and closes. It takes the frames that arrived every ``WRITE_INTERVAL_S``
(50 ms) rather than being woken for each. Files are WebM (VP8, Opus) or Matroska (H264),
an H.264 file with its codec configuration (avcC: the stream's own SPS and PPS, read from
its first keyframe) so that a copy into MP4 plays in browsers, written with
``flush_packets=1`` and ``cluster_time_limit=1000``: every packet reaches the file as it
is muxed and a cluster never spans more than a second, so a process
killed with SIGKILL leaves a file readable up to its last second.
"""

from __future__ import annotations

import collections
import concurrent.futures
import fractions
import io
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import av

log = logging.getLogger("showdesk.recording")

CONTAINER_OPTIONS = {"flush_packets": "1", "cluster_time_limit": "1000"}
VIDEO_CLOCK = 90000
OPUS_CLOCK = 48000
# Formats by codec: VP8 and Opus go into WebM (browsers play it); H264 into Matroska.
WRITE_INTERVAL_S = 0.05  # frames reach their file at most this late (clusters are 1 s)
FORMATS = {"vp8": ("webm", "webm"), "opus": ("webm", "webm"), "h264": ("matroska", "mkv")}


def container_extension(codec: str) -> str:
    return FORMATS[codec.lower()][1]


def vp8_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe header (RFC 6386 9.1), else None."""
    if len(data) < 10 or data[0] & 1 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return (width, height) if width and height else None


def _h264_template(first: bytes) -> av.container.InputContainer | None:
    """The first frame read as a raw H.264 stream (Annex B, as the relay forwards it):
    its stream has the frame's size and its SPS and PPS as extradata, which the Matroska
    muxer writes as the track's avcC. None when the frame carries no parameter sets
    (not a keyframe): the file then gets the encoder's defaults, as before.

    Adding an ``h264`` stream by codec name instead would open an H.264 encoder, whose
    own made-up SPS and PPS (another profile and size) would become the avcC."""
    try:
        source = av.open(io.BytesIO(first), "r", format="h264")
    except (av.error.FFmpegError, ValueError):
        return None
    stream = source.streams.video[0] if source.streams.video else None
    if stream is None or not stream.codec_context.extradata or not stream.codec_context.width:
        source.close()
        return None
    return source


@dataclass
class TrackSpec:
    """What one track file holds; ``metadata`` goes into the container header."""

    path: Path
    kind: str  # audio | video
    codec: str  # vp8 | h264 | opus
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class FileResult:
    """How writing one file went (resolved when the thread has closed it)."""

    packets: int = 0
    first_pts: int | None = None
    last_pts: int | None = None
    error: str | None = None


class _TrackFile:
    """Thread side of one file: the container is opened with the first packet."""

    def __init__(self, spec: TrackSpec) -> None:
        self.spec = spec
        self.result = FileResult()
        self._container: av.container.OutputContainer | None = None
        self._stream: av.stream.Stream | None = None
        self._time_base = fractions.Fraction(1, VIDEO_CLOCK if spec.kind == "video" else OPUS_CLOCK)

    def _open(self, first: bytes) -> None:
        fmt = FORMATS[self.spec.codec][0]
        container = av.open(str(self.spec.path), "w", format=fmt, options=CONTAINER_OPTIONS)
        for key, value in self.spec.metadata.items():
            container.metadata[key] = value
        template = _h264_template(first) if self.spec.codec == "h264" else None
        if template is not None:
            with template:
                stream = container.add_stream_from_template(template.streams.video[0])
        elif self.spec.kind == "video":
            stream = container.add_stream(self.spec.codec)
            # The header's size is the first keyframe's; later keyframes carry their own
            # (VP8 signals every size change in-band), so nothing assumes it stays fixed.
            size = vp8_dimensions(first) if self.spec.codec == "vp8" else None
            stream.width, stream.height = size or (640, 480)
        else:
            stream = container.add_stream("opus", rate=OPUS_CLOCK)
            stream.codec_context.layout = "stereo"
        stream.time_base = self._time_base
        self._container, self._stream = container, stream

    def write(self, data: bytes, pts: int, keyframe: bool) -> None:
        if self.result.error is not None:
            return
        try:
            if self._container is None:
                self._open(data)
            last = self.result.last_pts
            if last is not None and pts <= last:
                pts = last + 1  # Matroska needs increasing timestamps
            packet = av.Packet(data)  # a copy: muxing consumes the packet's buffer
            packet.pts = packet.dts = pts
            packet.time_base = self._time_base
            packet.stream = self._stream
            packet.is_keyframe = keyframe
            self._container.mux(packet)
        except Exception as exc:  # noqa: BLE001  (disk full, a broken header: the file fails)
            self.result.error = f"writing failed: {exc}"[:500]
            log.warning("recording %s: %s", self.spec.path.name, self.result.error)
            self._close_quietly()
            return
        self.result.packets += 1
        if self.result.first_pts is None:
            self.result.first_pts = pts
        self.result.last_pts = pts

    def close(self) -> FileResult:
        if self._container is not None:
            try:
                self._container.close()
            except Exception as exc:  # noqa: BLE001
                self.result.error = self.result.error or f"closing failed: {exc}"[:500]
            self._container = None
        elif self.result.error is None:
            self.result.error = "no frames were recorded"
        return self.result

    def _close_quietly(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            try:
                container.close()
            except Exception:  # noqa: BLE001, S110
                pass


class _Mailbox:
    """Commands from the event loop to the writer thread, in order.

    Frames are not announced: the writer takes what has arrived every
    ``WRITE_INTERVAL_S``, so the loop never wakes a thread per frame (measured: the
    wake-up, ``threading.Event.set``, was a third of a pinned relay worker's loop time).
    Commands someone waits for (open, close, stop) wake the writer at once."""

    def __init__(self) -> None:
        self._items: collections.deque[tuple] = collections.deque()
        self._wake = threading.Event()

    def put(self, item: tuple, *, wake: bool) -> None:
        self._items.append(item)
        if wake:
            self._wake.set()

    def take_all(self) -> list[tuple]:
        """Every waiting command, oldest first; waits at most ``WRITE_INTERVAL_S``."""
        if not self._items:
            self._wake.wait(WRITE_INTERVAL_S)
        self._wake.clear()
        batch = []
        while self._items:
            batch.append(self._items.popleft())
        return batch


class MuxThread:
    """One thread that writes every track file of this process, in command order.

    ``backlog`` tells how many packets are handed over but not yet written; the caller
    drops frames when it grows (a stalled disk must not grow memory without bound).
    """

    def __init__(self) -> None:
        self._commands = _Mailbox()
        self._thread: threading.Thread | None = None
        self._files: dict[int, _TrackFile] = {}
        self._submitted = 0  # written by the loop side only
        self._written = 0  # written by the thread only
        self.bytes_written = 0  # frame bytes muxed into files (thread only); for metrics

    @property
    def backlog(self) -> int:
        return self._submitted - self._written

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="recording-mux", daemon=True)
            self._thread.start()

    def open(self, file_id: int, spec: TrackSpec) -> None:
        self.start()
        self._commands.put(("open", file_id, spec), wake=True)

    def write(self, file_id: int, data: bytes, pts: int, keyframe: bool) -> None:
        self._submitted += 1
        self._commands.put(("write", file_id, data, pts, keyframe), wake=False)

    def close(self, file_id: int) -> concurrent.futures.Future[FileResult]:
        done: concurrent.futures.Future[FileResult] = concurrent.futures.Future()
        self._commands.put(("close", file_id, done), wake=True)
        return done

    def stop(self, timeout_s: float = 10.0) -> None:
        """Finish the queued commands and end the thread (blocks: call from a thread)."""
        if self._thread is None:
            return
        self._commands.put(("stop",), wake=True)
        self._thread.join(timeout_s)
        self._thread = None

    def _run(self) -> None:
        while True:
            for command in self._commands.take_all():
                if not self._run_one(command):
                    return

    def _run_one(self, command: tuple) -> bool:
        """Carry out one command; False once the thread is to end."""
        name = command[0]
        try:
            if name == "write":
                _, file_id, data, pts, keyframe = command
                self._written += 1
                track_file = self._files.get(file_id)
                if track_file is not None:
                    track_file.write(data, pts, keyframe)
                    if track_file.result.error is None:
                        self.bytes_written += len(data)
            elif name == "open":
                _, file_id, spec = command
                self._files[file_id] = _TrackFile(spec)
            elif name == "close":
                _, file_id, done = command
                track_file = self._files.pop(file_id, None)
                result = track_file.close() if track_file else FileResult(error="unknown file")
                done.set_result(result)
            elif name == "stop":
                for track_file in self._files.values():
                    track_file.close()
                self._files.clear()
                return False
        except Exception:
            log.exception("recording writer: %s failed", name)
        return True
