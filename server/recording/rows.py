"""Changes to ``Recording`` track rows, as plain data and as database operations.

The recorder runs where the media is (a relay worker, which has no database) and reports
what happens to each track file as a ``RowChange`` dict; the control plane turns each
into a ``StoreOp`` (``store_op``) and runs them in order in its store task. Changes:

- ``{"op": "create", "call_id", "track", "segment", "key", "kind", "codec",
  "start_offset_ms"}``: the track's first frame opened its file (state ``recording``).
- ``{"op": "finalizing", "call_id", "key"}``: the file is being closed.
- ``{"op": "finalized", "call_id", "key", "facts": FileFacts as a dict or None,
  "error": str or None}``: the file is closed: ``ready``, or ``failed`` with the error.

``finalize_from_disk`` finishes rows whose writer died (a killed worker or server) from
what the file holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.models import Call, Recording
from server.recording.names import CONTENT_TYPES
from server.recording.probe import FileFacts, probe_file
from server.storage import Storage, StorageError

log = logging.getLogger(__name__)

StoreOp = Callable[[Session], None]
RowChange = dict[str, Any]
UNFINISHED_STATES = ("recording", "finalizing")


class BadRowChange(ValueError):
    """A row change that is not one of the documented shapes."""


def _now() -> datetime:
    return datetime.now(UTC)


def store_op(change: RowChange) -> StoreOp:
    """The database operation for one reported change. Raises ``BadRowChange``."""
    try:
        op = change["op"]
        call_id = str(change["call_id"])
        key = str(change["key"])
        if op == "create":
            row = _new_row(call_id, key, change)
            return lambda db: db.add(row)
        if op == "finalizing":
            return lambda db: _set_finalizing(db, call_id, key)
        if op == "finalized":
            facts = FileFacts(**change["facts"]) if change.get("facts") else None
            error = change.get("error")
            return lambda db: _set_finalized(db, call_id, key, facts, error)
    except (KeyError, TypeError) as exc:
        raise BadRowChange(f"recording row change is malformed: {exc}") from None
    raise BadRowChange(f'unknown recording row change "{op}"')


def _new_row(call_id: str, key: str, change: RowChange) -> Recording:
    extension = key.rsplit(".", 1)[-1]
    kind = str(change["kind"])
    return Recording(
        call_id=call_id,
        kind="track",
        track=str(change["track"]),
        segment=int(change["segment"]),
        storage_key=key,
        content_type=CONTENT_TYPES[(extension, kind)],
        codec=str(change["codec"]),
        state="recording",
        start_offset_ms=int(change["start_offset_ms"]),
        created_at=_now(),
    )


def _row(db: Session, call_id: str, key: str) -> Recording | None:
    return db.exec(
        select(Recording).where(Recording.call_id == call_id, Recording.storage_key == key)
    ).first()


def _set_finalizing(db: Session, call_id: str, key: str) -> None:
    row = _row(db, call_id, key)
    if row is not None and row.state == "recording":
        row.state = "finalizing"
        db.add(row)


def _set_finalized(
    db: Session, call_id: str, key: str, facts: FileFacts | None, error: str | None
) -> None:
    row = _row(db, call_id, key)
    if row is not None:
        apply_facts(row, facts, error)
        db.add(row)


def apply_facts(row: Recording, facts: FileFacts | None, error: str | None) -> None:
    """Make ``row`` ready with the file's facts, or failed with ``error``."""
    if facts is not None:
        row.size_bytes = facts.size_bytes
        row.sha256 = facts.sha256
        row.duration_ms = facts.duration_ms
    if error is None and facts is not None:
        row.state = "ready"
        row.error = None
    else:
        row.state = "failed"
        row.error = (error or "unknown error")[:500]
    row.progress = 100 if row.state == "ready" else row.progress
    row.finished_at = _now()


def finalize_from_disk(db: Session, storage: Storage, call_ids: Iterable[str] | None = None) -> int:
    """Finish the unfinished track rows (of ``call_ids``, or all) from what their files
    hold: a file cut off by a killed writer is read up to its last complete packet; a
    file on a machine that is gone, from what reached the storage while it was written
    (``Storage.restore_live``).
    Blocking (reads the files); the caller commits. Returns how many rows it finished."""
    query = select(Recording).where(
        Recording.kind == "track", Recording.state.in_(UNFINISHED_STATES)
    )
    if call_ids is not None:
        query = query.where(Recording.call_id.in_(list(call_ids)))
    rows = db.exec(query).all()
    for row in rows:
        try:
            if storage.restore_live(row.storage_key):  # its node is gone: what it sent
                log.info("call %s: %s rebuilt from its uploaded parts", row.call_id, row.track)
            facts = probe_file(storage.local_path(row.storage_key))
        except (StorageError, OSError) as exc:
            apply_facts(row, None, f"the file is missing: {exc}")
        else:
            try:
                storage.commit(row.storage_key)
            except StorageError as exc:  # the local copy stays and is uploaded later
                log.warning("call %s: a track file waits for upload: %s", row.call_id, exc)
            apply_facts(row, facts, facts.error)
        db.add(row)
    return len(rows)


def live_track_keys(db: Session, node_id: str) -> list[str]:
    """The storage keys of the track files node ``node_id``'s calls are recording."""
    query = (
        select(Recording.storage_key)
        .join(Call, col(Call.id) == col(Recording.call_id))
        .where(Recording.kind == "track", Recording.state == "recording", Call.node_id == node_id)
        .order_by(col(Recording.id))
    )
    return list(db.exec(query).all())


def upload_live_tracks(engine: Engine, storage: Storage, node_id: str) -> int:
    """Send what node ``node_id``'s live track files gained (``Storage.upload_growth``);
    a failed part is logged and sent with the next. Blocking; returns the bytes sent."""
    with Session(engine) as db:
        keys = live_track_keys(db, node_id)
    sent = 0
    for key in keys:
        try:
            sent += storage.upload_growth(key)
        except StorageError as exc:
            log.warning("a live track's part waits for the next round: %s", exc)
    return sent
