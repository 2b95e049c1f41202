"""``Recorder``: records the tracks of live calls, on the event loop, without decoding.

From the moment a call is answered, every incoming track of each of its media legs is
subscribed to (``LocalRelay.subscribe``); the first frame of a track opens its file
(``calls/<call>/tracks/<track>-<segment>.webm``) and reports a ``Recording`` row
(``recording``; rows.py turns these reports into database changes: the recorder runs
in a relay worker, which has no database);
each frame is handed to the writer thread (muxer.py) as bytes with its timestamp. The
loop does nothing slower than putting a tuple on a queue. When the leg closes (the call
ended, or the page was replaced by a new leg, which records as the next segment), the
file is closed by the thread, probed in a thread, and its row becomes ``ready`` (or
``failed``). When all of a call's files are done, ``on_call_recorded`` is told.

Timestamps: each file's timestamps start at 0 at its first frame (the sender's RTP clock,
so gaps stay gaps); ``start_offset_ms`` places that frame on the call clock (ms since
``Call.created_at``), which lines the tracks up.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aiortc.mediastreams import MediaStreamError

from server.recording.muxer import (
    OPUS_CLOCK,
    VIDEO_CLOCK,
    MuxThread,
    TrackSpec,
    container_extension,
)
from server.recording.names import track_key, track_name
from server.recording.probe import FileFacts, probe_file
from server.relay.interface import RelayError
from server.storage import Storage
from signaling.call import elapsed_ms

log = logging.getLogger("showdesk.recording")

RowChange = dict[str, Any]
Report = Callable[[RowChange], None]
"""Hands a change of a ``Recording`` row (rows.py) to whoever keeps the database: in a
relay worker, a message to the control plane, which applies changes in the order they
were reported. Called on the event loop; must not block."""

# The recorder's subscription may hold this many frames (10 s of 30 fps video) before
# the relay drops to the next keyframe: only a stalled event loop gets there.
SUBSCRIPTION_MAX_FRAMES = 300
# Frames handed to the writer thread but not yet written; beyond this the disk is
# stalled and frames are dropped (video then resumes at a keyframe) instead of
# growing memory.
MAX_WRITER_BACKLOG = 6000
# The writer flushes every packet; closing is quick. A shutdown waits at most this long.
DEFAULT_CLOSE_TIMEOUT_S = 10.0


@dataclass
class _CallRecording:
    call_id: str
    created_at: float  # epoch seconds: the call clock's zero
    segments: dict[str, int] = field(default_factory=dict)  # side -> legs seen
    legs: set[str] = field(default_factory=set)
    readers: set[asyncio.Task[None]] = field(default_factory=set)
    tracks: list[Any] = field(default_factory=list)
    ended: bool = False


class Recorder:
    """Records the calls of one relay; one per control plane (see module docstring)."""

    def __init__(
        self,
        relay: Any,  # LocalRelay: ``subscribe`` and ``sources``
        storage: Storage,
        report: Report,
        *,
        on_call_recorded: Callable[[str], None] | None = None,
    ) -> None:
        self._relay = relay
        self._storage = storage
        self._report = report
        self.on_call_recorded = on_call_recorded
        self._mux = MuxThread()
        self._file_ids = itertools.count(1)
        self._calls: dict[str, _CallRecording] = {}
        self._finishing: set[asyncio.Task[None]] = set()
        self.frames_dropped = 0

    @property
    def bytes_written(self) -> int:
        """Frame bytes written to track files since start (for metrics)."""
        return self._mux.bytes_written

    @property
    def calls_recording(self) -> int:
        """Calls being recorded, or whose files are still being finalized (for metrics)."""
        return len(self._calls)

    @property
    def writer_backlog(self) -> int:
        """Frames handed to the writer thread and not yet written (for metrics)."""
        return self._mux.backlog

    # ---------------------------------------------------------------- call events

    def call_live(self, call_id: str, created_at: float) -> None:
        """The call was answered: record its legs from now on."""
        if call_id not in self._calls:
            self._calls[call_id] = _CallRecording(call_id, created_at)

    def leg_answered(self, call_id: str, side: str, participant_id: str) -> None:
        """A media leg of the call has its tracks: subscribe to each (a new segment)."""
        rec = self._calls.get(call_id)
        if rec is None or rec.ended or participant_id in rec.legs:
            return
        rec.legs.add(participant_id)
        segment = rec.segments.get(side, 0)
        rec.segments[side] = segment + 1
        try:
            sources = self._relay.sources(participant_id)
            video_codec = self._relay.video_codec_of(participant_id)
        except RelayError:
            return  # closed meanwhile
        seen: dict[str, int] = {}
        for source in sources:
            index = seen.get(source.kind, 0)
            seen[source.kind] = index + 1
            codec = "opus" if source.kind == "audio" else (video_codec or "").lower()
            if not codec:
                continue  # its video was answered inactive: nothing arrives to record
            track = self._relay.subscribe(
                participant_id, source.kind, index, max_queued_frames=SUBSCRIPTION_MAX_FRAMES
            )
            rec.tracks.append(track)
            name = track_name(side, source.kind, index)
            task = asyncio.ensure_future(
                self._record_track(rec, name, source.kind, codec, segment, track)
            )
            rec.readers.add(task)
            task.add_done_callback(rec.readers.discard)

    def call_ended(self, call_id: str) -> None:
        """The call ended: close its files, finalize their rows, then report it."""
        rec = self._calls.get(call_id)
        if rec is None or rec.ended:
            return
        rec.ended = True
        for track in rec.tracks:
            track.stop()  # a pending recv ends; the reader closes its file
        task = asyncio.ensure_future(self._finish_call(rec))
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)

    async def aclose(self, timeout_s: float = DEFAULT_CLOSE_TIMEOUT_S) -> bool:
        """End every recording and wait (bounded) until their rows are final.

        Returns False when something was still unfinished at the deadline."""
        for call_id in list(self._calls):
            self.call_ended(call_id)
        pending = set(self._finishing)
        done = True
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout_s)
            done = not late
            for task in late:
                task.cancel()
        await asyncio.to_thread(self._mux.stop, 2.0)
        return done

    # ---------------------------------------------------------------- internals

    async def _finish_call(self, rec: _CallRecording) -> None:
        try:
            if rec.readers:
                await asyncio.gather(*list(rec.readers), return_exceptions=True)
        finally:
            self._calls.pop(rec.call_id, None)
        if self.on_call_recorded is not None:
            try:
                self.on_call_recorded(rec.call_id)
            except Exception:
                log.exception("after recording call %s", rec.call_id)

    async def _record_track(
        self, rec: _CallRecording, name: str, kind: str, codec: str, segment: int, track: Any
    ) -> None:
        clock = OPUS_CLOCK if kind == "audio" else VIDEO_CLOCK
        file_id: int | None = None
        key = ""
        path: Path | None = None
        first_pts = 0
        awaiting_keyframe = False
        try:
            while True:
                try:
                    frame, pts = await track.recv_frame()
                except MediaStreamError:
                    break
                data = frame.data
                keyframe = frame.is_keyframe
                if frame.clock_rate != clock:
                    pts = pts * clock // frame.clock_rate
                if file_id is None:
                    offset_ms = elapsed_ms(rec.created_at, time.time())
                    key = track_key(rec.call_id, name, segment, container_extension(codec))
                    path = await asyncio.to_thread(self._storage.path_for_writing, key)
                    file_id = next(self._file_ids)
                    self._mux.open(
                        file_id,
                        TrackSpec(
                            path=path,
                            kind=kind,
                            codec=codec,
                            metadata={
                                "title": f"{rec.call_id} {name} segment {segment}",
                                "start_offset_ms": str(offset_ms),
                            },
                        ),
                    )
                    self._report(
                        {
                            "op": "create",
                            "call_id": rec.call_id,
                            "track": name,
                            "segment": segment,
                            "key": key,
                            "kind": kind,
                            "codec": codec,
                            "start_offset_ms": offset_ms,
                        }
                    )
                    first_pts = pts
                if self._mux.backlog > MAX_WRITER_BACKLOG:
                    self.frames_dropped += 1
                    if kind == "video":
                        awaiting_keyframe = True
                        track.request_keyframe()
                    continue
                if awaiting_keyframe:
                    if not keyframe:
                        self.frames_dropped += 1
                        continue
                    awaiting_keyframe = False
                self._mux.write(file_id, data, pts - first_pts, keyframe)
        finally:
            track.stop()
            if file_id is not None and path is not None:
                await self._finish_file(rec.call_id, key, path, file_id)

    async def _finish_file(self, call_id: str, key: str, path: Path, file_id: int) -> None:
        self._report({"op": "finalizing", "call_id": call_id, "key": key})
        result = await asyncio.wrap_future(self._mux.close(file_id))
        facts: FileFacts | None = None
        error = result.error
        if error is None:
            try:
                facts = await asyncio.to_thread(probe_file, path)
                error = facts.error
                await asyncio.to_thread(self._storage.commit, key)
            except Exception as exc:  # noqa: BLE001
                error = f"finalizing failed: {exc}"[:500]
        self._report(
            {
                "op": "finalized",
                "call_id": call_id,
                "key": key,
                "facts": asdict(facts) if facts is not None else None,
                "error": error,
            }
        )
