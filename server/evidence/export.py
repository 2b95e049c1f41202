"""Everything held about an order, as one ZIP file (GDPR Art. 15: the right of access).

``order.json`` holds the order's links (without token hashes), calls (each with the
consent text version its buyer accepted or declined), timelines (chat included), verdict
histories and the audit of who viewed its evidence, and the recorded cases of its links
(submissions with the buyer's notes, replies, verdict, files and who viewed them);
``files/`` holds every recording and photo of its calls, and ``files/cases/<id>/`` every
clip and photo of its cases, as stored. Blocking; the caller streams the file.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from server.errors import NotFound
from server.evidence import audit
from server.evidence.zip_files import HashedZip
from server.models import (
    AuditEntry,
    Call,
    CallEvent,
    ConsentText,
    Link,
    OutcomeChange,
    Photo,
    Recording,
)
from server.models.case import Case, CaseFile, CaseReply, CaseSubmission
from server.storage import Storage, StorageError

EXPORT_FORMAT = 1


def _plain(row: Any, *, without: set[str] = frozenset()) -> dict[str, Any]:
    return {k: v for k, v in row.model_dump(mode="json").items() if k not in without}


EXTENSIONS = {"video/webm": ".webm", "video/mp4": ".mp4", "image/jpeg": ".jpg"}
EXTENSIONS |= {"image/png": ".png", "image/webp": ".webp"}


def _case_entry(db: Session, storage: Storage, put: HashedZip, link: Link) -> dict[str, Any] | None:
    """The link's case for the export (its files put in the ZIP), or None without one."""
    case = db.exec(select(Case).where(Case.link_id == link.id)).first()
    if case is None:
        return None
    entry = _plain(case)
    entry["submissions"] = [
        _plain(s, without={"case_id"})
        for s in db.exec(select(CaseSubmission).where(CaseSubmission.case_id == case.id))
    ]
    entry["replies"] = [
        _plain(r, without={"case_id"})
        for r in db.exec(select(CaseReply).where(CaseReply.case_id == case.id))
    ]
    entry["evidence_views"] = [
        _plain(a)
        for a in db.exec(select(AuditEntry).where(AuditEntry.action == audit.AUDIT_VIEW_CASE_FILE))
        if (a.detail or {}).get("case_id") == case.id
    ]
    entry["files"] = []
    for row in db.exec(select(CaseFile).where(CaseFile.case_id == case.id)):
        ext = EXTENSIONS.get(row.content_type or "", "")
        name: str | None = f"files/cases/{case.id}/{row.id}-{row.step}-{row.kind}{ext}"
        try:
            put.file(name, storage.local_path(row.storage_key))
        except (OSError, StorageError):
            name = None  # listed, but its file is gone
        plain = _plain(row, without={"case_id", "storage_key", "upload_id"})
        entry["files"].append({**plain, "file": name})
    return entry


def export_order(
    db: Session,
    storage: Storage,
    order_ref: str,
    now: datetime,
    out: Path,
    *,
    by_user_id: int | None,
) -> int:
    """Write the ZIP of ``order_ref`` to ``out``; returns the number of calls in it.
    NotFound when nothing is held about the order. The export is audited."""
    links = list(db.exec(select(Link).where(Link.order_ref == order_ref)))
    calls = list(db.exec(select(Call).where(Call.order_ref == order_ref).order_by(Call.created_at)))
    if not links and not calls:
        raise NotFound(f'nothing is held about order "{order_ref}"')
    manifest: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "order_ref": order_ref,
        "exported_at": now.isoformat(),
        "links": [_plain(link, without={"token_hash"}) for link in links],
        "calls": [],
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        put = HashedZip(archive)
        for call in calls:
            entry = _plain(call)
            consent = db.exec(
                select(ConsentText).where(
                    ConsentText.purpose == call.purpose,
                    ConsentText.locale == call.consent_locale,
                    ConsentText.version == call.consent_version,
                )
            ).first()
            entry["consent_text"] = _plain(consent) if consent is not None else None
            entry["timeline"] = [
                _plain(e, without={"call_id"})
                for e in db.exec(
                    select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.t_ms)
                )
            ]
            entry["outcome_history"] = [
                _plain(c, without={"call_id"})
                for c in db.exec(select(OutcomeChange).where(OutcomeChange.call_id == call.id))
            ]
            entry["evidence_views"] = [
                _plain(a, without={"call_id"})
                for a in db.exec(select(AuditEntry).where(AuditEntry.call_id == call.id))
            ]
            entry["files"] = []
            rows = [
                *db.exec(select(Recording).where(Recording.call_id == call.id)),
                *db.exec(select(Photo).where(Photo.call_id == call.id)),
            ]
            for row in rows:
                name = f"files/{call.id}/{Path(row.storage_key).name}"
                try:
                    put.file(name, storage.local_path(row.storage_key))
                except (OSError, StorageError):
                    name = None  # listed, but its file is gone
                entry["files"].append({**_plain(row, without={"call_id"}), "file": name})
            manifest["calls"].append(entry)
        manifest["cases"] = [_case_entry(db, storage, put, link) for link in links]
        manifest["cases"] = [entry for entry in manifest["cases"] if entry is not None]
        put.data("order.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode())
    audit.action_done(
        db,
        audit.AUDIT_EXPORT_ORDER,
        now,
        user_id=by_user_id,
        detail={"order_ref": order_ref, "calls": len(calls)},
    )
    db.commit()
    return len(calls)
