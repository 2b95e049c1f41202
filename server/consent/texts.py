"""Consent texts: the shipped defaults, their versions in the database, publishing a new
one, and the text a buyer reads.

Versions are only ever added (GDPR Art. 7: the controller must be able to show what was
agreed to): a call records the purpose, locale and version its buyer accepted or
declined, and that row never changes.

At every start :func:`sync_shipped` compares the shipped texts (``texts/<locale>.json``,
three purposes each) with the newest stored version of their (purpose, locale): a text
that differs becomes the next version, an identical one does nothing, and a (purpose,
locale) whose newest version an admin published keeps it (the shop's own text wins
over a release's).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from server.errors import Conflict, InvalidInput
from server.models.consent import (
    CONSENT_MAX_PARAGRAPHS,
    CONSENT_NOTE_MAX_CHARS,
    CONSENT_PARAGRAPH_MAX_CHARS,
    CONSENT_TITLE_MAX_CHARS,
    PLACEHOLDER,
    ConsentText,
    fill_in,
)
from server.models.text import LineStr, ParagraphStr
from signaling.locales import BUYER_LOCALE_CODES, DEFAULT_LOCALE
from signaling.vocabulary import Purpose

TEXTS_DIR = Path(__file__).parent / "texts"
PLACEHOLDERS = frozenset({"shop", "order"})


class ConsentContent(BaseModel):
    """What a consent text says: a title, its paragraphs and the sentence that says the
    call is recorded. ``{shop}`` and ``{order}`` are the only placeholders."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[LineStr, Field(min_length=1, max_length=CONSENT_TITLE_MAX_CHARS)]
    paragraphs: list[
        Annotated[ParagraphStr, Field(min_length=1, max_length=CONSENT_PARAGRAPH_MAX_CHARS)]
    ] = Field(min_length=1, max_length=CONSENT_MAX_PARAGRAPHS)
    recorded_note: Annotated[LineStr, Field(min_length=1, max_length=CONSENT_NOTE_MAX_CHARS)]

    @field_validator("title", "recorded_note")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        return _check_placeholders(value)

    @field_validator("paragraphs")
    @classmethod
    def _known_placeholders_in_paragraphs(cls, value: list[str]) -> list[str]:
        return [_check_placeholders(p) for p in value]

    def sha256(self) -> str:
        """The SHA-256 of the text (canonical JSON of title, paragraphs and note)."""
        canonical = json.dumps(self.model_dump(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_placeholders(value: str) -> str:
    unknown = sorted(set(PLACEHOLDER.findall(value)) - PLACEHOLDERS)
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}: use {{shop}} or {{order}}")
    return value


@cache
def shipped_texts() -> dict[tuple[Purpose, str], ConsentContent]:
    """The consent texts Showdesk ships: one per purpose in every buyer locale."""
    texts: dict[tuple[Purpose, str], ConsentContent] = {}
    for path in sorted(TEXTS_DIR.glob("*.json")):
        locale = path.stem
        for purpose, content in json.loads(path.read_text(encoding="utf-8")).items():
            texts[(Purpose(purpose), locale)] = ConsentContent.model_validate(content)
    return texts


def newest(db: Session, purpose: Purpose, locale: str) -> ConsentText | None:
    """The newest version of the text of ``purpose`` in ``locale``, or None."""
    return db.exec(
        select(ConsentText)
        .where(ConsentText.purpose == purpose, ConsentText.locale == locale)
        .order_by(col(ConsentText.version).desc())
        .limit(1)
    ).first()


def find_version(db: Session, purpose: Purpose, locale: str, version: int) -> ConsentText | None:
    """Version ``version`` of the text of ``purpose`` in ``locale``, or None."""
    return db.exec(
        select(ConsentText).where(
            ConsentText.purpose == purpose,
            ConsentText.locale == locale,
            ConsentText.version == version,
        )
    ).first()


def list_versions(
    db: Session, purpose: Purpose | None = None, locale: str | None = None
) -> list[ConsentText]:
    """Every stored version, by purpose, locale and version (filtered when given)."""
    query = select(ConsentText)
    if purpose is not None:
        query = query.where(ConsentText.purpose == purpose)
    if locale is not None:
        query = query.where(ConsentText.locale == locale)
    order = (col(ConsentText.purpose), col(ConsentText.locale), col(ConsentText.version))
    return list(db.exec(query.order_by(*order)))


def _add_version(
    db: Session,
    purpose: Purpose,
    locale: str,
    content: ConsentContent,
    now: datetime,
    *,
    source: str,
    by_user_id: int | None = None,
) -> ConsentText:
    last = db.exec(
        select(func.max(ConsentText.version)).where(
            ConsentText.purpose == purpose, ConsentText.locale == locale
        )
    ).one()
    row = ConsentText(
        purpose=purpose,
        locale=locale,
        version=(last or 0) + 1,
        title=content.title,
        paragraphs=list(content.paragraphs),
        recorded_note=content.recorded_note,
        sha256=content.sha256(),
        source=source,
        created_at=now,
        created_by_user_id=by_user_id,
    )
    db.add(row)
    return row


def publish(
    db: Session,
    purpose: Purpose,
    locale: str,
    content: ConsentContent,
    now: datetime,
    *,
    by_user_id: int | None,
) -> ConsentText:
    """Add the next version of the text of ``purpose`` in ``locale`` (committed). Older
    versions stay as they are. InvalidInput for a locale the buyer page does not speak;
    Conflict when another publish of the same text took the version number first."""
    if locale not in BUYER_LOCALE_CODES:
        raise InvalidInput(f'"{locale}" is not a buyer locale', code="unknown_locale")
    row = _add_version(db, purpose, locale, content, now, source="admin", by_user_id=by_user_id)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict("another version was published at the same moment; try again") from None
    db.refresh(row)
    return row


def sync_shipped(
    db: Session,
    now: datetime,
    shipped: dict[tuple[Purpose, str], ConsentContent] | None = None,
) -> list[ConsentText]:
    """Store the shipped texts that differ from the newest stored version of their
    (purpose, locale) as its next version, unless an admin published that newest version;
    returns the versions added (committed). ``shipped`` defaults to :func:`shipped_texts`.
    Another process that syncs at the same moment wins; this one then finds nothing to do.
    """
    try:
        return _sync(db, now, shipped or shipped_texts())
    except IntegrityError:  # the same version number was just stored by another server
        db.rollback()
        return _sync(db, now, shipped or shipped_texts())


def _sync(
    db: Session, now: datetime, shipped: dict[tuple[Purpose, str], ConsentContent]
) -> list[ConsentText]:
    newest_of: dict[tuple[str, str], ConsentText] = {}
    for row in list_versions(db):  # one query; versions ascending, so the last one wins
        newest_of[(str(row.purpose), row.locale)] = row
    added = []
    for (purpose, locale), content in shipped.items():
        current = newest_of.get((str(purpose), locale))
        if current is not None and (
            current.source == "admin" or current.sha256 == content.sha256()
        ):
            continue
        added.append(_add_version(db, purpose, locale, content, now, source="shipped"))
    if added:
        db.commit()
    return added


def for_buyer(db: Session, purpose: Purpose, locale: str) -> ConsentText | None:
    """The text a buyer reads: the newest version in ``locale``, else in English."""
    return newest(db, purpose, locale) or newest(db, purpose, DEFAULT_LOCALE)


def rendered(row: ConsentText, *, shop: str, order: str) -> ConsentContent:
    """The text of ``row`` as the buyer reads it, placeholders filled in."""
    return ConsentContent.model_construct(
        title=fill_in(row.title, shop=shop, order=order),
        paragraphs=[fill_in(p, shop=shop, order=order) for p in row.paragraphs],
        recorded_note=fill_in(row.recorded_note, shop=shop, order=order),
    )
