"""Consent texts: ``/api/consent-texts`` (admins). Publishing adds a version; no version
is ever changed or deleted (a call keeps the one its buyer saw)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from server.api.deps import Admin, ClockDep, DbDep
from server.consent import texts
from server.consent.texts import ConsentContent
from server.evidence import audit
from server.models.consent import ConsentTextPublic
from signaling.vocabulary import Purpose

router = APIRouter(tags=["consent"])


class ConsentTextIn(ConsentContent):
    """A new version of the text of ``purpose`` in ``locale`` (a buyer locale)."""

    model_config = ConfigDict(extra="forbid")

    purpose: Purpose
    locale: str


class ConsentTextList(BaseModel):
    items: list[ConsentTextPublic]


@router.get("/api/consent-texts", response_model=ConsentTextList)
def list_consent_texts(
    principal: Admin,
    db: DbDep,
    purpose: Purpose | None = None,
    locale: Annotated[str | None, Query(max_length=35)] = None,
) -> ConsentTextList:
    """Every version of every consent text, by purpose, locale and version (filtered by
    ``purpose`` and ``locale`` when given)."""
    rows = texts.list_versions(db, purpose, locale)
    return ConsentTextList(items=[ConsentTextPublic.model_validate(r) for r in rows])


@router.post("/api/consent-texts", status_code=201, response_model=ConsentTextPublic)
def publish_consent_text(
    body: ConsentTextIn, principal: Admin, db: DbDep, clock: ClockDep
) -> ConsentTextPublic:
    """Publish a consent text: it becomes the next version of its purpose and locale, and
    what new buyers read; older calls keep theirs. 422 ``unknown_locale`` for a locale the
    buyer page does not speak. Audited."""
    row = texts.publish(
        db,
        body.purpose,
        body.locale,
        ConsentContent.model_validate(body.model_dump(exclude={"purpose", "locale"})),
        clock.now(),
        by_user_id=principal.user_id,
    )
    audit.action_done(
        db,
        audit.AUDIT_CONSENT_TEXT_PUBLISHED,
        clock.now(),
        user_id=principal.user_id,
        detail={"purpose": str(row.purpose), "locale": row.locale, "version": row.version},
    )
    db.commit()
    return ConsentTextPublic.model_validate(row)
