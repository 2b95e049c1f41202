"""A case's files arrive by the tus 1.0 resumable upload protocol (core, creation,
termination); this is its pure core, ``server.api.uploads`` the HTTP adapter.

Rules: a chunk must start exactly at the stored offset (Conflict otherwise) and never
reach past the announced length (TooLarge, and the chunk is dropped whole); bytes are
written through the storage interface and fsynced before the offset that acknowledges
them is committed. A complete upload is checked by its content (``finish``): a clip by
PyAV (WebM/MP4, VP8/VP9/Opus or H.264/AAC, at most ``CLIP_MAX_MS``), a photo as a call's
photo is (JPEG, PNG, WebP, kept as a clean copy); anything else is deleted with its row,
so nothing half-stored remains. Blocking functions: the API runs them in a thread.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from server.errors import Conflict, InvalidInput, NotFound, TooLarge, UnsupportedType
from server.evidence.images import clean_copy, sniff_image_type
from server.evidence.photos import PHOTO_MAX_BYTES
from server.models.case import STEP_MAX_CHARS, Case, CaseFile
from server.recording.probe import probe_clip, sha256_of
from server.storage import Storage

CLIP_MAX_MS = 60_000
CLIP_MARGIN_MS = 2_000  # MediaRecorder stops a little after its 60 s timer
KINDS = ("clip", "photo")
STATE_UPLOADING = "uploading"
STATE_READY = "ready"


class UploadNotFound(NotFound):
    """Unknown upload, or one of another link: the same answer."""

    def __init__(self) -> None:
        super().__init__("no such upload", code="upload_not_found")


class OffsetMismatch(Conflict):
    def __init__(self, expected: int, got: int) -> None:
        super().__init__(
            f"Upload-Offset {got} does not match the {expected} bytes stored: ask with HEAD",
            code="offset_mismatch",
        )


class FileRefused(UnsupportedType):
    """The completed file is not an accepted clip or photo; it is deleted."""


def case_for_link(db: Session, link_id: int, now: datetime) -> Case:
    """The link's case, made now if it has none (committed)."""
    case = db.exec(select(Case).where(Case.link_id == link_id)).first()
    if case is None:
        case = Case(link_id=link_id, created_at=now)
        db.add(case)
        db.commit()
        db.refresh(case)
    return case


def create_upload(
    db: Session,
    storage: Storage,
    case: Case,
    *,
    length: int,
    step: str,
    kind: str,
    max_bytes: int,
    max_files: int,
    now: datetime,
    steps: list[dict[str, Any]] | None,
) -> CaseFile:
    """A new empty upload of ``length`` bytes for ``step`` of ``case``; ``steps`` are the
    shop's current steps for the link's purpose (see :func:`check_step`), or None for a
    still an agent takes from a clip (it belongs to the clip's step, whatever the shop's
    steps are now)."""
    if kind not in KINDS:
        raise InvalidInput("kind must be clip or photo")
    if not step or len(step) > STEP_MAX_CHARS or not step.replace("_", "").isalnum():
        raise InvalidInput("step must be a short name of letters, digits and _")
    if steps is not None:
        check_step(db, case, step, kind, steps)
    cap = min(max_bytes, PHOTO_MAX_BYTES) if kind == "photo" else max_bytes
    if length > cap:
        raise TooLarge(
            f"the file is too large ({length / 1_000_000:.1f} MB): at most "
            f"{cap / 1_000_000:.0f} MB",
            code="file_too_large",
        )
    if length <= 0:
        raise InvalidInput("the file is empty")
    count = len(db.exec(select(CaseFile.id).where(CaseFile.case_id == case.id)).all())
    if count >= max_files:
        raise Conflict(f"a case holds at most {max_files} files", code="too_many_files")
    upload_id = secrets.token_urlsafe(18)
    row = CaseFile(
        case_id=case.id or 0,
        upload_id=upload_id,
        storage_key=f"cases/{case.id}/{upload_id}",
        step=step,
        kind=kind,
        state=STATE_UPLOADING,
        length=length,
        created_at=now,
    )
    storage.path_for_writing(row.storage_key).write_bytes(b"")
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


def check_step(db: Session, case: Case, step: str, kind: str, steps: list[dict[str, Any]]) -> None:
    """A file must be for one of the shop's current steps that asks for its kind (a photo
    for a step with photos, a clip for one with a clip): InvalidInput ``step_unknown`` /
    ``step_wrong_kind`` otherwise, before anything is stored. A step the case already
    holds a file for stays accepted (with the same kinds) after the shop edits its steps,
    so a buyer who started before the edit can still retake and send that step."""
    found = next((s for s in steps if s["key"] == step), None)
    if found is None:
        held = db.exec(
            select(CaseFile.kind).where(CaseFile.case_id == case.id, CaseFile.step == step)
        ).all()
        if not held:
            raise InvalidInput(
                f"{step!r} is not one of the shop's steps for this link: reload the page "
                "for the current ones",
                code="step_unknown",
            )
        found = {"clip": "clip" in held, "photos": "photo" in held}
    if not found["clip" if kind == "clip" else "photos"]:
        wanted = "a clip" if kind == "clip" else "photos"
        raise InvalidInput(f"the step {step!r} does not ask for {wanted}", code="step_wrong_kind")


def upload_of(db: Session, upload_id: str, link_id: int) -> CaseFile:
    """The upload ``upload_id`` if it belongs to ``link_id``'s case; UploadNotFound else."""
    row = db.exec(select(CaseFile).where(CaseFile.upload_id == upload_id[:64])).first()
    if row is None:
        raise UploadNotFound()
    case = db.get(Case, row.case_id)
    if case is None or case.link_id != link_id:
        raise UploadNotFound()
    return row


def check_chunk(row: CaseFile, offset: int) -> None:
    """Refuse a chunk that does not start at the stored offset, or a finished upload."""
    if row.state != STATE_UPLOADING:
        raise Conflict("the upload is already complete", code="upload_complete")
    if offset != row.offset:
        raise OffsetMismatch(row.offset, offset)


def write_at(path: Path, offset: int, data: bytes) -> None:
    """Write ``data`` at ``offset`` of ``path`` (cutting anything after it) and fsync."""
    with open(path, "r+b") as file:
        file.seek(offset)
        file.write(data)
        file.truncate()
        file.flush()
        os.fsync(file.fileno())


def acknowledge(db: Session, row: CaseFile, new_offset: int) -> None:
    """Commit ``new_offset`` (the bytes up to it are on disk and fsynced)."""
    row.offset = new_offset
    db.add(row)
    db.commit()


def finish(db: Session, storage: Storage, row: CaseFile) -> CaseFile:
    """Check a complete upload by its content and mark it ready with its facts and
    SHA-256; FileRefused (the file and its row deleted) when it is no accepted clip/photo.
    A photo is kept as its clean copy (upright, no metadata): ``sha256`` is of the file
    kept, ``length`` and ``offset`` stay those of the upload."""
    path = storage.local_path(row.storage_key)
    try:
        if row.kind == "clip":
            facts = probe_clip(path)
            if facts.error is not None:
                raise FileRefused(f"the clip was refused: {facts.error}", code="clip_refused")
            if facts.duration_ms > CLIP_MAX_MS + CLIP_MARGIN_MS:
                raise FileRefused(
                    f"the clip is {facts.duration_ms / 1000:.0f} s long: at most "
                    f"{CLIP_MAX_MS // 1000} s",
                    code="clip_too_long",
                )
            row.container = facts.container
            row.codecs = ",".join(facts.codecs)[:64]
            row.duration_ms = facts.duration_ms
            row.width, row.height = facts.width, facts.height
            row.content_type = "video/webm" if facts.container == "webm" else "video/mp4"
        else:
            data = path.read_bytes()
            content_type = sniff_image_type(data)
            if content_type is None:
                raise FileRefused("only JPEG, PNG and WebP photos are accepted", "photo_refused")
            clean = clean_copy(data, content_type)
            write_at(path, 0, clean.data)
            row.content_type = content_type
            row.width, row.height = clean.width, clean.height
    except FileRefused:
        discard(db, storage, row)
        raise
    except Exception as exc:
        discard(db, storage, row)
        if isinstance(exc, UnsupportedType):
            raise FileRefused(exc.message, code="photo_refused") from None
        raise
    row.sha256 = sha256_of(path)
    row.state = STATE_READY
    storage.commit(row.storage_key)
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


def discard(db: Session, storage: Storage, row: CaseFile) -> None:
    """Delete an upload's file and row (termination, or a refused file)."""
    storage.delete(row.storage_key)
    db.delete(row)
    db.commit()
