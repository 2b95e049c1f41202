"""A call's verdict: the agent sets the outcome, a supervisor confirms or overrides it.

Every change is appended to ``OutcomeChange`` (who, when, what, why) and put on the
call's timeline as an ``outcome`` event, so the review page shows when it happened; its
webhook event (``outcome.set``, or ``outcome.changed`` for a confirm or override) is
written in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlmodel import Session

from server.errors import Conflict, InvalidInput
from server.evidence import taxonomy
from server.models import Call, CallEvent, OutcomeChange
from server.webhooks.outbox import emit, outcome_data
from signaling.call import elapsed_ms
from signaling.vocabulary import Decision

ACTION_SET: Final = "set"
ACTION_CONFIRM: Final = "confirm"
ACTION_OVERRIDE: Final = "override"
REVIEW_CONFIRMED: Final = "confirmed"
REVIEW_OVERRIDDEN: Final = "overridden"


def _t_ms(call: Call, now: datetime) -> int:
    return elapsed_ms(call.created_at, now)


def _record(
    db: Session,
    call: Call,
    *,
    action: str,
    by_user_id: int,
    now: datetime,
    note: str | None = None,
    reason: str | None = None,
) -> OutcomeChange:
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


def set_outcome(
    db: Session,
    call: Call,
    outcome: str,
    decision: Decision | None,
    note: str | None,
    by_user_id: int,
    now: datetime,
) -> OutcomeChange:
    """The agent's (or an admin's) verdict. A new verdict undoes an earlier review.
    ``outcome`` must be an active code of the shop's taxonomy."""
    if call.agent_id is None:
        raise Conflict("nobody answered this call, so it has no outcome to set")
    taxonomy.require_active(db, outcome)
    call.outcome = outcome
    call.decision = decision
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
    call: Call,
    outcome: str,
    decision: Decision | None,
    note: str | None,
    by_user_id: int,
    now: datetime,
) -> OutcomeChange:
    """A supervisor sets the verdict of an answered call its agent left untagged (no
    reason needed: nothing is overridden). A call that has an outcome is overridden."""
    if call.outcome is not None:
        raise Conflict("this call already has an outcome: override it to change it")
    return set_outcome(db, call, outcome, decision, note, by_user_id, now)


def confirm(db: Session, call: Call, by_user_id: int, now: datetime) -> OutcomeChange:
    """A supervisor agrees with the current verdict."""
    if call.outcome is None:
        raise Conflict("this call has no outcome to confirm yet: override it to set one")
    call.review_state = REVIEW_CONFIRMED
    db.add(call)
    change = _record(db, call, action=ACTION_CONFIRM, by_user_id=by_user_id, now=now)
    db.commit()
    db.refresh(change)
    return change


def override(
    db: Session,
    call: Call,
    outcome: str,
    decision: Decision | None,
    reason: str,
    by_user_id: int,
    now: datetime,
) -> OutcomeChange:
    """A supervisor replaces the verdict; the reason is kept with it."""
    if not reason or not reason.strip():
        raise InvalidInput("reason: an override needs a reason")
    if call.agent_id is None:
        raise Conflict("nobody answered this call, so it has no outcome to review")
    taxonomy.require_active(db, outcome)
    call.outcome = outcome
    call.decision = decision
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
