"""The audit: who opened which recording or photo of which call, when; and who held,
erased or purged what (``action_done``). Entries are only ever added.

No part of a recording or photo is served without an audit row for that viewer (a staff
member, ``user_id``, or an integration's API key, ``api_key_id``) and file: a photo is
audited on every view; a recording on every request that opens it (no range, or a range
from byte 0) and on any other request unless the same viewer opened the same file within
``VIEW_CONTINUATION_WINDOW_S`` (a player continuing or seeking).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.models.apikey import ApiKey
from server.models.call import Call
from server.models.evidence import AuditEntry, AuditEntryPublic
from server.models.user import User

AUDIT_VIEW_RECORDING = "view_recording"
AUDIT_VIEW_PHOTO = "view_photo"
AUDIT_HOLD_ADD = "hold_add"
AUDIT_HOLD_REMOVE = "hold_remove"
AUDIT_ERASE_ORDER = "erase_order"
AUDIT_RETENTION_RUN = "retention_run"
AUDIT_EXPORT_ORDER = "export_order"
AUDIT_VIEW_CHAT = "view_chat"
AUDIT_USER_CREATED = "user_created"
AUDIT_USER_CHANGED = "user_changed"
AUDIT_LINK_REVOKED = "link_revoked"
AUDIT_APIKEY_CREATED = "apikey_created"
AUDIT_APIKEY_REVOKED = "apikey_revoked"
AUDIT_CONSENT_TEXT_PUBLISHED = "consent_text_published"
AUDIT_PHRASES_CHANGED = "phrases_changed"
AUDIT_SUPPORT_HOURS_CHANGED = "support_hours_changed"
AUDIT_EVIDENCE_BUNDLE = "evidence_bundle"
AUDIT_CASE_STEPS_CHANGED = "case_steps_changed"
AUDIT_VIEW_CASE_FILE = "view_case_file"  # a case's clip or photo opened
AUDIT_TAXONOMY_CHANGED = "outcome_taxonomy_changed"
AUDIT_INSPECTION_TEMPLATES_CHANGED = "inspection_templates_changed"
AUDIT_QA_RUBRIC_CHANGED = "qa_rubric_changed"
AUDIT_PHONE_CAMERA_CODE = "phone_camera_code"  # an agent asked for a code for their phone
AUDIT_PHONE_CAMERA_CLAIMED = "phone_camera_claimed"  # a phone used the code
AUDIT_PHONE_CAMERA_PHOTO = "phone_camera_photo"  # the agent's phone took an item's photo
AUDIT_ACTIONS = (
    AUDIT_VIEW_RECORDING,
    AUDIT_VIEW_PHOTO,
    AUDIT_VIEW_CHAT,
    AUDIT_USER_CREATED,
    AUDIT_USER_CHANGED,
    AUDIT_LINK_REVOKED,
    AUDIT_APIKEY_CREATED,
    AUDIT_APIKEY_REVOKED,
    AUDIT_HOLD_ADD,
    AUDIT_HOLD_REMOVE,
    AUDIT_ERASE_ORDER,
    AUDIT_EXPORT_ORDER,
    AUDIT_RETENTION_RUN,
    AUDIT_CONSENT_TEXT_PUBLISHED,
    AUDIT_PHRASES_CHANGED,
    AUDIT_SUPPORT_HOURS_CHANGED,
    AUDIT_EVIDENCE_BUNDLE,
    AUDIT_CASE_STEPS_CHANGED,
    AUDIT_TAXONOMY_CHANGED,
    AUDIT_INSPECTION_TEMPLATES_CHANGED,
    AUDIT_QA_RUBRIC_CHANGED,
    AUDIT_PHONE_CAMERA_CODE,
    AUDIT_PHONE_CAMERA_CLAIMED,
    AUDIT_PHONE_CAMERA_PHOTO,
)
VIEW_CONTINUATION_WINDOW_S = 30 * 60  # later range requests within this are the same view


@dataclass(frozen=True)
class Viewer:
    """Who views: a staff member (``user_id``) or an integration's key (``api_key_id``)."""

    user_id: int | None = None
    api_key_id: int | None = None


def _viewed_recently(
    db: Session, viewer: Viewer, action: str, object_id: int, now: datetime
) -> bool:
    since = now - timedelta(seconds=VIEW_CONTINUATION_WINDOW_S)
    found = db.exec(
        select(AuditEntry.id).where(
            AuditEntry.user_id == viewer.user_id
            if viewer.user_id is not None
            else col(AuditEntry.user_id).is_(None),
            AuditEntry.api_key_id == viewer.api_key_id
            if viewer.api_key_id is not None
            else col(AuditEntry.api_key_id).is_(None),
            AuditEntry.action == action,
            AuditEntry.object_id == object_id,
            AuditEntry.at >= since,
        )
    ).first()
    return found is not None


def _record(
    db: Session, viewer: Viewer, action: str, call_id: str, object_id: int, now: datetime
) -> None:
    db.add(
        AuditEntry(
            user_id=viewer.user_id,
            api_key_id=viewer.api_key_id,
            action=action,
            call_id=call_id,
            object_id=object_id,
            at=now,
        )
    )
    db.commit()


def action_done(
    db: Session,
    action: str,
    now: datetime,
    *,
    user_id: int | None = None,
    api_key_id: int | None = None,
    call_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry for ``action`` by a staff member, an API key, or (neither) the
    system. The caller commits, in the same transaction as the change it records."""
    db.add(
        AuditEntry(
            user_id=user_id,
            api_key_id=api_key_id,
            action=action,
            call_id=call_id,
            at=now,
            detail=detail,
        )
    )


def api_key_changed(
    db: Session, action: str, key: ApiKey, now: datetime, by_user_id: int | None
) -> None:
    """Audit (and commit) an API key's creation or revocation (``by_user_id`` None: the
    command line). The key itself is never recorded."""
    detail = {"api_key_id": key.id, "name": key.name, "scopes": key.scopes}
    action_done(db, action, now, user_id=by_user_id, detail=detail)
    db.commit()


def photo_viewed(db: Session, viewer: Viewer, call_id: str, photo_id: int, now: datetime) -> None:
    """Audit (and commit) a view of photo ``photo_id`` of ``call_id`` by ``viewer``."""
    _record(db, viewer, AUDIT_VIEW_PHOTO, call_id, photo_id, now)


def recording_viewed(
    db: Session,
    viewer: Viewer,
    call_id: str,
    recording_id: int,
    now: datetime,
    *,
    opens_file: bool,
) -> None:
    """Audit a request for recording ``recording_id`` of ``call_id`` by ``viewer``:
    always when it ``opens_file``, otherwise unless the same person opened the same file
    recently (then it continues that view)."""
    action = AUDIT_VIEW_RECORDING
    if opens_file or not _viewed_recently(db, viewer, action, recording_id, now):
        _record(db, viewer, action, call_id, recording_id, now)


def list_audit(
    db: Session,
    *,
    user_id: int | None = None,
    call_id: str | None = None,
    action: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AuditEntryPublic], int]:
    """One page of audit entries (of ``user_id``, of ``call_id``, of ``action`` when
    given), newest first, with the actor's email and name (or the API key's name) and the
    order of the call it is about; and how many entries match."""
    where = []
    if action is not None:
        where.append(AuditEntry.action == action)
    if user_id is not None:
        where.append(AuditEntry.user_id == user_id)
    if call_id is not None:
        where.append(AuditEntry.call_id == call_id)
    total = db.exec(select(func.count()).select_from(AuditEntry).where(*where)).one()
    rows = db.exec(
        select(AuditEntry, User, ApiKey, Call.order_ref)
        .join(User, col(User.id) == AuditEntry.user_id, isouter=True)
        .join(ApiKey, col(ApiKey.id) == AuditEntry.api_key_id, isouter=True)
        .join(Call, col(Call.id) == AuditEntry.call_id, isouter=True)
        .where(*where)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    entries = [
        AuditEntryPublic.model_validate(
            entry,
            update={
                "user_email": user.email if user else None,
                "user_name": user.name if user else None,
                "api_key_name": key.name if key else None,
                "order_ref": order_ref,
            },
        )
        for entry, user, key, order_ref in rows
    ]
    return entries, total
