"""A call's evidence: photos taken by the buyer's device, the files it may be served from,
and the audit log of who looked at recordings and photos.

Photos are checked by their content (JPEG, PNG or WebP, decoded to read the dimensions),
never by the type the uploader claims. Functions here do blocking work (hashing, decoding,
disk); the API runs them in a thread.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import av
from sqlalchemy import func
from sqlmodel import Session, col, select

from server.errors import Conflict, NotFound, TooLarge, UnsupportedType
from server.models import Call
from server.models.evidence import AuditEntry, Photo, Recording
from server.models.user import User
from server.storage import Storage, StorageError

PHOTO_MAX_BYTES = 15_000_000  # 15 MB: a 48-megapixel phone JPEG fits
PHOTO_MAX_MB = PHOTO_MAX_BYTES // 1_000_000
PHOTO_MAX_PIXELS = 100_000_000  # decoding bigger images is refused (memory)
PHOTOS_PER_CALL_MAX = 200

# content type -> (file extension, FFmpeg demuxer for the image)
PHOTO_TYPES = {
    "image/jpeg": ("jpg", "jpeg_pipe"),
    "image/png": ("png", "png_pipe"),
    "image/webp": ("webp", "webp_pipe"),
}

AUDIT_VIEW_RECORDING = "view_recording"
AUDIT_VIEW_PHOTO = "view_photo"


class PhotoTooLarge(TooLarge):
    """The upload is over ``PHOTO_MAX_BYTES`` (the API answers 413)."""


class UnsupportedPhoto(UnsupportedType):
    """Not a JPEG, PNG or WebP image, by its content (the API answers 415)."""


def too_large_message(size: int | None = None) -> str:
    got = f" ({size / 1_000_000:.1f} MB)" if size is not None else ""
    return f"the photo is too large{got}: at most {PHOTO_MAX_MB} MB"


def sniff_image_type(data: bytes) -> str | None:
    """The image type the bytes are (by their signature), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_dimensions(data: bytes, content_type: str) -> tuple[int, int]:
    """Decode the image's first frame; (width, height). UnsupportedPhoto when it does not
    decode."""
    _, demuxer = PHOTO_TYPES[content_type]
    try:
        with av.open(io.BytesIO(data), format=demuxer) as container:
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if width and height and width * height > PHOTO_MAX_PIXELS:
                raise UnsupportedPhoto(f"the photo has too many pixels ({width}x{height})")
            for frame in container.decode(stream):
                return frame.width, frame.height
    except UnsupportedPhoto:
        raise
    except (av.FFmpegError, IndexError, ValueError) as exc:
        raise UnsupportedPhoto(f"the photo could not be read as {content_type}") from exc
    raise UnsupportedPhoto(f"the photo could not be read as {content_type}")


@dataclass(frozen=True)
class StoredPhoto:
    id: int
    width: int
    height: int
    t_ms: int


def store_photo(
    db: Session,
    storage: Storage,
    call_id: str,
    data: bytes,
    t_ms: int,
    now: datetime,
    max_photos: int = PHOTOS_PER_CALL_MAX,
) -> StoredPhoto:
    """Check, store and record one photo of ``call_id`` taken ``t_ms`` into the call
    (at most ``max_photos`` per call: Conflict beyond)."""
    if len(data) > PHOTO_MAX_BYTES:
        raise PhotoTooLarge(too_large_message(len(data)))
    if not data:
        raise UnsupportedPhoto("the upload is empty: send a JPEG, PNG or WebP image")
    content_type = sniff_image_type(data)
    if content_type is None:
        raise UnsupportedPhoto("only JPEG, PNG and WebP photos are accepted")
    width, height = image_dimensions(data, content_type)
    count = db.exec(select(func.count()).where(Photo.call_id == call_id)).one()
    if count >= max_photos:
        raise Conflict(f"this call already has {max_photos} photos, the most allowed")
    digest = hashlib.sha256(data).hexdigest()
    ext, _ = PHOTO_TYPES[content_type]
    key = f"calls/{call_id}/photos/{digest[:32]}.{ext}"
    path = storage.path_for_writing(key)
    if not path.exists():
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        partial.replace(path)
    storage.commit(key)
    photo = Photo(
        call_id=call_id,
        storage_key=key,
        content_type=content_type,
        size_bytes=len(data),
        width=width,
        height=height,
        sha256=digest,
        t_ms=max(0, t_ms),
        created_at=now,
    )
    db.add(photo)
    db.commit()
    db.refresh(photo)
    assert photo.id is not None
    return StoredPhoto(id=photo.id, width=width, height=height, t_ms=photo.t_ms)


def get_photo(db: Session, call_id: str, photo_id: int) -> Photo:
    photo = db.get(Photo, photo_id)
    if photo is None or photo.call_id != call_id:
        raise NotFound(f"no photo {photo_id} in this call")
    return photo


def set_caption(db: Session, call_id: str, photo_id: int, caption: str | None) -> Photo:
    photo = get_photo(db, call_id, photo_id)
    photo.caption = caption
    db.add(photo)
    db.commit()
    db.refresh(photo)
    return photo


def review_recording(db: Session, call_id: str) -> Recording | None:
    """The call's newest review file (any state), or None."""
    return db.exec(
        select(Recording)
        .where(Recording.call_id == call_id, Recording.kind == "review")
        .order_by(col(Recording.id).desc())
    ).first()


def get_recording(db: Session, call_id: str, recording_id: int) -> Recording:
    row = db.get(Recording, recording_id)
    if row is None or row.call_id != call_id:
        raise NotFound(f"no recording {recording_id} in this call")
    return row


def playable_review(db: Session, call_id: str) -> Recording:
    """The review file ready to play; NotFound when there is none, Conflict while it is
    being made."""
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


def file_path(storage: Storage, key: str):  # noqa: ANN201  (a Path)
    try:
        return storage.local_path(key)
    except StorageError:
        raise NotFound("the file is not available") from None


VIEW_CONTINUATION_WINDOW_S = 30 * 60  # later range requests within this are the same view


def viewed_recently(
    db: Session, user_id: int, action: str, object_id: int | None, now: datetime
) -> bool:
    """Whether ``user_id`` opened this object within ``VIEW_CONTINUATION_WINDOW_S``."""
    since = now - timedelta(seconds=VIEW_CONTINUATION_WINDOW_S)
    found = db.exec(
        select(AuditEntry.id).where(
            AuditEntry.user_id == user_id,
            AuditEntry.action == action,
            AuditEntry.object_id == object_id,
            AuditEntry.at >= since,
        )
    ).first()
    return found is not None


def audit_view(
    db: Session, user_id: int, action: str, call_id: str, object_id: int | None, now: datetime
) -> None:
    db.add(AuditEntry(user_id=user_id, action=action, call_id=call_id, object_id=object_id, at=now))
    db.commit()


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user_id: int
    user_email: str | None
    user_name: str | None
    action: str
    call_id: str
    object_id: int | None


def list_audit(
    db: Session,
    *,
    user_id: int | None = None,
    call_id: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AuditRow], int]:
    """Audit entries, newest first, and how many match."""
    where = []
    if user_id is not None:
        where.append(AuditEntry.user_id == user_id)
    if call_id is not None:
        where.append(AuditEntry.call_id == call_id)
    total = db.exec(select(func.count()).select_from(AuditEntry).where(*where)).one()
    rows = db.exec(
        select(AuditEntry, User)
        .join(User, col(User.id) == AuditEntry.user_id, isouter=True)
        .where(*where)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [
        AuditRow(
            id=entry.id or 0,
            at=entry.at,
            user_id=entry.user_id,
            user_email=user.email if user else None,
            user_name=user.name if user else None,
            action=entry.action,
            call_id=entry.call_id,
            object_id=entry.object_id,
        )
        for entry, user in rows
    ], total


def call_exists(db: Session, call_id: str) -> Call:
    call = db.get(Call, call_id)
    if call is None:
        raise NotFound(f'no call "{call_id}"')
    return call
