"""Quick phrases: short requests an agent sends with one click; the buyer reads them in
their language, the agent and the chat log in the agent's.

Each phrase has texts per locale (every buyer locale and staff locale may have one;
English is required, and is what a locale without its own text gets).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from sqlmodel import Session, col, select

from server.errors import InvalidInput, NotFound
from server.models.phrase import PHRASE_MAX_CHARS, QuickPhrase
from server.models.text import LineStr
from signaling.locales import ALL_LOCALE_CODES, DEFAULT_LOCALE

DEFAULTS_FILE = Path(__file__).parent / "defaults.json"
MAX_PHRASES = 100  # a list an agent scans during a call

PhraseText = Annotated[LineStr, Field(min_length=1, max_length=PHRASE_MAX_CHARS)]


def _check_texts(texts: dict[str, str] | None) -> dict[str, str] | None:
    if texts is None:
        return None
    unknown = sorted(set(texts) - ALL_LOCALE_CODES)
    if unknown:
        raise ValueError(f'unknown locale "{unknown[0]}"')
    if DEFAULT_LOCALE not in texts:
        raise ValueError("an English text (en) is required")
    return texts


class PhraseCreate(BaseModel):
    """A new phrase; ``position`` defaults to after the last one."""

    model_config = ConfigDict(extra="forbid")

    texts: dict[str, PhraseText] = Field(description="locale -> text; en is required")
    position: int | None = Field(default=None, ge=0, le=10_000)
    active: StrictBool = True

    @field_validator("texts")
    @classmethod
    def _known_locales_and_english(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return _check_texts(value)


class PhraseUpdate(BaseModel):
    """Changes to a phrase; ``texts`` replaces all its texts (en still required)."""

    model_config = ConfigDict(extra="forbid")

    texts: dict[str, PhraseText] | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    active: StrictBool | None = None

    @field_validator("texts")
    @classmethod
    def _known_locales_and_english(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return _check_texts(value)


def shipped_phrases() -> list[dict[str, str]]:
    """The phrases Showdesk ships (texts per locale), in their order."""
    return json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))


def list_phrases(db: Session, *, active_only: bool = False) -> list[QuickPhrase]:
    """Every phrase by position (then id); only active ones with ``active_only``."""
    query = select(QuickPhrase)
    if active_only:
        query = query.where(col(QuickPhrase.active).is_(True))
    return list(db.exec(query.order_by(col(QuickPhrase.position), col(QuickPhrase.id))))


def get_phrase(db: Session, phrase_id: int) -> QuickPhrase:
    """The phrase ``phrase_id``; NotFound (``phrase_not_found``) when there is none."""
    phrase = db.get(QuickPhrase, phrase_id)
    if phrase is None:
        raise NotFound(f"no quick phrase {phrase_id}", code="phrase_not_found")
    return phrase


def create_phrase(db: Session, fields: PhraseCreate, now: datetime) -> QuickPhrase:
    """Add a phrase (committed); InvalidInput once there are :data:`MAX_PHRASES`."""
    existing = list_phrases(db)
    if len(existing) >= MAX_PHRASES:
        raise InvalidInput(f"a shop has at most {MAX_PHRASES} quick phrases")
    position = fields.position
    if position is None:
        position = max((p.position for p in existing), default=-1) + 1
    phrase = QuickPhrase(
        position=position,
        active=fields.active,
        texts=dict(fields.texts),
        created_at=now,
        updated_at=now,
    )
    db.add(phrase)
    db.commit()
    db.refresh(phrase)
    return phrase


def update_phrase(db: Session, phrase_id: int, fields: PhraseUpdate, now: datetime) -> QuickPhrase:
    """Change a phrase (committed); NotFound when there is none."""
    phrase = get_phrase(db, phrase_id)
    if fields.texts is not None:
        phrase.texts = dict(fields.texts)
    if fields.position is not None:
        phrase.position = fields.position
    if fields.active is not None:
        phrase.active = fields.active
    phrase.updated_at = now
    db.add(phrase)
    db.commit()
    db.refresh(phrase)
    return phrase


def delete_phrase(db: Session, phrase_id: int) -> None:
    """Delete a phrase (committed); chat lines already sent keep their text."""
    db.delete(get_phrase(db, phrase_id))
    db.commit()


def active_texts(db: Session, phrase_id: int) -> dict[str, str] | None:
    """The texts of phrase ``phrase_id`` if it exists and is active, else None."""
    phrase = db.get(QuickPhrase, phrase_id)
    if phrase is None or not phrase.active:
        return None
    return dict(phrase.texts)
