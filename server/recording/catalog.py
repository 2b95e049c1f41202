"""What the review API needs: a call's recordings, its review file, storage keys.

Recording rows (``server.models.Recording``):

- ``kind="track"``: one incoming track as it arrived, encoded frames only. ``track`` is
  ``buyer_video``, ``buyer_audio``, ``agent_audio`` or ``agent_video``; ``segment``
  counts that side's media legs in the call (0, then 1 after a page reload or the link
  opened on another page). ``start_offset_ms`` is when the file's first frame arrived,
  from the call's start (``Call.created_at``, the clock of ``CallEvent.t_ms``); the
  file's own timestamps start at 0.
- ``kind="review"``: the playable file made after the call (one per call). Its time 0 is
  ``start_offset_ms`` on the call clock, so a timeline event at ``t_ms`` is at
  ``(t_ms - start_offset_ms) / 1000`` seconds in the video. ``progress`` is the percent
  made while ``state`` is ``finalizing``.

States: ``recording`` (a track file being written), ``finalizing``, ``ready`` (size,
duration, sha256 set; the file is complete), ``failed`` (``error`` says why).
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from server.models import Recording
from server.storage import Storage


def list_recordings(db: Session, call_id: str) -> list[Recording]:
    """Every recording of the call: track files by start, then the review file."""
    rows = db.exec(select(Recording).where(Recording.call_id == call_id)).all()
    return sorted(
        rows,
        key=lambda r: (r.kind != "track", r.start_offset_ms, r.track or "", r.segment, r.id),
    )


def track_recordings(db: Session, call_id: str, track: str | None = None) -> list[Recording]:
    """The call's track files (optionally one track's segments), in time order."""
    rows = [r for r in list_recordings(db, call_id) if r.kind == "track"]
    return [r for r in rows if track is None or r.track == track]


def review_recording(db: Session, call_id: str) -> Recording | None:
    """The call's review file row (any state), or None: no review file for this call
    (a declined call, a call with no media) or not yet started."""
    return db.exec(
        select(Recording).where(Recording.call_id == call_id, Recording.kind == "review")
    ).first()


def open_for_reading(storage: Storage, recording: Recording) -> Path:
    """The local path of a ``ready`` recording's file (for range responses).

    Raises ``StorageError`` when the file is missing and ``ValueError`` when the
    recording is not ready (still being written or made, or failed)."""
    if recording.state != "ready":
        raise ValueError(f"recording {recording.id} is {recording.state}, not ready")
    return storage.local_path(recording.storage_key)
