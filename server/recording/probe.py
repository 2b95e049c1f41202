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
