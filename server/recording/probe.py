"""Facts about a recorded file, read from disk: size, sha256, duration, codec.

Works on files cut off by a killed process too: packets are read up to the last
complete one. Blocking: call it from a thread or another process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import av

CHUNK_BYTES = 1 << 20


@dataclass
class FileFacts:
    size_bytes: int
    sha256: str
    duration_ms: int
    codec: str | None
    packets: int
    error: str | None = None  # set when nothing in the file could be read

    @property
    def readable(self) -> bool:
        return self.error is None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def probe_file(path: Path) -> FileFacts:
    """Read every packet's timestamps (no decoding); duration is first to last + 1 frame."""
    size = path.stat().st_size
    digest = sha256_of(path)
    codec, packets, start, end = None, 0, None, None
    error = None
    try:
        with av.open(str(path)) as container:
            stream = container.streams[0]
            codec = stream.codec_context.name
            time_base = stream.time_base
            try:
                for packet in container.demux(stream):
                    if packet.pts is None:
                        continue
                    t0 = float(packet.pts * time_base)
                    t1 = t0 + float((packet.duration or 0) * time_base)
                    start = t0 if start is None else min(start, t0)
                    end = t1 if end is None else max(end, t1)
                    packets += 1
            except (av.error.FFmpegError, EOFError):
                pass  # a file cut off mid-cluster: keep what was read
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        error = f"unreadable: {exc}"[:500]
    if error is None and packets == 0:
        error = "no frames in the file"
    duration_ms = round(((end or 0.0) - (start or 0.0)) * 1000) if packets else 0
    return FileFacts(size, digest, duration_ms, codec, packets, error)


CLIP_CONTAINERS = {"matroska": "webm", "webm": "webm", "mp4": "mp4", "mov": "mp4"}
CLIP_CODECS = {"vp8", "vp9", "opus", "h264", "aac"}


@dataclass
class ClipFacts:
    """A clip's container (``webm`` or ``mp4``), codecs and duration, or why it is no clip."""

    container: str | None
    codecs: list[str]
    duration_ms: int
    width: int | None
    height: int | None
    error: str | None = None


def probe_clip(path: Path) -> ClipFacts:
    """Open ``path`` with PyAV and read every packet's timestamps (no decoding): the
    container must be WebM/Matroska or MP4, every stream VP8, VP9, Opus, H.264 or AAC, with
    at least one video packet. ``error`` says what is wrong otherwise. Blocking."""
    try:
        with av.open(str(path)) as container:
            names = container.format.name.split(",")
            kind = next((CLIP_CONTAINERS[n] for n in names if n in CLIP_CONTAINERS), None)
            if kind is None:
                return ClipFacts(None, [], 0, None, None, "not a WebM or MP4 video")
            codecs = [s.codec_context.name for s in container.streams]
            video = container.streams.video[0] if container.streams.video else None
            if video is None:
                return ClipFacts(kind, codecs, 0, None, None, "the file has no video")
            if any(c not in CLIP_CODECS for c in codecs):
                return ClipFacts(kind, codecs, 0, None, None, "the video's codec is not accepted")
            start, end, packets = None, None, 0
            try:
                for packet in container.demux(video):
                    if packet.pts is None:
                        continue
                    t0 = float(packet.pts * video.time_base)
                    t1 = t0 + float((packet.duration or 0) * video.time_base)
                    start = t0 if start is None else min(start, t0)
                    end = t1 if end is None else max(end, t1)
                    packets += 1
            except (av.error.FFmpegError, EOFError):
                pass
            if packets == 0:
                return ClipFacts(kind, codecs, 0, None, None, "no frames in the video")
            duration_ms = round(((end or 0.0) - (start or 0.0)) * 1000)
            return ClipFacts(
                kind, codecs, duration_ms, video.codec_context.width, video.codec_context.height
            )
    except (av.error.FFmpegError, IndexError, OSError, UnicodeDecodeError):
        return ClipFacts(None, [], 0, None, None, "not a video file")
