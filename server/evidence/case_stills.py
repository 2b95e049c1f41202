"""A still an agent takes from a case's clip: the frame the console showed, kept as a
photo of the case (checked and cleaned as every photo is), naming the clip and the
moment in it (``source_file_id``, ``source_t_ms``). Audited like a view of a file."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlmodel import Session

from server.errors import InvalidInput, NotFound
from server.evidence import audit, uploads
from server.evidence.photos import PHOTO_MAX_BYTES
from server.models.case import Case, CaseFile
from server.storage import Storage

AUDIT_TAKE_STILL: Final = "take_case_still"
# the page's clock may read a little past a clip's last frame
STILL_MARGIN_MS: Final = 1000


def take_still(
    db: Session,
    storage: Storage,
    case: Case,
    clip: CaseFile,
    data: bytes,
    *,
    t_ms: int,
    by_user_id: int,
    max_files: int,
    now: datetime,
) -> CaseFile:
    """Store ``data`` (the frame, an image) as a ready photo of ``case`` for ``clip``'s
    step, taken ``t_ms`` into the clip. InvalidInput when ``clip`` is a photo or the
    moment is past its end; TooLarge, Conflict (too many files) and FileRefused (not an
    image) as for a buyer's upload; nothing is kept of a refused still. NotFound for a
    clip the buyer has not submitted (they may still retake it, which deletes it)."""
    if clip.kind != "clip":
        raise InvalidInput("a still is taken from a clip, not a photo", code="not_a_clip")
    if clip.submission_id is None:
        raise NotFound("no such file")
    if t_ms < 0 or (clip.duration_ms is not None and t_ms > clip.duration_ms + STILL_MARGIN_MS):
        raise InvalidInput("t_ms: the moment is not within the clip")
    row = uploads.create_upload(
        db,
        storage,
        case,
        length=len(data),
        step=clip.step,
        kind="photo",
        max_bytes=PHOTO_MAX_BYTES,
        max_files=max_files,
        now=now,
        steps=None,  # a still is of its clip's step
    )
    uploads.write_at(storage.path_for_writing(row.storage_key), 0, data)
    row.offset = len(data)
    row.source_file_id, row.source_t_ms = clip.id, t_ms
    stored = uploads.finish(db, storage, row)
    audit.action_done(
        db,
        AUDIT_TAKE_STILL,
        now,
        user_id=by_user_id,
        detail={"case_id": case.id, "file_id": stored.id, "clip_id": clip.id, "t_ms": t_ms},
    )
    db.commit()
    db.refresh(stored)
    return stored
