"""Photos of a call: taken by the buyer's device while an agent is on the call, checked by
their content (JPEG, PNG or WebP, decoded to read the dimensions), never by the type the
uploader claims, and stored once per content (the key holds the SHA-256).

Functions here do blocking work (hashing, decoding, disk); the API runs them in a thread.
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

import av
from sqlalchemy import func
from sqlmodel import Session, select

from server.errors import Conflict, NotFound, TooLarge, UnsupportedType
from server.models.evidence import Photo
from server.storage import Storage
from signaling.vocabulary import CallState

PHOTO_MAX_BYTES = 15_000_000  # 15 MB: a 48-megapixel phone JPEG fits
PHOTO_MAX_MB = PHOTO_MAX_BYTES // 1_000_000
PHOTO_MAX_PIXELS = 100_000_000  # decoding bigger images is refused (memory)

# content type -> (file extension, FFmpeg demuxer for the image)
PHOTO_TYPES = {
    "image/jpeg": ("jpg", "jpeg_pipe"),
    "image/png": ("png", "png_pipe"),
    "image/webp": ("webp", "webp_pipe"),
}

PHOTO_STATES: frozenset[CallState] = frozenset({CallState.LIVE, CallState.RECONNECTING})
"""States of a call in which its buyer may take photos: an agent has answered, and the
call has not ended."""


class PhotoTooLarge(TooLarge):
    """The upload is over ``PHOTO_MAX_BYTES`` (the API answers 413)."""


class UnsupportedPhoto(UnsupportedType):
    """Not a JPEG, PNG or WebP image, by its content (the API answers 415)."""


def too_large_message(size: int | None = None) -> str:
    """The message of ``PhotoTooLarge``, with the upload's size when it is known."""
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
    decode, or has more than ``PHOTO_MAX_PIXELS``."""
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


def store_photo(
    db: Session,
    storage: Storage,
    call_id: str,
    data: bytes,
    *,
    t_ms: int,
    now: datetime,
    max_photos: int,
) -> Photo:
    """Check, store and record one photo of ``call_id`` taken ``t_ms`` into the call; the
    committed row. PhotoTooLarge or UnsupportedPhoto for a bad upload, Conflict when the
    call already has ``max_photos``."""
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
    return photo


def get_photo(db: Session, call_id: str, photo_id: int) -> Photo:
    """Photo ``photo_id`` of call ``call_id``; NotFound when it is not this call's."""
    photo = db.get(Photo, photo_id)
    if photo is None or photo.call_id != call_id:
        raise NotFound(f"no photo {photo_id} in this call")
    return photo


def set_caption(db: Session, call_id: str, photo_id: int, caption: str | None) -> Photo:
    """Set (None: remove) the caption of a photo of ``call_id``; the committed row."""
    photo = get_photo(db, call_id, photo_id)
    photo.caption = caption
    db.add(photo)
    db.commit()
    db.refresh(photo)
    return photo
