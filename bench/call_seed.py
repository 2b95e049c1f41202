"""What the database benches seed before their calls: one link (every call hangs off it)
and twenty agents, ``agent0@shop.test`` ... ``agent19@shop.test``, committed.

A bench imports it after putting the repository on ``sys.path`` (``import call_seed``;
the bench's own folder is on ``sys.path`` when it runs as a script)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from server.models import Link, Role, User

AGENTS = 20


def add_link_and_agents(db: Session, start: datetime) -> None:
    """Add the link (id 1) and the agents (ids 1..20) as of ``start``, and commit."""
    db.add(
        Link(
            order_ref="ORD-0",
            purpose="damage_verification",
            token_hash="x" * 64,
            created_at=start,
            expires_at=start + timedelta(days=3),
        )
    )
    for i in range(AGENTS):
        db.add(
            User(
                email=f"agent{i}@shop.test",
                name=f"Agent {i}",
                role=Role.agent,
                password_hash="-",
                created_at=start,
            )
        )
    db.commit()
