"""API keys of integrations (the shop's order system)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime

# What a key may do. ``links:write`` creates links and revokes the key's own links;
# ``links:read`` lists links; ``calls:read`` lists calls and reads one call (without its
# chat); ``calls:chat`` adds the chat lines; ``recordings:read`` opens a call's recordings
# and photos (each view audited as the key's); ``webhooks:write`` manages webhook endpoints
# and reads their delivery logs.
API_KEY_SCOPES = (
    "links:write",
    "links:read",
    "calls:read",
    "calls:chat",
    "recordings:read",
    "webhooks:write",
)
DEFAULT_API_KEY_SCOPES = ("links:write", "links:read", "calls:read")


class ApiKey(SQLModel, table=True):
    """An integration's key. Only its SHA-256 is stored; ``prefix`` identifies it to people.
    ``scopes`` is a space-separated list of ``API_KEY_SCOPES``."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, index=True, unique=True)
    scopes: str = Field(default=" ".join(DEFAULT_API_KEY_SCOPES), max_length=200)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def status_at(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class ApiKeyPublic(SQLModel):
    """A key as the API and the command line show it: never the key nor its hash."""

    id: int
    name: str
    prefix: str = Field(description="the key's first characters, to tell keys apart")
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="written at most once a minute")
    revoked_at: datetime | None
    status: str = Field(description="active, expired or revoked")

    @classmethod
    def from_row(cls, row: ApiKey, now: datetime) -> ApiKeyPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            scopes=row.scope_list,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            status=row.status_at(now),
        )
