"""Buyer links ("show us the problem") and the call credentials they are exchanged for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from server.db import EnumText, UTCDateTime
from server.models.text import LineStr, ParagraphStr
from signaling.vocabulary import Purpose

ORDER_REF_MAX_CHARS = 100
MAX_CALLS_PER_LINK = 100
NOTE_MAX_CHARS = 1000
BUYER_NAME_MAX_CHARS = 100
LOCALE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"  # BCP 47, e.g. de, pt-BR


class LinkBase(SQLModel):
    order_ref: LineStr = Field(min_length=1, max_length=ORDER_REF_MAX_CHARS)
    purpose: Purpose = Field(sa_type=EnumText(Purpose, 32))
    locale: str | None = Field(
        default=None, max_length=35, schema_extra={"pattern": LOCALE_PATTERN}
    )
    buyer_name: LineStr | None = Field(default=None, max_length=BUYER_NAME_MAX_CHARS)
    note: ParagraphStr | None = Field(default=None, max_length=NOTE_MAX_CHARS)
    max_calls: int | None = Field(
        default=None,
        ge=1,
        le=MAX_CALLS_PER_LINK,
        description="calls the link may start, declined ones included; "
        "unset: the server's SHOWDESK_MAX_CALLS_PER_LINK (3)",
    )


class Link(LinkBase, table=True):
    """A buyer link. The token is 256 random bits; only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, index=True, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_by_api_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    # the order the link is about (``server.models.order.OrderIn`` as JSON); None: not given
    order: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))

    def status_at(self, now: datetime) -> str:
        """``revoked``, ``expired`` or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"


class BuyerPass(SQLModel, table=True):
    """The call credential a buyer gets for opening a link (a cookie; its SHA-256 here)."""

    __tablename__ = "buyer_pass"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, index=True, unique=True)
    link_id: int = Field(foreign_key="link.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
