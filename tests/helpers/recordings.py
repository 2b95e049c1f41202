"""Reading what a call left behind: its rows (calls, recordings) and its track files."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from server.models import Call, Recording
from server.recording.probe import probe_file
from tests.helpers.waiting import NotYet, wait_in_thread


def recordings_of(engine: Engine, call_id: str) -> list[Recording]:
    """The call's recording rows (tracks and review), as stored now."""
    with Session(engine, expire_on_commit=False) as db:
        return list(db.exec(select(Recording).where(Recording.call_id == call_id)))


def call_row(engine: Engine, call_id: str) -> Call | None:
    """The call's row as stored now, or None."""
    with Session(engine, expire_on_commit=False) as db:
        return db.get(Call, call_id)


async def wait_recorded(path: Path, ms: int, timeout_s: float = 20.0) -> None:
    """Wait until the track file at ``path`` holds ``ms`` of media, as a reader sees it
    while it is written (up to its last complete cluster)."""

    def enough() -> bool | NotYet:
        if not path.exists():
            return NotYet("no file yet")
        facts = probe_file(path)
        return facts.duration_ms >= ms or NotYet(f"{facts.duration_ms} ms in the file")

    await wait_in_thread(enough, timeout_s, f"{ms} ms recorded in {path.name}")


def all_ready(
    engine: Engine, call_id: str, review: bool = True
) -> Callable[[], list[Recording] | None]:
    """A check for ``wait_in_thread``: the call's rows once every track row (and, with
    ``review``, the one review row) is ready, else None."""

    def check() -> list[Recording] | None:
        rows = recordings_of(engine, call_id)
        tracks = [r for r in rows if r.kind == "track"]
        reviews = [r for r in rows if r.kind == "review"]
        if not tracks or any(r.state != "ready" for r in tracks):
            return None
        if review and (len(reviews) != 1 or reviews[0].state != "ready"):
            return None
        return rows

    return check


def sha256_file(path: Path) -> str:
    """The SHA-256 hex digest of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def packets_of(path: Path) -> list[tuple[bytes, bool, float]]:
    """The first stream's packets in a file: (bytes, keyframe, time in seconds)."""
    with av.open(str(path)) as container:
        return [
            (bytes(p), p.is_keyframe, float(p.pts * p.time_base))
            for p in container.demux(container.streams[0])
            if p.pts is not None
        ]


@dataclass(frozen=True)
class Run:
    """``length`` recorded frames from ``recorded_at`` equal sent frames from ``sent_at``."""

    recorded_at: int
    sent_at: int
    length: int


def runs_of_sent(recorded: list[bytes], sent: list[bytes]) -> list[Run]:
    """Split ``recorded`` into runs of consecutive ``sent`` frames, in sending order.

    Each run is matched where it is longest (a clip repeats its frames). Fails (an
    AssertionError that says where) when a recorded frame was never sent after the
    previous run: a frame made up, reordered or damaged."""
    runs: list[Run] = []
    at, after = 0, 0
    while at < len(recorded):
        best: Run | None = None
        for start in range(after, len(sent)):
            if sent[start] != recorded[at]:
                continue
            length = 1
            while (
                at + length < len(recorded)
                and start + length < len(sent)
                and sent[start + length] == recorded[at + length]
            ):
                length += 1
            if best is None or length > best.length:
                best = Run(at, start, length)
        if best is None:
            frame = recorded[at]
            raise AssertionError(
                f"recorded frame {at} of {len(recorded)} ({len(frame)} bytes, starts "
                f"{frame[:6].hex()}) is not a sent frame after sent[{after}] of {len(sent)}"
                f" (sent at all: {frame in sent}); runs so far: {runs}"
            )
        runs.append(best)
        at, after = at + best.length, best.sent_at + best.length
    return runs


def decoded_video(path: Path) -> list[tuple[int, int, float]]:
    """Every decoded video frame of a file: (width, height, time in seconds)."""
    with av.open(str(path)) as container:
        return [(f.width, f.height, f.time) for f in container.decode(video=0)]


def decoded_audio_samples(path: Path) -> int:
    """How many audio samples a file decodes to."""
    with av.open(str(path)) as container:
        return sum(f.samples for f in container.decode(audio=0))
