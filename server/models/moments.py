"""Points in time typed by people (query and body parameters): read as aware UTC.

A naive value is taken for UTC. A value whose UTC time falls outside what a ``datetime``
holds (``0001-01-01T00:00:00+01:00`` is year 0 in UTC) is refused as invalid input, a
422, instead of overflowing where it is stored or compared.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def _not_a_number(value: object) -> object:
    """Only what is documented (an ISO 8601 date or date-time): a plain number, which
    pydantic would read as seconds since 1970, is refused."""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("must be an ISO 8601 date or date-time, not a number")
    return value


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range: years 1 to 9999 in UTC") from None


UTCMoment = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(_to_utc)]
