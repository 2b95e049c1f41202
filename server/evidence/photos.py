"""Photos of a call: taken by the buyer's device while an agent is on the call, checked by
their content (JPEG, PNG or WebP: ``images.py``), never by the type the uploader claims,
and kept as a clean copy (upright, no metadata) stored once per content (the key holds
its SHA-256); the SHA-256 of what arrived is kept beside it.

Functions here do blocking work (hashing, decoding, disk); the API runs them in a thread.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from server.errors import Conflict, NotFound, TooLarge
from server.evidence.images import IMAGE_TYPES, UnsupportedImage, clean_copy, sniff_image_type
from server.models import Call
from server.models.evidence import Photo
from server.storage import Storage
from server.webhooks.outbox import emit, photo_data
from signaling.vocabulary import CallState

PHOTO_MAX_BYTES = 15_000_000  # 15 MB: a 48-megapixel phone JPEG fits
PHOTO_MAX_MB = PHOTO_MAX_BYTES // 1_000_000

PHOTO_STATES: frozenset[CallState] = frozenset({CallState.LIVE, CallState.RECONNECTING})
"""States of a call in which its buyer may take photos: an agent has answered, and the
call has not ended."""


class PhotoTooLarge(TooLarge):
    """The upload is over ``PHOTO_MAX_BYTES`` (the API answers 413)."""


def too_large_message(size: int | None = None) -> str:
    """The message of ``PhotoTooLarge``, with the upload's size when it is known."""
    got = f" ({size / 1_000_000:.1f} MB)" if size is not None else ""
    return f"the photo is too large{got}: at most {PHOTO_MAX_MB} MB"


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
    committed row. PhotoTooLarge or UnsupportedImage for a bad upload, Conflict when the
    call already has ``max_photos``. Its ``photo.added`` webhook event is committed with it."""
    if len(data) > PHOTO_MAX_BYTES:
        raise PhotoTooLarge(too_large_message(len(data)))
    if not data:
        raise UnsupportedImage("the upload is empty: send a JPEG, PNG or WebP image")
    content_type = sniff_image_type(data)
    if content_type is None:
        raise UnsupportedImage("only JPEG, PNG and WebP photos are accepted")
    count = db.exec(select(func.count()).where(Photo.call_id == call_id)).one()
    if count >= max_photos:
        raise Conflict(f"this call already has {max_photos} photos, the most allowed")
    clean = clean_copy(data, content_type)
    original_digest = hashlib.sha256(data).hexdigest()
    data = clean.data
    digest = hashlib.sha256(data).hexdigest()
    ext, _ = IMAGE_TYPES[content_type]
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
        width=clean.width,
        height=clean.height,
        sha256=digest,
        original_sha256=original_digest,
        t_ms=max(0, t_ms),
        created_at=now,
    )
    db.add(photo)
    db.flush()  # its id, for the webhook event written with it
    call = db.get(Call, call_id)
    emit(db, "photo.added", photo_data(photo, call.order_ref if call else ""), now)
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
