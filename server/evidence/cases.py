"""A buyer's case: submissions of recorded files, the agent's replies, its verdict (set,
confirmed and overridden by ``verdicts.py``, with its history, as a call's), and the
calls made from the same link (one case timeline, joined by ``link_id``).

A submission, a verdict and a reply each write their webhook event (``case.submitted``,
``case.outcome_set`` or ``case.outcome_changed``, ``case.replied``) in the same
transaction as the change."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from server.errors import InvalidInput, NotFound
from server.evidence import verdicts
from server.evidence.uploads import STATE_READY
from server.models import Call, Link, User
from server.models.case import Case, CaseFile, CaseOutcomeChange, CaseReply, CaseSubmission
from server.webhooks.outbox import case_reply_data, case_submitted_data, emit
from signaling.locales import DEFAULT_LOCALE
from signaling.vocabulary import Decision


def _link(db: Session, case: Case) -> Link:
    link = db.get(Link, case.link_id)
    assert link is not None, case.link_id
    return link


def get_case(db: Session, case_id: int) -> Case:
    case = db.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def case_of_link(db: Session, link_id: int) -> Case | None:
    return db.exec(select(Case).where(Case.link_id == link_id)).first()


def submit(
    db: Session,
    case: Case,
    *,
    note: str | None,
    locale: str | None,
    now: datetime,
    timezone: str | None = None,
) -> CaseSubmission:
    """Gather the case's ready files not yet submitted under a new submission with the
    buyer's note. InvalidInput when there is nothing to submit."""
    files = db.exec(
        select(CaseFile).where(
            CaseFile.case_id == case.id,
            CaseFile.state == STATE_READY,
            col(CaseFile.submission_id).is_(None),
        )
    ).all()
    if not files and not (note or "").strip():
        raise InvalidInput("record a step or write a note first", code="nothing_to_submit")
    submission = CaseSubmission(
        case_id=case.id or 0, note=note, locale=locale, timezone=timezone, submitted_at=now
    )
    db.add(submission)
    db.flush()
    for row in files:
        row.submission_id = submission.id
        db.add(row)
    emit(db, "case.submitted", case_submitted_data(case, _link(db, case), submission, files), now)
    db.commit()
    db.refresh(submission)
    return submission


def submissions(db: Session, case_id: int) -> list[CaseSubmission]:
    return list(
        db.exec(
            select(CaseSubmission)
            .where(CaseSubmission.case_id == case_id)
            .order_by(col(CaseSubmission.id))
        ).all()
    )


def files(db: Session, case_id: int, *, submitted_only: bool = True) -> list[CaseFile]:
    """The case's ready files by id: those the buyer submitted (all uploaded ones when
    not ``submitted_only``) and the stills the agents took from its clips."""
    query = select(CaseFile).where(CaseFile.case_id == case_id, CaseFile.state == STATE_READY)
    if submitted_only:
        query = query.where(
            or_(
                col(CaseFile.submission_id).is_not(None),
                col(CaseFile.source_file_id).is_not(None),
            )
        )
    return list(db.exec(query.order_by(col(CaseFile.id))).all())


def get_file(db: Session, case_id: int, file_id: int) -> CaseFile:
    row = db.get(CaseFile, file_id)
    if row is None or row.case_id != case_id or row.state != STATE_READY:
        raise NotFound("no such file")
    return row


def calls(db: Session, link_id: int) -> list[Call]:
    """The live calls made from the case's link, oldest first."""
    return list(
        db.exec(select(Call).where(Call.link_id == link_id).order_by(col(Call.created_at))).all()
    )


def replies(db: Session, case_id: int) -> list[CaseReply]:
    return list(
        db.exec(
            select(CaseReply).where(CaseReply.case_id == case_id).order_by(col(CaseReply.id))
        ).all()
    )


def add_reply(
    db: Session,
    case: Case,
    *,
    text: str | None,
    phrase_key: str | None,
    by_user_id: int | None,
    now: datetime,
    phrase_text: str | None = None,
    phrase_locale: str | None = None,
    invite_at: datetime | None = None,
) -> CaseReply:
    """A reply: free text, or a quick phrase (``phrase_key``: its id, checked by the
    caller), never both; or an invitation to a live call at ``invite_at`` (checked by
    :func:`check_invite`), with a text or not. ``phrase_text`` is the phrase as the buyer
    reads it, in ``phrase_locale``, for the case.replied event (the caller knows the
    phrases)."""
    text = (text or "").strip() or None
    if invite_at is not None:
        if phrase_key is not None:
            raise InvalidInput("an invitation takes a text or nothing, not a quick phrase")
        check_invite(_link(db, case), invite_at, now)
    elif (text is None) == (phrase_key is None):
        raise InvalidInput("send either a text or a quick phrase")
    reply = CaseReply(
        case_id=case.id or 0,
        text=text,
        phrase_key=phrase_key,
        by_user_id=by_user_id,
        invite_at=invite_at,
        at=now,
    )
    db.add(reply)
    db.flush()
    shown = text if text is not None else phrase_text or ""
    locale = phrase_locale or buyer_locale(db, case)
    data = case_reply_data(case, _link(db, case), reply, text=shown, locale=locale)
    emit(db, "case.replied", data, now)
    db.commit()
    db.refresh(reply)
    return reply


INVITE_MIN_LEAD = timedelta(minutes=1)


def check_invite(link: Link, invite_at: datetime, now: datetime) -> None:
    """An invitation's time must be at least a minute ahead and before the link expires
    (the buyer joins from the same link); InvalidInput with a sentence otherwise."""
    if invite_at.tzinfo is None:
        raise InvalidInput("the call's time needs a time zone", code="invite_time_invalid")
    if invite_at < now + INVITE_MIN_LEAD:
        raise InvalidInput(
            "the call's time has passed: propose a time in the future", code="invite_in_past"
        )
    if link.revoked_at is not None:
        raise InvalidInput("the buyer's link was revoked: make a new link", code="link_revoked")
    if invite_at >= link.expires_at:
        raise InvalidInput(
            f"the buyer's link expires at {link.expires_at:%Y-%m-%d %H:%M} UTC: propose an "
            "earlier time, or send a new link",
            code="invite_after_link_expiry",
        )


def buyer_timezone(db: Session, case: Case) -> str | None:
    """The buyer's IANA time zone as their page last told it: the newest submission's,
    else the newest call's of the same link; None when never told."""
    zone = db.exec(
        select(CaseSubmission.timezone)
        .where(CaseSubmission.case_id == case.id, col(CaseSubmission.timezone).is_not(None))
        .order_by(col(CaseSubmission.id).desc())
    ).first()
    if zone:
        return zone
    return db.exec(
        select(Call.buyer_timezone)
        .where(Call.link_id == case.link_id, col(Call.buyer_timezone).is_not(None))
        .order_by(col(Call.created_at).desc())
    ).first()


def buyer_locale(db: Session, case: Case) -> str:
    """The case's buyer's language: their last submission's, else the link's, else
    English."""
    last = db.exec(
        select(CaseSubmission.locale)
        .where(CaseSubmission.case_id == case.id, col(CaseSubmission.locale).is_not(None))
        .order_by(col(CaseSubmission.id).desc())
    ).first()
    return last or _link(db, case).locale or DEFAULT_LOCALE


def set_outcome(
    db: Session,
    case: Case,
    *,
    outcome: str,
    decision: Decision | None,
    note: str | None,
    by_user_id: int,
    now: datetime,
) -> Case:
    """The agent's verdict on the case (a new one undoes an earlier review)."""
    verdicts.set_outcome(db, case, outcome, decision, note, by_user_id, now)
    db.refresh(case)
    return case


def history(db: Session, case_id: int) -> list[CaseOutcomeChange]:
    """Every change of the case's verdict, oldest first."""
    return list(
        db.exec(
            select(CaseOutcomeChange)
            .where(CaseOutcomeChange.case_id == case_id)
            .order_by(col(CaseOutcomeChange.at), col(CaseOutcomeChange.id))
        ).all()
    )


def list_cases(db: Session, limit: int = 200) -> list[tuple[Case, Link]]:
    """Cases with at least one submission, newest first, with their links."""
    rows = db.exec(
        select(Case, Link)
        .join(Link, col(Link.id) == col(Case.link_id))
        .where(col(Case.id).in_(select(CaseSubmission.case_id)))
        .order_by(col(Case.id).desc())
        .limit(limit)
    ).all()
    return [(case, link) for case, link in rows]


def names(db: Session, user_ids: set[int | None]) -> dict[int, str]:
    """Staff users' names by id (for who set, confirmed or overrode a verdict)."""
    wanted = {uid for uid in user_ids if uid is not None}
    if not wanted:
        return {}
    rows = db.exec(select(User.id, User.name).where(col(User.id).in_(wanted))).all()
    return {uid: name for uid, name in rows if uid is not None}
