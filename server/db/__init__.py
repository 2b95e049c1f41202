"""Database engine and sessions. SQLite (WAL) by default; any SQLAlchemy URL works.

Only portable SQL is used: the same code runs on PostgreSQL through
``SHOWDESK_DATABASE_URL``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from sqlalchemy import DateTime, String, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import create_engine

SQLITE_BUSY_TIMEOUT_MS = 5000  # writers wait for each other instead of failing at once


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A ``StrEnum`` stored as its value in a VARCHAR column and read back as the member.

    Storing the value (not the member's name, as ``sqlalchemy.Enum`` does) keeps the rows
    readable and independent of how the members are spelled in Python. A value that is
    not a member is refused on write.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 32) -> None:
        super().__init__(length=length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: object) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: object) -> E | None:
        return None if value is None else self.enum(value)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner only
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)
