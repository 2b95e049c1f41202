"""A call's recordings as the review API reads them (``server/recording/`` writes them).

Recording rows (``server.models.Recording``):

- ``kind="track"``: one incoming track as it arrived, encoded frames only. ``track`` is
  ``buyer_video``, ``buyer_audio``, ``agent_audio`` or ``agent_video``; ``segment``
  counts that side's media legs in the call (0, then 1 after a page reload or the link
  opened on another page). ``start_offset_ms`` is when the file's first frame arrived,
  from the call's start (``Call.created_at``, the clock of ``CallEvent.t_ms``); the
  file's own timestamps start at 0.
- ``kind="review"``: the playable file made after the call. Its time 0 is
  ``start_offset_ms`` on the call clock, so a timeline event at ``t_ms`` is at
  ``(t_ms - start_offset_ms) / 1000`` seconds in the video. ``progress`` is the percent
  made while ``state`` is ``finalizing``.

States: ``recording`` (a track file being written), ``finalizing``, ``ready`` (size,
duration, sha256 set; the file is complete), ``failed`` (``error`` says why).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from server.errors import Conflict, NotFound
from server.models.evidence import Recording


def review_recording(db: Session, call_id: str) -> Recording | None:
    """The call's newest review file (any state), or None: none for this call (a declined
    call, a call with no media) or not started yet."""
    return db.exec(
        select(Recording)
        .where(Recording.call_id == call_id, Recording.kind == "review")
        .order_by(col(Recording.id).desc())
    ).first()


def playable_review(db: Session, call_id: str) -> Recording:
    """The review file, ready to play. NotFound when there is none or it failed; Conflict
    (code ``not_ready``) while it is being made."""
    row = review_recording(db, call_id)
    if row is None:
        raise NotFound("this call has no review recording")
    if row.state == "failed":
        raise NotFound("the review recording of this call could not be made")
    if row.state != "ready":
        raise Conflict(
            f"the review recording is being made ({row.progress}% done); try again shortly",
            code="not_ready",
        )
    return row


def get_recording(db: Session, call_id: str, recording_id: int) -> Recording:
    """Recording ``recording_id`` of call ``call_id`` (a track file or the review file, in
    any state); NotFound when it is not this call's."""
    row = db.get(Recording, recording_id)
    if row is None or row.call_id != call_id:
        raise NotFound(f"no recording {recording_id} in this call")
    return row


def recording_start_ms(db: Session, call_id: str) -> int | None:
    """Where the call's recording starts on the call clock: the review file's start, else
    (before it is made) its earliest track's; None while nothing is recorded. A moment
    ``t_ms`` of the call is ``t_ms - recording_start_ms`` into the recording."""
    review = review_recording(db, call_id)
    if review is not None and review.state != "failed":
        return review.start_offset_ms
    starts = db.exec(
        select(Recording.start_offset_ms).where(
            Recording.call_id == call_id, Recording.kind == "track"
        )
    ).all()
    return min(starts) if starts else None
