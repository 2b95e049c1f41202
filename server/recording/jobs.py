"""Work on recordings outside the call path: review files, and what a dead process left.

``ReviewJobs`` makes review files one call at a time, each in a child process
(``python -m server.recording.review``, see review.py), so decoding and encoding audio
never runs on the event loop that carries media; the child's progress lines update the
review row's ``progress``. (What a dead process left is finished at start by
``server/calls/recovery.py``.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from server.models import Call, Recording
from server.recording.names import CONTENT_TYPES, review_key
from server.recording.probe import sha256_of
from server.recording.review import review_format
from server.storage import Storage, StorageError
from server.webhooks.outbox import emit, recording_data
from signaling.vocabulary import CallState

log = logging.getLogger("showdesk.recording")

# A review file takes about a second of one core per minute of call; a child that runs
# far longer than that is stuck.
REVIEW_TIMEOUT_BASE_S = 120.0
PROGRESS_WRITE_INTERVAL_S = 0.5


def _now() -> datetime:
    return datetime.now(UTC)


def _is_audio(row: Recording) -> bool:
    return "_audio" in (row.track or "")


class ReviewJobs:
    """A queue of calls whose review file is to be made; one child process at a time."""

    def __init__(self, engine: Engine, storage: Storage) -> None:
        self._engine = engine
        self._storage = storage
        self._queue: asyncio.Queue[str] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._child: asyncio.subprocess.Process | None = None
        self._queued: set[str] = set()
        self.idle = asyncio.Event()

    @property
    def queued(self) -> int:
        """Calls whose review file is waiting or being made (for metrics)."""
        return len(self._queued)

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self.idle.set()
        self._worker = asyncio.create_task(self._work_forever(), name="review-jobs")

    def enqueue(self, call_id: str) -> None:
        if self._queue is None or call_id in self._queued:
            return
        self._queued.add(call_id)
        self.idle.clear()
        self._queue.put_nowait(call_id)

    async def stop(self) -> None:
        """Stop now: a review file being made is abandoned (its row stays
        ``finalizing`` and the next start makes it again)."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        child = self._child
        if child is not None and child.returncode is None:
            child.kill()
            await child.wait()

    async def _work_forever(self) -> None:
        assert self._queue is not None
        while True:
            call_id = await self._queue.get()
            try:
                await self.make(call_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the review file of call %s failed", call_id)
            finally:
                self._queued.discard(call_id)
                if self._queue.empty():
                    self.idle.set()

    async def make(self, call_id: str) -> None:
        """Make the call's review file now (nothing if it has one or nothing to show)."""
        plan = await asyncio.to_thread(self._plan, call_id)
        if plan is None:
            return
        row_id, spec = plan
        started = time.monotonic()
        facts: dict[str, Any] | None = None
        error: str | None = None
        try:
            self._child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "server.recording.review",
                "-",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            assert self._child.stdin is not None
            self._child.stdin.write(json.dumps(spec).encode())
            await self._child.stdin.drain()
            self._child.stdin.close()
            timeout = REVIEW_TIMEOUT_BASE_S + spec["expected_duration_ms"] / 1000
            try:
                facts, error = await asyncio.wait_for(self._follow(row_id), timeout)
            except TimeoutError:
                self._child.kill()
                error = f"making the review file took longer than {timeout:.0f} s"
            stderr = (await self._child.stderr.read()).decode(errors="replace")
            await self._child.wait()
            if facts is None and error is None:
                error = f"the review process exited with {self._child.returncode}: {stderr[-300:]}"
        finally:
            child, self._child = self._child, None
            if child is not None and child.returncode is None:
                # cancelled (shutdown): the child must not outlive us or write on
                child.kill()
                await asyncio.shield(child.wait())
        if facts is not None:
            try:
                facts["sha256"] = await asyncio.to_thread(sha256_of, Path(spec["output"]))
            except OSError as exc:
                facts, error = None, f"the review file is missing: {exc}"
            else:
                try:
                    await asyncio.to_thread(self._storage.commit, spec["key"])
                except StorageError as exc:  # the local copy stays and is uploaded later
                    log.warning("review file of call %s waits for upload: %s", call_id, exc)
        await asyncio.to_thread(self._finish, row_id, facts, error)
        log.info(
            "review file of call %s: %s in %.1f s",
            call_id,
            "ready" if facts else f"failed ({error})",
            time.monotonic() - started,
        )

    async def _follow(self, row_id: int) -> tuple[dict[str, Any] | None, str | None]:
        assert self._child is not None and self._child.stdout is not None
        last_write = 0.0
        while line := (await self._child.stdout.readline()).decode().strip():
            word, _, rest = line.partition(" ")
            if word == "progress":
                now = time.monotonic()
                if now - last_write >= PROGRESS_WRITE_INTERVAL_S:
                    last_write = now
                    await asyncio.to_thread(self._progress, row_id, int(rest))
            elif word == "result":
                return json.loads(rest), None
            elif word == "error":
                return None, str(json.loads(rest))
        return None, None

    # -- database (in threads) ------------------------------------------------------

    def _plan(self, call_id: str) -> tuple[int, dict[str, Any]] | None:
        with Session(self._engine, expire_on_commit=False) as db:
            call = db.get(Call, call_id)
            if call is None or call.state != CallState.ENDED:
                return None
            rows = db.exec(select(Recording).where(Recording.call_id == call_id)).all()
            review = next((r for r in rows if r.kind == "review"), None)
            if review is not None and review.state == "ready":
                return None
            tracks = [r for r in rows if r.kind == "track"]
            if any(r.state in ("recording", "finalizing") for r in tracks):
                return None  # still being written; its end will ask again
            ready = sorted(
                (r for r in tracks if r.state == "ready"), key=lambda r: r.start_offset_ms
            )
            video = [r for r in ready if r.track == "buyer_video"]
            # the agent's camera, in the same codec (one per call): a second video stream,
            # or the only one when the buyer's camera never sent
            agent_video = [r for r in ready if r.track == "agent_video"]
            if video:
                agent_video = [r for r in agent_video if r.codec == video[0].codec]
            audio = [r for r in ready if _is_audio(r)]
            shown = video or agent_video
            used = video + agent_video + audio
            if not used:
                return None
            origin = min(r.start_offset_ms for r in used)
            end = max(r.start_offset_ms + (r.duration_ms or 0) for r in used)
            fmt = review_format(shown[0].codec if shown else None)
            key = review_key(call_id, fmt)
            kind = "video" if shown else "audio"
            path = self._storage.path_for_writing(key)
            if review is None:
                review = Recording(
                    call_id=call_id,
                    kind="review",
                    storage_key=key,
                    content_type=CONTENT_TYPES[(fmt, kind)],
                    state="finalizing",
                    created_at=_now(),
                )
            review.storage_key = key
            review.content_type = CONTENT_TYPES[(fmt, kind)]
            codecs = [shown[0].codec] if shown else []
            if audio:
                codecs.append("opus" if fmt == "webm" else "aac")
            review.codec = ",".join(c for c in codecs if c)
            review.state = "finalizing"
            review.progress = 0
            review.error = None
            review.start_offset_ms = origin
            db.add(review)
            db.commit()
            db.refresh(review)

            def local(r: Recording) -> dict[str, Any]:
                return {
                    "path": str(self._storage.local_path(r.storage_key)),
                    "offset_ms": r.start_offset_ms,
                }

            spec = {
                "output": str(path),
                "key": key,
                "format": fmt,
                "origin_ms": origin,
                "expected_duration_ms": end - origin,
                "video": [local(r) for r in video],
                "agent_video": [local(r) for r in agent_video],
                "audio": [local(r) for r in audio],
            }
            assert review.id is not None
            return review.id, spec

    def _progress(self, row_id: int, percent: int) -> None:
        with Session(self._engine) as db:
            row = db.get(Recording, row_id)
            if row is not None and row.state == "finalizing":
                row.progress = max(0, min(99, percent))
                db.add(row)
                db.commit()

    def _finish(self, row_id: int, facts: dict[str, Any] | None, error: str | None) -> None:
        with Session(self._engine) as db:
            row = db.get(Recording, row_id)
            if row is None:
                return
            if facts is not None:
                row.state = "ready"
                row.progress = 100
                row.size_bytes = facts["size_bytes"]
                row.duration_ms = facts["duration_ms"]
                row.sha256 = facts["sha256"]
                row.error = None
                call = db.get(Call, row.call_id)
                order_ref = call.order_ref if call else ""
                db.add(row)
                db.flush()
                emit(db, "recording.ready", recording_data(row, order_ref), _now())
            else:
                row.state = "failed"
                row.error = (error or "unknown error")[:500]
            row.finished_at = _now()
            db.add(row)
            db.commit()
