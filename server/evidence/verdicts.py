"""A verdict, a call's or a case's: the agent sets the outcome, a supervisor confirms or
overrides it.

Every change is appended to the history (who, when, what, why): a call's to
``OutcomeChange`` and its timeline as an ``outcome`` event, so the review page shows when
it happened; a case's to ``CaseOutcomeChange`` (the case timeline reads it). Its webhook
event is written in the same transaction: for a call ``outcome.set``, or
``outcome.changed`` for a confirm or override; for a case ``case.outcome_set`` and
``case.outcome_changed``, which name the case as every ``case.*`` event does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlmodel import Session

from server.errors import Conflict, InvalidInput
from server.evidence import taxonomy
from server.models import Call, CallEvent, Case, CaseOutcomeChange, Link, OutcomeChange
from server.webhooks.outbox import case_outcome_data, emit, outcome_data
from signaling.call import elapsed_ms
from signaling.vocabulary import Decision

ACTION_SET: Final = "set"
ACTION_CONFIRM: Final = "confirm"
ACTION_OVERRIDE: Final = "override"
REVIEW_CONFIRMED: Final = "confirmed"
REVIEW_OVERRIDDEN: Final = "overridden"


Subject = Call | Case
"""What has a verdict: a call, or a case (what a buyer recorded without a live agent)."""
Change = OutcomeChange | CaseOutcomeChange


def _t_ms(call: Call, now: datetime) -> int:
    return elapsed_ms(call.created_at, now)


def _record(
    db: Session,
    subject: Subject,
    *,
    action: str,
    by_user_id: int,
    now: datetime,
    note: str | None = None,
    reason: str | None = None,
) -> Change:
    if isinstance(subject, Case):
        return _record_case(db, subject, action, by_user_id, now, note, reason)
    call = subject
    change = OutcomeChange(
        call_id=call.id,
        action=action,
        outcome=call.outcome,
        decision=call.decision,
        note=note,
        reason=reason,
        by_user_id=by_user_id,
        at=now,
    )
    db.add(change)
    data = {
        "action": action,
        "outcome": call.outcome,
        "decision": call.decision,
        "by_user_id": by_user_id,
    }
    if reason is not None:
        data["reason"] = reason
    db.add(CallEvent(call_id=call.id, kind="outcome", t_ms=_t_ms(call, now), at=now, data=data))
    event_type = "outcome.set" if action == ACTION_SET else "outcome.changed"
    emit(db, event_type, outcome_data(call, action, by_user_id, note, reason), now)
    return change


def _record_case(
    db: Session,
    case: Case,
    action: str,
    by_user_id: int,
    now: datetime,
    note: str | None,
    reason: str | None,
) -> CaseOutcomeChange:
    change = CaseOutcomeChange(
        case_id=case.id or 0,
        action=action,
        outcome=case.outcome,
        decision=case.decision,
        note=note,
        reason=reason,
        by_user_id=by_user_id,
        at=now,
    )
    db.add(change)
    link = db.get(Link, case.link_id)
    assert link is not None, case.link_id
    event_type = "case.outcome_set" if action == ACTION_SET else "case.outcome_changed"
    data = case_outcome_data(
        case, link, action=action, by_user_id=by_user_id, note=note, reason=reason
    )
    emit(db, event_type, data, now)
    return change


def _check_reached(subject: Subject, words: str) -> None:
    """A call nobody answered has no verdict; a case always may have one."""
    if isinstance(subject, Call) and subject.agent_id is None:
        raise Conflict(f"nobody answered this call, so it has no outcome to {words}")


def _kind(subject: Subject) -> str:
    return "case" if isinstance(subject, Case) else "call"


def _purpose(db: Session, subject: Subject) -> str:
    """The purpose whose codes ``subject``'s verdict takes (a case's is its link's)."""
    if isinstance(subject, Call):
        return str(subject.purpose)
    link = db.get(Link, subject.link_id)
    assert link is not None, subject.link_id
    return str(link.purpose)


def _store(subject: Subject, outcome: str, decision: Decision | None) -> None:
    if isinstance(subject, Case):  # a case keeps the vocabulary's words as plain text
        subject.outcome = str(outcome)
        subject.decision = None if decision is None else str(decision)
    else:
        subject.outcome, subject.decision = outcome, decision


def set_outcome(
    db: Session,
    call: Subject,
    outcome: str,
    decision: Decision | None,
    note: str | None,
    by_user_id: int,
    now: datetime,
) -> Change:
    """The agent's (or an admin's) verdict. A new verdict undoes an earlier review.
    ``outcome`` must be an active code of the shop's taxonomy, of the call's purpose."""
    _check_reached(call, "set")
    taxonomy.require_active(db, outcome, _purpose(db, call))
    _store(call, outcome, decision)
    call.outcome_note = note
    call.outcome_by_user_id = by_user_id
    call.outcome_at = now
    call.review_state = None
    db.add(call)
    change = _record(db, call, action=ACTION_SET, by_user_id=by_user_id, now=now, note=note)
    db.commit()
    db.refresh(change)
    return change


def set_untagged(
    db: Session,
    call: Subject,
    outcome: str,
    decision: Decision | None,
    note: str | None,
    by_user_id: int,
    now: datetime,
) -> Change:
    """A supervisor sets the verdict of an answered call (or a case) its agent left
    untagged (no reason needed: nothing is overridden). One that has an outcome is
    overridden."""
    if call.outcome is not None:
        raise Conflict(f"this {_kind(call)} already has an outcome: override it to change it")
    return set_outcome(db, call, outcome, decision, note, by_user_id, now)


def confirm(db: Session, call: Subject, by_user_id: int, now: datetime) -> Change:
    """A supervisor agrees with the current verdict."""
    if call.outcome is None:
        raise Conflict(f"this {_kind(call)} has no outcome to confirm yet: override it to set one")
    call.review_state = REVIEW_CONFIRMED
    db.add(call)
    change = _record(db, call, action=ACTION_CONFIRM, by_user_id=by_user_id, now=now)
    db.commit()
    db.refresh(change)
    return change


def override(
    db: Session,
    call: Subject,
    outcome: str,
    decision: Decision | None,
    reason: str,
    by_user_id: int,
    now: datetime,
) -> Change:
    """A supervisor replaces the verdict; the reason is kept with it."""
    if not reason or not reason.strip():
        raise InvalidInput("reason: an override needs a reason")
    _check_reached(call, "review")
    taxonomy.require_active(db, outcome, _purpose(db, call))
    _store(call, outcome, decision)
    call.outcome_by_user_id = by_user_id
    call.outcome_at = now
    call.review_state = REVIEW_OVERRIDDEN
    db.add(call)
    change = _record(
        db, call, action=ACTION_OVERRIDE, by_user_id=by_user_id, now=now, reason=reason
    )
    db.commit()
    db.refresh(change)
    return change
