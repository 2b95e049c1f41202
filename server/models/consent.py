"""Consent texts, versioned per purpose and locale (GDPR Art. 7: what was agreed to).

A row is never changed or deleted: publishing a text for a (purpose, locale) adds the
next version. A call keeps the purpose, locale and version its buyer accepted or
declined, so the text it saw is always the row with those three.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import EnumText, UTCDateTime
from server.models.public import PUBLIC_CONFIG
from signaling.vocabulary import Purpose

CONSENT_TITLE_MAX_CHARS = 200
CONSENT_PARAGRAPH_MAX_CHARS = 1000
CONSENT_MAX_PARAGRAPHS = 10
CONSENT_NOTE_MAX_CHARS = 500

ConsentSource = Literal["shipped", "admin"]
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def fill_in(text: str, *, shop: str, order: str) -> str:
    """``text`` with ``{shop}`` and ``{order}`` replaced in one pass (nothing else is
    interpreted, and braces in the values stay as they are)."""
    values = {"shop": shop, "order": order}
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


class ConsentTextBase(SQLModel):
    """A consent text's columns the API shows. ``{shop}`` and ``{order}`` in the text are
    filled in with the shop's name and the order reference when a buyer reads it."""

    purpose: Purpose = Field(sa_type=EnumText(Purpose, 32))
    locale: str = Field(max_length=35)
    version: int = Field(ge=1, description="1, 2, ... per purpose and locale")
    title: str = Field(max_length=CONSENT_TITLE_MAX_CHARS)
    paragraphs: list[str] = Field(sa_column=Column(JSON, nullable=False))
    recorded_note: str = Field(
        max_length=CONSENT_NOTE_MAX_CHARS, description="the sentence saying the call is recorded"
    )
    sha256: str = Field(max_length=64, description="of the text (title, paragraphs, note)")
    source: ConsentSource | str = Field(
        sa_type=String(16), description="shipped (with Showdesk) or admin (published here)"
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ConsentText(ConsentTextBase, table=True):
    """One version of the consent text of a purpose in a locale."""

    __tablename__ = "consent_text"
    __table_args__ = (
        UniqueConstraint("purpose", "locale", "version", name="uq_consent_text_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")


class ConsentTextPublic(ConsentTextBase):
    """A consent text version as the API shows it."""

    model_config = PUBLIC_CONFIG

    id: int
