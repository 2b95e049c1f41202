"""What is kept, and for how long: retention, legal holds and erasure.

- **Retention**: the recordings, photos and chat of a call that ended more than
  ``retention_days`` ago are deleted (files and rows); the call row keeps its order
  reference, times, outcome and decision. Idempotent (a call is purged once,
  ``media_deleted_at``), logged, audited, with a dry run that only lists what would go.
  A recorded case goes the same way once its last submission (or, with none, its first
  upload) is that old: its clips and photos (files and rows) and its buyer's notes; the
  case keeps its submissions' times, its replies and its verdict (``media_deleted_at``).
- **Legal hold**: a supervisor or admin puts a call on hold, with a reason; a held call is
  skipped by retention and refused by erasure until the hold is lifted. A case is held
  while any call of its link (the same case timeline) is.
- **Erasure** of an order (GDPR Art. 17): every call of that order reference loses its
  media, photos, chat, the buyer's name, the staff's free-text notes and the QA comments
  pinned to its recording (its QA scores stay); its outcome, decision and times stay,
  without personal data; the calls and the order's links lose their order data (lines,
  carrier, tracking number, ...) and the links their buyer name and note. The cases of
  the order's links are deleted whole: their clips and photos (files and rows),
  submissions with the buyer's notes, replies and the case rows.
  Audited.

All functions are blocking (files and database); the caller commits nothing: each
function commits its own work.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from server.errors import Conflict, NotFound
from server.evidence import audit
from server.models import Call, CallEvent, CallSku, Link, OutcomeChange, Photo, Recording
from server.models.case import Case, CaseFile, CaseReply, CaseSubmission
from server.models.qa import QaComment
from server.storage import Storage
from signaling.call import EventKind
from signaling.vocabulary import CallState

log = logging.getLogger("showdesk.retention")


@dataclass
class Deleted:
    """What went (or, in a dry run, would go) of one call."""

    call_id: str
    order_ref: str
    recordings: int = 0
    photos: int = 0
    chat_lines: int = 0


@dataclass
class DeletedCase:
    """What went (or would go) of one recorded case."""

    case_id: int
    order_ref: str
    clips: int = 0
    photos: int = 0
    notes: int = 0


@dataclass
class Report:
    """The calls and cases a retention run or an erasure touched."""

    calls: list[Deleted] = field(default_factory=list)
    dry_run: bool = False
    cases: list[DeletedCase] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "calls": [asdict(c) for c in self.calls],
            "cases": [asdict(c) for c in self.cases],
        }


def _case_files(db: Session, case: Case) -> list[CaseFile]:
    return list(db.exec(select(CaseFile).where(CaseFile.case_id == case.id)))


def _counted(db: Session, case: Case, order_ref: str) -> DeletedCase:
    files = _case_files(db, case)
    notes = db.exec(
        select(func.count())
        .select_from(CaseSubmission)
        .where(CaseSubmission.case_id == case.id, col(CaseSubmission.note).is_not(None))
    ).one()
    return DeletedCase(
        case.id or 0,
        order_ref,
        clips=sum(1 for f in files if f.kind == "clip"),
        photos=sum(1 for f in files if f.kind == "photo"),
        notes=notes,
    )


def _delete_case_media(
    db: Session, storage: Storage, case: Case, order_ref: str, now: datetime, dry: bool
) -> DeletedCase:
    deleted = _counted(db, case, order_ref)
    if dry:
        return deleted
    for row in _case_files(db, case):
        storage.delete(row.storage_key)
        db.delete(row)
    for submission in db.exec(select(CaseSubmission).where(CaseSubmission.case_id == case.id)):
        submission.note = None
        db.add(submission)
    case.media_deleted_at = now
    db.add(case)
    return deleted


def _delete_case(db: Session, storage: Storage, case: Case, order_ref: str) -> DeletedCase:
    """The case and everything of it: files, submissions, replies, the row."""
    deleted = _counted(db, case, order_ref)
    for row in _case_files(db, case):
        storage.delete(row.storage_key)
        db.delete(row)
    db.flush()
    for model in (CaseSubmission, CaseReply):
        for row in db.exec(select(model).where(model.case_id == case.id)):
            db.delete(row)
    db.flush()
    db.delete(case)
    return deleted


def _cases_due(db: Session, cutoff: datetime) -> list[tuple[Case, str]]:
    """Cases whose last submission (else their making) is before ``cutoff``, not yet
    purged, with no call of their link on hold; with their order references."""
    last = (
        select(CaseSubmission.case_id, func.max(CaseSubmission.submitted_at).label("last"))
        .group_by(col(CaseSubmission.case_id))
        .subquery()
    )
    held = select(Call.link_id).where(col(Call.hold_reason).is_not(None))
    rows = db.exec(
        select(Case, Link.order_ref, last.c.last)
        .join(Link, col(Link.id) == col(Case.link_id))
        .outerjoin(last, last.c.case_id == col(Case.id))
        .where(col(Case.media_deleted_at).is_(None), col(Case.link_id).not_in(held))
    ).all()
    return [(case, ref) for case, ref, at in rows if (at or case.created_at) < cutoff]


def _delete_media(db: Session, storage: Storage, call: Call, now: datetime, dry: bool) -> Deleted:
    recordings = list(db.exec(select(Recording).where(Recording.call_id == call.id)))
    photos = list(db.exec(select(Photo).where(Photo.call_id == call.id)))
    chat = list(
        db.exec(
            select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.kind == EventKind.CHAT)
        )
    )
    deleted = Deleted(call.id, call.order_ref, len(recordings), len(photos), len(chat))
    if dry:
        return deleted
    for row in [*recordings, *photos]:
        storage.delete(row.storage_key)
        db.delete(row)
    for event in chat:
        db.delete(event)
    call.media_deleted_at = now
    db.add(call)
    return deleted


def run_retention(
    db: Session,
    storage: Storage,
    now: datetime,
    retention_days: int,
    *,
    dry_run: bool = False,
    node: str | None = None,
) -> Report:
    """Delete the media, photos and chat of calls that ended ``retention_days`` ago or
    more, skipping held calls and calls already purged. ``node``: the node whose timer
    ran it (kept in the audit row), None when a person ran it."""
    cutoff = now - timedelta(days=retention_days)
    due = db.exec(
        select(Call).where(
            Call.state == CallState.ENDED,
            col(Call.ended_at) < cutoff,
            col(Call.hold_reason).is_(None),
            col(Call.media_deleted_at).is_(None),
        )
    ).all()
    report = Report(dry_run=dry_run)
    for call in due:
        report.calls.append(_delete_media(db, storage, call, now, dry_run))
    for case, order_ref in _cases_due(db, cutoff):
        report.cases.append(_delete_case_media(db, storage, case, order_ref, now, dry_run))
    if not dry_run:
        audit.action_done(
            db,
            audit.AUDIT_RETENTION_RUN,
            now,
            detail={"retention_days": retention_days, "calls": len(report.calls)}
            | ({"cases": len(report.cases)} if report.cases else {})
            | ({"node": node} if node else {}),
        )
        db.commit()
    log.info(
        "retention%s: %d calls and %d cases older than %d days%s",
        " (dry run)" if dry_run else "",
        len(report.calls),
        len(report.cases),
        retention_days,
        " would lose their media" if dry_run else " lost their media",
    )
    return report


def set_hold(
    db: Session, call_id: str, reason: str | None, now: datetime, by_user_id: int | None
) -> Call:
    """Put ``call_id`` on legal hold with ``reason`` (None lifts it); audited. NotFound for
    an unknown call; Conflict when its media were already deleted."""
    call = db.get(Call, call_id)
    if call is None:
        raise NotFound(f'no call "{call_id}"')
    if reason is not None and call.media_deleted_at is not None:
        raise Conflict("this call's media were already deleted: there is nothing to hold")
    call.hold_reason = reason
    call.hold_by_user_id = by_user_id if reason else None
    call.hold_at = now if reason else None
    db.add(call)
    action = audit.AUDIT_HOLD_ADD if reason else audit.AUDIT_HOLD_REMOVE
    audit.action_done(
        db, action, now, user_id=by_user_id, call_id=call_id, detail={"reason": reason}
    )
    db.commit()
    db.refresh(call)
    return call


def _erasable(db: Session, order_ref: str, active_call_ids: set[str]) -> tuple[list, list]:
    """The calls and links of ``order_ref``, once it is clear they may be erased."""
    calls = list(db.exec(select(Call).where(Call.order_ref == order_ref)))
    links = list(db.exec(select(Link).where(Link.order_ref == order_ref)))
    if not calls and not links:
        raise NotFound(f'nothing is held about order "{order_ref}"')
    for call in calls:
        if call.id in active_call_ids or call.state != CallState.ENDED:
            raise Conflict(f'a call of order "{order_ref}" is in progress: end it first')
        if call.hold_reason:
            raise Conflict(
                f'call "{call.id}" of order "{order_ref}" is on legal hold: lift it first'
            )
    return calls, links


def orders_of_buyer(db: Session, buyer_name: str) -> list[str]:
    """The order references whose links or calls name this buyer (case aside)."""
    name = buyer_name.strip().lower()
    refs = set(db.exec(select(Call.order_ref).where(func.lower(Call.buyer_name) == name)))
    refs |= set(db.exec(select(Link.order_ref).where(func.lower(Link.buyer_name) == name)))
    return sorted(refs)


def erase_buyer(
    db: Session,
    storage: Storage,
    buyer_name: str,
    now: datetime,
    *,
    active_call_ids: set[str],
    by_user_id: int | None,
) -> Report:
    """Erase every order of the buyer named ``buyer_name`` (as :func:`erase_order`);
    nothing is erased unless all of them may be. NotFound when no order names them."""
    refs = orders_of_buyer(db, buyer_name)
    if not refs:
        raise NotFound("no order names this buyer")
    for ref in refs:
        _erasable(db, ref, active_call_ids)
    report = Report()
    for ref in refs:
        erased = erase_order(
            db, storage, ref, now, active_call_ids=active_call_ids, by_user_id=by_user_id
        )
        report.calls.extend(erased.calls)
        report.cases.extend(erased.cases)
    return report


def erase_order(
    db: Session,
    storage: Storage,
    order_ref: str,
    now: datetime,
    *,
    active_call_ids: set[str],
    by_user_id: int | None,
) -> Report:
    """Erase what is held about ``order_ref`` (see the module docstring). NotFound when no
    call or link has it; Conflict when one of its calls is in progress or on hold
    (nothing is erased then)."""
    calls, links = _erasable(db, order_ref, active_call_ids)
    report = Report()
    for call in calls:
        report.calls.append(_delete_media(db, storage, call, now, dry=False))
        call.buyer_name = None
        call.outcome_note = None
        call.erased_at = now
        call.order = call.carrier_key = call.channel_key = call.buyer_country = None
        db.add(call)
        for sku in db.exec(select(CallSku).where(CallSku.call_id == call.id)):
            db.delete(sku)
        for change in db.exec(select(OutcomeChange).where(OutcomeChange.call_id == call.id)):
            change.note = None
            change.reason = None
            db.add(change)
        for comment in db.exec(select(QaComment).where(QaComment.call_id == call.id)):
            db.delete(comment)  # pinned to the deleted recording, and may quote the buyer
        for event in db.exec(select(CallEvent).where(CallEvent.call_id == call.id)):
            if event.data and ("name" in event.data or "text" in event.data):
                event.data = {k: v for k, v in event.data.items() if k not in ("name", "text")}
                db.add(event)
    for link in links:
        link.buyer_name = None
        link.note = None
        link.order = None
        db.add(link)
        case = db.exec(select(Case).where(Case.link_id == link.id)).first()
        if case is not None:
            report.cases.append(_delete_case(db, storage, case, order_ref))
    audit.action_done(
        db,
        audit.AUDIT_ERASE_ORDER,
        now,
        user_id=by_user_id,
        detail={"order_ref": order_ref, "calls": len(calls), "links": len(links)}
        | ({"cases": len(report.cases)} if report.cases else {}),
    )
    db.commit()
    log.info(
        "order erased: %d calls, %d links and %d cases",
        len(calls),
        len(links),
        len(report.cases),
    )
    return report
