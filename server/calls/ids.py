"""The one conversion point between signaling's ids and the database's.

``signaling`` names links and staff members with strings (it is a wire protocol and knows
no database); the database keys them with integers. Every crossing goes through these two
functions, so a malformed id fails here, loudly, and nowhere else.
"""

from __future__ import annotations


def wire_id(db_id: int) -> str:
    """A database id as signaling carries it."""
    return str(db_id)


def db_id(wire: str) -> int:
    """A signaling id (a link's or a staff member's) as the database keys it."""
    return int(wire)
