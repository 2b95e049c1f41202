"""Quick phrases: ``/api/quick-phrases``. Staff read the active ones (the console lists
them); admins read all, add, change and delete. Changes are audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel

from server.api.deps import DB_ID_MAX, Admin, AnyStaff, ClockDep, DbDep
from server.evidence import audit
from server.models import Role
from server.models.phrase import QuickPhrasePublic
from server.phrases import phrases
from server.phrases.phrases import PhraseCreate, PhraseUpdate

router = APIRouter(tags=["quick phrases"])

PhraseId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a quick phrase's id")]


class QuickPhraseList(BaseModel):
    items: list[QuickPhrasePublic]


def _audit(db: DbDep, clock: ClockDep, principal: Admin, change: str, phrase_id: int) -> None:
    audit.action_done(
        db,
        audit.AUDIT_PHRASES_CHANGED,
        clock.now(),
        user_id=principal.user_id,
        detail={"change": change, "phrase_id": phrase_id},
    )
    db.commit()


@router.get("/api/quick-phrases", response_model=QuickPhraseList)
def list_quick_phrases(principal: AnyStaff, db: DbDep) -> QuickPhraseList:
    """The quick phrases by position: all of them for admins, the active ones for other
    staff."""
    admin = principal.user is not None and principal.user.role == Role.admin
    rows = phrases.list_phrases(db, active_only=not admin)
    return QuickPhraseList(items=[QuickPhrasePublic.model_validate(r) for r in rows])


@router.post("/api/quick-phrases", status_code=201, response_model=QuickPhrasePublic)
def create_quick_phrase(
    body: PhraseCreate, principal: Admin, db: DbDep, clock: ClockDep
) -> QuickPhrasePublic:
    """Add a phrase: texts per locale (buyer and staff locales; ``en`` required; each
    1-200 characters, one line)."""
    row = phrases.create_phrase(db, body, clock.now())
    _audit(db, clock, principal, "created", row.id)
    return QuickPhrasePublic.model_validate(row)


@router.patch("/api/quick-phrases/{phrase_id}", response_model=QuickPhrasePublic)
def update_quick_phrase(
    phrase_id: PhraseId, body: PhraseUpdate, principal: Admin, db: DbDep, clock: ClockDep
) -> QuickPhrasePublic:
    """Change a phrase's texts (all of them, ``en`` required), position or ``active``."""
    row = phrases.update_phrase(db, phrase_id, body, clock.now())
    _audit(db, clock, principal, "changed", phrase_id)
    return QuickPhrasePublic.model_validate(row)


@router.delete("/api/quick-phrases/{phrase_id}", status_code=204)
def delete_quick_phrase(
    phrase_id: PhraseId, principal: Admin, db: DbDep, clock: ClockDep
) -> Response:
    """Delete a phrase; chat lines that used it keep their text."""
    phrases.delete_phrase(db, phrase_id)
    _audit(db, clock, principal, "deleted", phrase_id)
    return Response(status_code=204)
