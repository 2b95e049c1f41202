"""Quick phrases: short requests an agent sends to the buyer with one click, in the
buyer's language (texts per locale; English always there)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime
from server.models.public import PUBLIC_CONFIG

PHRASE_MAX_CHARS = 200  # a request read on a phone during a call: one short sentence


class QuickPhraseBase(SQLModel):
    """A quick phrase's columns the API shows."""

    position: int = Field(ge=0, le=10_000, description="order in the agent's list")
    active: bool = True
    texts: dict[str, str] = Field(
        sa_column=Column(JSON, nullable=False), description="locale -> text; en is required"
    )


class QuickPhrase(QuickPhraseBase, table=True):
    """One quick phrase. Sent phrases are in the chat with their text, so deleting one
    loses nothing already said."""

    __tablename__ = "quick_phrase"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class QuickPhrasePublic(QuickPhraseBase):
    """A quick phrase as the API shows it."""

    model_config = PUBLIC_CONFIG

    id: int
    updated_at: datetime
