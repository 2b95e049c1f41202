"""Staff accounts and their signed-in sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from sqlalchemy import Column, Enum
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime
from server.infra.security import PASSWORD_MIN_CHARS
from server.models.text import Documented

EMAIL_MAX_CHARS = 254
# A new account's email as /openapi.json shows it: dot-atoms around one @, a domain with a
# dot. The server checks it with email-validator (server/accounts/users.py), which this
# reads strictly: what matches it is taken.
NEW_EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,63}$"
)
# A new password as /openapi.json shows it; server/accounts/users.py refuses a shorter one
# with its own sentence.
NewPassword = Annotated[str, Documented.of(minLength=PASSWORD_MIN_CHARS)]
NAME_MAX_CHARS = 100


class Role(StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"


class UserBase(SQLModel):
    email: str = Field(max_length=EMAIL_MAX_CHARS, index=True, unique=True)
    name: str = Field(max_length=NAME_MAX_CHARS)
    role: Role = Field(sa_type=Enum(Role, native_enum=False, length=16))  # VARCHAR: portable
    locale: str = Field(default="en", max_length=35, description="the staff pages' language")
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA name; null: the browser's own"
    )


class User(UserBase, table=True):
    """A staff member. Only an argon2 hash of the password is stored."""

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    disabled: bool = False
    must_change_password: bool = False
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class UserPublic(UserBase):
    id: int
    disabled: bool
    must_change_password: bool
    created_at: datetime


class StaffSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, index=True, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
