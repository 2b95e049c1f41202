"""Buyer links made directly in a server's database (as the API would make them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.links import buyer_links
from server.models.link import Link, LinkBase
from signaling.vocabulary import Purpose

MAX_TTL_S = 7200


def create_link_in(
    engine: Engine,
    public_url: str,
    order_ref: str,
    purpose: str = "damage_verification",
    *,
    buyer_name: str | None = None,
    locale: str | None = None,
    now: datetime | None = None,
    ttl_s: int = 3600,
    max_ttl_s: int = MAX_TTL_S,
    max_calls: int | None = None,
) -> tuple[Link, str]:
    """A link in the database behind ``engine`` for a server at ``public_url``, created
    at ``now`` (default: the real time); returns the row and its URL (with the token)."""
    with Session(engine, expire_on_commit=False) as db:
        made = buyer_links.create_link(
            db,
            LinkBase(
                order_ref=order_ref,
                purpose=Purpose(purpose),
                buyer_name=buyer_name,
                locale=locale,
                max_calls=max_calls,
            ),
            ttl_s=ttl_s,
            max_ttl_s=max_ttl_s,
            public_url=public_url,
            now=now or datetime.now(UTC),
        )
    return made.link, made.url


def make_link(
    app: FastAPI,
    order_ref: str = "ORD-1",
    purpose: str = "damage_verification",
    *,
    buyer_name: str | None = None,
    locale: str | None = None,
    age_s: int = 0,
    ttl_s: int = 3600,
    max_calls: int | None = None,
) -> tuple[Link, str]:
    """A link in the app's database at the app's clock time (``age_s`` backdates it),
    within the app's own maximum lifetime (``max_calls`` unset: the server's); returns
    the row and its URL."""
    settings = app.state.settings
    return create_link_in(
        app.state.engine,
        settings.public_url,
        order_ref,
        purpose,
        buyer_name=buyer_name,
        locale=locale,
        now=app.state.clock.now() - timedelta(seconds=age_s),
        ttl_s=ttl_s,
        max_ttl_s=settings.link_ttl_max_s,
        max_calls=max_calls,
    )
