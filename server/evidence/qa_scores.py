"""QA scores of calls and comments at moments of their review video.

Contracts:

- A call may be scored once it has ended and an agent answered it (``Conflict``
  ``not_scorable`` before). Each reviewer (supervisor or admin) has one score per call
  and updates it: the score stays the same row, its values are replaced.
- A score gives a value for every active criterion, each within that criterion's scale
  (pass/fail: 0 or 1; points: 1 to its top). A criterion that is retired is refused,
  unless it is already on this reviewer's score: such an item is kept (or changed when
  given again), with the scale and weight it was given against.
- ``total_pct`` = 100 * sum(weight * share) / sum(weight), share = the value's place on
  its scale (pass 1, fail 0; points (v - 1) / (top - 1)), rounded to 0.1; computed from
  the items' stored weights and scales, so changing the rubric never moves it.
- A comment is at ``video_ms`` from the start of the call's ready review video, between 0
  and the video's length (``Conflict`` ``no_recording`` when there is none ready); its
  author or an admin deletes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.evidence import qa_rubric
from server.evidence.recordings import review_recording
from server.models.call import Call
from server.models.evidence import Recording
from server.models.qa import (
    CallQaPublic,
    QaCallPublic,
    QaComment,
    QaCommentPublic,
    QaCriterion,
    QaScore,
    QaScoreItem,
    QaScoreItemPublic,
    QaScorePublic,
)
from server.models.user import Role, User
from signaling.vocabulary import CallState


def scorable(call: Call) -> bool:
    return call.state == CallState.ENDED and call.agent_id is not None


def share(value: int, scale: str, points: int | None) -> float:
    """Where ``value`` sits on its scale, 0 to 1."""
    if scale == "pass_fail":
        return float(value)
    top = points or 2
    return (value - 1) / (top - 1)


def total_of(items: Iterable[QaScoreItem]) -> float:
    """The weighted total (0-100) of ``items`` by their own scales and weights."""
    found = list(items)
    weights = sum(i.weight for i in found)
    if not weights:
        return 0.0
    return round(
        100 * sum(i.weight * share(i.value, i.scale, i.points) for i in found) / weights, 1
    )


def _check_value(criterion: QaCriterion, value: int) -> None:
    if criterion.scale == "pass_fail":
        if value not in (0, 1):
            raise InvalidInput(
                f"items: {criterion.label!r} is pass/fail: 1 (pass) or 0 (fail), not {value}"
            )
    elif not 1 <= value <= (criterion.points or 2):
        raise InvalidInput(
            f"items: {criterion.label!r} is scored 1 to {criterion.points}, not {value}"
        )


def _names(db: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.exec(select(User.id, User.name).where(col(User.id).in_(wanted))).all())  # type: ignore[arg-type]


def _video_ms(db: Session, call_id: str) -> int | None:
    row = review_recording(db, call_id)
    return row.duration_ms if row is not None and row.state == "ready" else None


def _scores_of(db: Session, call_ids: list[str]) -> dict[str, list[QaScorePublic]]:
    if not call_ids:
        return {}
    scores = list(
        db.exec(
            select(QaScore)
            .where(col(QaScore.call_id).in_(call_ids))
            .order_by(col(QaScore.updated_at), col(QaScore.id))
        )
    )
    items: dict[int, list[QaScoreItem]] = {}
    if scores:
        for item in db.exec(
            select(QaScoreItem).where(col(QaScoreItem.score_id).in_([s.id for s in scores]))
        ):
            items.setdefault(item.score_id, []).append(item)
    criteria = {c.id: c for c in qa_rubric.load(db)}
    order = {cid: n for n, cid in enumerate(criteria)}
    names = _names(db, (s.reviewer_id for s in scores))
    found: dict[str, list[QaScorePublic]] = {}
    for score in scores:
        own = sorted(items.get(score.id or 0, []), key=lambda i: order.get(i.criterion_id, 0))
        found.setdefault(score.call_id, []).append(
            QaScorePublic(
                id=score.id or 0,
                call_id=score.call_id,
                reviewer_id=score.reviewer_id,
                reviewer_name=names.get(score.reviewer_id),
                agent_id=score.agent_id,
                total_pct=score.total_pct,
                created_at=score.created_at,
                updated_at=score.updated_at,
                items=[
                    QaScoreItemPublic(
                        criterion_id=i.criterion_id,
                        label=criteria[i.criterion_id].label,
                        retired=criteria[i.criterion_id].retired_at is not None,
                        value=i.value,
                        scale=i.scale,
                        points=i.points,
                        weight=i.weight,
                    )
                    for i in own
                ],
            )
        )
    return found


def _comments_of(db: Session, call_ids: list[str]) -> dict[str, list[QaCommentPublic]]:
    if not call_ids:
        return {}
    rows = list(
        db.exec(
            select(QaComment)
            .where(col(QaComment.call_id).in_(call_ids))
            .order_by(col(QaComment.video_ms), col(QaComment.id))
        )
    )
    names = _names(db, (c.author_id for c in rows))
    found: dict[str, list[QaCommentPublic]] = {}
    for c in rows:
        found.setdefault(c.call_id, []).append(
            QaCommentPublic(
                id=c.id or 0,
                call_id=c.call_id,
                author_id=c.author_id,
                author_name=names.get(c.author_id),
                video_ms=c.video_ms,
                text=c.text,
                created_at=c.created_at,
            )
        )
    return found


def call_qa(db: Session, call: Call) -> CallQaPublic:
    """The call's scores (by last change) and comments (by video time)."""
    return CallQaPublic(
        call_id=call.id,
        scorable=scorable(call),
        video_duration_ms=_video_ms(db, call.id),
        scores=_scores_of(db, [call.id]).get(call.id, []),
        comments=_comments_of(db, [call.id]).get(call.id, []),
    )


def save_score(
    db: Session, call: Call, reviewer_id: int, values: list[tuple[int, int]], now: datetime
) -> QaScorePublic:
    """Give or update ``reviewer_id``'s score of ``call`` (module docstring)."""
    if not scorable(call):
        raise Conflict(
            "only an ended call that an agent answered can be scored", code="not_scorable"
        )
    score = db.exec(
        select(QaScore).where(QaScore.call_id == call.id, QaScore.reviewer_id == reviewer_id)
    ).first()
    kept: dict[int, QaScoreItem] = {}
    if score is not None:
        kept = {
            i.criterion_id: i
            for i in db.exec(select(QaScoreItem).where(QaScoreItem.score_id == score.id))
        }
    criteria = {c.id: c for c in qa_rubric.load(db)}
    given: dict[int, int] = {}
    for criterion_id, value in values:
        if criterion_id in given:
            raise InvalidInput(f"items: criterion {criterion_id} is given twice")
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise InvalidInput(f"items: there is no QA criterion {criterion_id}")
        if criterion.retired_at is not None and criterion_id not in kept:
            raise InvalidInput(f"items: {criterion.label!r} is retired")
        _check_value(criterion, value)
        given[criterion_id] = value
    missing = [c.label for c in criteria.values() if c.retired_at is None and c.id not in given]
    if missing:
        raise InvalidInput(f"items: give a value for every criterion; missing {missing}")
    if score is None:
        score = QaScore(
            call_id=call.id,
            reviewer_id=reviewer_id,
            agent_id=call.agent_id or 0,
            total_pct=0,
            created_at=now,
            updated_at=now,
        )
        db.add(score)
        db.flush()
    items: list[QaScoreItem] = []
    for criterion_id, value in given.items():
        criterion = criteria[criterion_id]
        item = kept.pop(criterion_id, None) or QaScoreItem(
            score_id=score.id or 0, criterion_id=criterion_id, value=value, scale="", weight=0
        )
        item.value = value
        item.scale, item.points, item.weight = criterion.scale, criterion.points, criterion.weight
        db.add(item)
        items.append(item)
    for item in kept.values():
        if criteria[item.criterion_id].retired_at is None:
            db.delete(item)  # an active criterion is always given again; never reached
        else:
            items.append(item)  # a retired criterion stays as it was given
    score.total_pct = total_of(items)
    score.agent_id = call.agent_id or score.agent_id
    score.updated_at = now
    db.add(score)
    db.commit()
    return next(s for s in _scores_of(db, [call.id])[call.id] if s.reviewer_id == reviewer_id)


def add_comment(
    db: Session, call: Call, author_id: int, video_ms: int, text: str, now: datetime
) -> QaCommentPublic:
    """A comment at ``video_ms`` of the call's ready review video."""
    length = _video_ms(db, call.id)
    if length is None:
        raise Conflict("this call has no ready review video to comment on", code="no_recording")
    if video_ms > length:
        raise InvalidInput(f"video_ms: {video_ms} is past the end of the recording ({length} ms)")
    row = QaComment(
        call_id=call.id, author_id=author_id, video_ms=video_ms, text=text, created_at=now
    )
    db.add(row)
    db.commit()
    return next(c for c in _comments_of(db, [call.id])[call.id] if c.id == row.id)


def delete_comment(db: Session, call: Call, comment_id: int, user: User) -> None:
    """Delete a comment of ``call``: its author or an admin."""
    row = db.get(QaComment, comment_id)
    if row is None or row.call_id != call.id:
        raise NotFound(f"no comment {comment_id} on this call")
    if row.author_id != user.id and user.role != Role.admin:
        raise Forbidden("only the comment's author or an admin can delete it")
    db.delete(row)
    db.commit()


def agent_calls(
    db: Session, agent_id: int | None, *, page: int, per_page: int
) -> tuple[list[QaCallPublic], int]:
    """The calls (of ``agent_id``, or of every agent) that have a score or a comment,
    newest first, one page of them; and how many there are."""
    touched = or_(
        col(Call.id).in_(select(QaScore.call_id)), col(Call.id).in_(select(QaComment.call_id))
    )
    where = [touched] + ([Call.agent_id == agent_id] if agent_id is not None else [])
    total = db.exec(select(func.count()).select_from(Call).where(*where)).one()
    calls = list(
        db.exec(
            select(Call)
            .where(*where)
            .order_by(col(Call.created_at).desc(), col(Call.id))
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    ids = [c.id for c in calls]
    scores, comments = _scores_of(db, ids), _comments_of(db, ids)
    names = _names(db, (c.agent_id for c in calls))
    ready = {
        r.call_id: r
        for r in db.exec(
            select(Recording)
            .where(col(Recording.call_id).in_(ids), Recording.kind == "review")
            .order_by(col(Recording.id))
        )
    }
    items = []
    for call in calls:
        rec = ready.get(call.id)
        playable = rec is not None and rec.state == "ready"
        items.append(
            QaCallPublic(
                call_id=call.id,
                scorable=scorable(call),
                video_duration_ms=rec.duration_ms if playable and rec else None,
                scores=scores.get(call.id, []),
                comments=comments.get(call.id, []),
                order_ref=call.order_ref,
                created_at=call.created_at,
                agent_id=call.agent_id,
                agent_name=names.get(call.agent_id) if call.agent_id is not None else None,
                recording_url=f"/api/sessions/{call.id}/recording" if playable else None,
            )
        )
    return items, total
