"""The evidence bundle of one call or one case, for carriers and marketplaces.

A call's: a ZIP of the review file, each track file, the photos, the chat transcript
(JSON and plain text), the outcome history, the call's events and its order. A case's:
each clip and photo as stored, the submissions, the replies, the verdict, the link's
order and a reference to each live call made from the same link (whose own bundle is
separate). Both are written by ``write_signed``: ``manifest.json`` (``kind`` "call" with
``call_id``, or "case" with ``case_id``) lists every file with its size and SHA-256 and
is signed (``manifest.sig``, Ed25519 over the manifest's bytes, base64) with the
server's key (``server.infra.signing``).

``verify_bundle`` checks a bundle offline: the signature, then every file against the
manifest, naming each file changed, added or removed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import mimetypes
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlmodel import Session, col, select

from server.evidence import audit, cases
from server.evidence.zip_files import HashedZip
from server.infra.signing import signature_holds
from server.models import Call, CallEvent, Link, OutcomeChange, Photo, Recording
from server.models.call import ChatLine
from server.models.case import Case
from server.storage import Storage, StorageError

CHUNK_BYTES = 1 << 20  # members are hashed in pieces

BUNDLE_FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_FOLDERS = ("review/", "tracks/", "photos/")
SIGNATURE = "manifest.sig"


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).encode()


def _plain(row: Any, without: frozenset[str] = frozenset({"call_id"})) -> dict[str, Any]:
    return {k: v for k, v in row.model_dump(mode="json").items() if k not in without}


def _chat_text(lines: list[ChatLine]) -> bytes:
    out = []
    for line in lines:
        who = line.name or line.from_ or "?"
        text = line.text or ""
        if line.buyer_text and line.buyer_text != text:
            text += f" [{line.buyer_locale}: {line.buyer_text}]"
        out.append(f"{line.at.isoformat()}  {who}: {text}")
    return ("\n".join(out) + "\n").encode() if out else b""


def write_bundle(
    db: Session,
    storage: Storage,
    call: Call,
    key: Ed25519PrivateKey,
    now: datetime,
    out: IO[bytes],
    *,
    user_id: int | None,
    api_key_id: int | None,
) -> int:
    """Write ``call``'s bundle to ``out`` (a binary file); returns how many files the
    manifest lists. Files whose media were deleted (retention) are left out and the
    manifest says so. The bundle is audited (the caller's session is committed)."""
    recordings = db.exec(
        select(Recording).where(Recording.call_id == call.id).order_by(col(Recording.id))
    ).all()
    photos = db.exec(
        select(Photo).where(Photo.call_id == call.id).order_by(col(Photo.t_ms), col(Photo.id))
    ).all()
    events = db.exec(
        select(CallEvent)
        .where(CallEvent.call_id == call.id)
        .order_by(col(CallEvent.t_ms), col(CallEvent.id))
    ).all()
    changes = db.exec(
        select(OutcomeChange)
        .where(OutcomeChange.call_id == call.id)
        .order_by(col(OutcomeChange.at), col(OutcomeChange.id))
    ).all()
    chat = [ChatLine.from_event(ev) for ev in events if ev.kind == "chat"]

    def fill(put: HashedZip, missing: list[str]) -> None:
        for row in recordings:
            _add_stored(put, storage, row.storage_key, _recording_member(row), missing)
        for photo in photos:
            _add_stored(put, storage, photo.storage_key, _photo_member(photo), missing)
        put.data("call.json", _json(_plain(call, frozenset())))
        put.data("order.json", _json(call.order))
        put.data("events.json", _json([_plain(ev) for ev in events]))
        put.data("outcome_history.json", _json([_plain(ch) for ch in changes]))
        put.data("chat.json", _json([line.model_dump(mode="json", by_alias=True) for line in chat]))
        put.data("chat.txt", _chat_text(chat))
        put.data("recordings.json", _json([_plain(r) for r in recordings]))
        put.data("photos.json", _json([_plain(p) for p in photos]))

    header = {"kind": "call", "call_id": call.id, "order_ref": call.order_ref}
    files = write_signed(out, key, header, now, fill, media_digest=True)
    audit.action_done(
        db,
        audit.AUDIT_EVIDENCE_BUNDLE,
        now,
        user_id=user_id,
        api_key_id=api_key_id,
        call_id=call.id,
        detail={"files": files},
    )
    db.commit()
    return files


def write_case_bundle(
    db: Session,
    storage: Storage,
    case: Case,
    key: Ed25519PrivateKey,
    now: datetime,
    out: IO[bytes],
    *,
    user_id: int | None,
    api_key_id: int | None,
) -> int:
    """Write ``case``'s bundle to ``out`` (a binary file); returns how many files the
    manifest lists. Each submitted clip and photo is copied in as stored (``clips/``,
    ``photos/``; its manifest SHA-256 is that of the stored bytes, which ``files.json``
    lists as recorded at upload; a still names its clip and moment); ``case.json`` holds
    the verdict, ``outcome_history.json`` its every change (as a call's), ``submissions.json``
    the notes, times and locales, ``replies.json`` the replies, ``order.json`` the link's
    order (null without one), ``calls.json`` the live calls of the same link by id. Files
    deleted since are left out and named under ``missing``. Audited as a call's bundle
    is, naming the case (the caller's session is committed)."""
    assert case.id is not None
    link = db.get(Link, case.link_id)
    assert link is not None, case.link_id
    rows = cases.files(db, case.id)
    calls = cases.calls(db, case.link_id)

    def fill(put: HashedZip, missing: list[str]) -> None:
        for row in rows:
            extension = mimetypes.guess_extension(row.content_type or "") or ""
            name = f"{row.kind}s/{row.id}-{row.step}{extension}"
            _add_stored(put, storage, row.storage_key, name, missing)
        case_row = _plain(case, frozenset())
        put.data("case.json", _json({**case_row, "order_ref": link.order_ref}))
        changes = cases.history(db, case.id)
        put.data("outcome_history.json", _json([_plain(ch) for ch in changes]))
        put.data("order.json", _json(link.order))
        put.data("submissions.json", _json([_plain(s) for s in cases.submissions(db, case.id)]))
        put.data("files.json", _json([_plain(r, _CASE_FILE_PRIVATE) for r in rows]))
        replies = cases.replies(db, case.id)
        put.data("replies.json", _json([_plain(r, frozenset()) for r in replies]))
        references = [
            {"call_id": c.id, "state": str(c.state), "created_at": c.created_at.isoformat()}
            for c in calls
        ]
        put.data("calls.json", _json(references))

    header = {"kind": "case", "case_id": case.id, "order_ref": link.order_ref}
    files = write_signed(out, key, header, now, fill)
    audit.action_done(
        db,
        audit.AUDIT_EVIDENCE_BUNDLE,
        now,
        user_id=user_id,
        api_key_id=api_key_id,
        detail={"case_id": case.id, "files": files},
    )
    db.commit()
    return files


_CASE_FILE_PRIVATE = frozenset({"case_id", "storage_key", "upload_id"})


def write_signed(
    out: IO[bytes],
    key: Ed25519PrivateKey,
    header: dict[str, Any],
    now: datetime,
    fill: Callable[[HashedZip, list[str]], None],
    *,
    media_digest: bool = False,
) -> int:
    """The one writer of every bundle: ``fill`` adds the members (and names, in the list
    it is given, the stored files it could not find); then ``manifest.json`` (``format``,
    ``header``, ``created_at``, ``files``, ``missing``, with ``media_digest`` also
    ``media_sha256``: ``media_sha256`` of the files) and its signature by ``key`` are
    added. Returns how many files the manifest lists."""
    missing: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        put = HashedZip(archive)
        fill(put, missing)
        digest = {"media_sha256": media_sha256(put.files)} if media_digest else {}
        manifest = _json(
            {
                "format": BUNDLE_FORMAT,
                **header,
                "created_at": now.isoformat(),
                "files": put.files,
                "missing": missing,
                **digest,
            }
        )
        archive.writestr(MANIFEST, manifest)
        archive.writestr(SIGNATURE, base64.b64encode(key.sign(manifest)) + b"\n")
    return len(put.files)


def _recording_member(row: Recording) -> str:
    folder = "review" if row.kind == "review" else "tracks"
    return f"{folder}/{row.id}-{Path(row.storage_key).name}"


def _photo_member(photo: Photo) -> str:
    return f"photos/{photo.id}-{Path(photo.storage_key).name}"


def media_sha256(files: Iterable[dict[str, Any]]) -> str:
    """The SHA-256 (hex) of a call's recorded evidence: over one line ``<name> <sha256>``
    per listed file under ``review/``, ``tracks/`` and ``photos/``, sorted by name. What
    the call's bundle carries as ``media_sha256``, and what its inspection report names
    (``call_media_sha256``), so the report says which bundle holds its evidence; it
    changes only when a recording or photo is added or deleted."""
    lines = sorted(
        f"{f['name']} {f['sha256']}\n" for f in files if f["name"].startswith(MEDIA_FOLDERS)
    )
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def call_media_sha256(db: Session, call_id: str) -> str | None:
    """``media_sha256`` of the bundle ``call_id``'s evidence would have now, from the rows
    (no file is read); None while a recording is unfinished (no bundle would match yet),
    failed, or when the call has no recording or photo."""
    recordings = db.exec(select(Recording).where(Recording.call_id == call_id)).all()
    photos = db.exec(select(Photo).where(Photo.call_id == call_id)).all()
    if not recordings and not photos:
        return None
    if any(r.state != "ready" or not r.sha256 for r in recordings):
        return None
    files = [{"name": _recording_member(r), "sha256": r.sha256} for r in recordings]
    files += [{"name": _photo_member(p), "sha256": p.sha256} for p in photos]
    return media_sha256(files)


def _add_stored(put: HashedZip, storage: Storage, key: str, name: str, missing: list[str]) -> None:
    try:
        put.file(name, storage.local_path(key))
    except (OSError, StorageError):
        missing.append(name)  # deleted by retention or erasure: named, not included


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bundle: ``what`` is changed, added, removed, or signature."""

    what: str
    name: str

    def __str__(self) -> str:
        return f"{self.what}: {self.name}"


def verify_bundle(path: Path, public_key: Ed25519PublicKey) -> list[Problem]:
    """Everything wrong with the bundle at ``path`` (empty: intact): a manifest whose
    signature does not hold, each listed file whose size or SHA-256 differs (changed) or
    that is absent (removed), each file the manifest does not list (added)."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [Problem("unreadable", f"{path}: {exc}")]
    with archive:
        names = set(archive.namelist())
        if MANIFEST not in names or SIGNATURE not in names:
            return [Problem("removed", n) for n in (MANIFEST, SIGNATURE) if n not in names]
        manifest = archive.read(MANIFEST)
        try:
            signature = base64.b64decode(archive.read(SIGNATURE).strip(), validate=True)
        except binascii.Error:
            signature = b""
        problems = []
        if not signature_holds(public_key, signature, manifest):
            problems.append(Problem("signature", f"{SIGNATURE} does not sign {MANIFEST}"))
        try:
            listed = {f["name"]: f for f in json.loads(manifest)["files"]}
        except (ValueError, KeyError, TypeError):
            return [*problems, Problem("changed", MANIFEST)]
        for name, entry in listed.items():
            if name not in names:
                problems.append(Problem("removed", name))
            elif _facts(archive, name) != (entry.get("size"), entry.get("sha256")):
                problems.append(Problem("changed", name))
        for name in sorted(names - set(listed) - {MANIFEST, SIGNATURE}):
            problems.append(Problem("added", name))
        stated = json.loads(manifest).get("media_sha256")
        if stated is not None and stated != media_sha256(listed.values()):
            problems.append(Problem("changed", "media_sha256"))
        return problems


def _facts(archive: zipfile.ZipFile, name: str) -> tuple[int, str] | None:
    """A member's size and SHA-256; None when it cannot be read (a bad CRC: changed)."""
    digest, size = hashlib.sha256(), 0
    try:
        with archive.open(name) as member:
            for chunk in _chunks(member):
                digest.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, OSError, EOFError):
        return None
    return size, digest.hexdigest()


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk
