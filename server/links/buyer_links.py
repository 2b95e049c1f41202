"""Buyer links: create, list, revoke, and redeem (token -> call credential).

A link token has 256 random bits and only its SHA-256 is stored. Unknown, expired and
revoked tokens are refused with the same error, so nobody can probe which exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from server.errors import Forbidden, InvalidInput, NotFound
from server.infra.security import new_token, token_hash
from server.models import BuyerPass, Call, Link, Role, User
from server.models.link import LinkBase
from server.models.order import OrderIn, stored
from signaling.vocabulary import CallState

LINK_TTL_MIN_S = 60  # shorter links expire before anyone could click them


class LinkUnusable(NotFound):
    """The one answer for an unknown, expired or revoked token."""

    code = "link_not_found"

    def __init__(self) -> None:
        super().__init__("This link is not valid. It may have expired or been revoked.")


@dataclass(frozen=True)
class NewLink:
    link: Link
    url: str


def link_url(public_url: str, token: str) -> str:
    return f"{public_url}/j/{token}"


def create_link(
    db: Session,
    fields: LinkBase,
    *,
    ttl_s: int,
    max_ttl_s: int,
    public_url: str,
    now: datetime,
    user_id: int | None = None,
    api_key_id: int | None = None,
    order: OrderIn | None = None,
) -> NewLink:
    """Create a link valid for ``ttl_s`` seconds, about ``order`` when given; the URL (with
    the token) is returned once."""
    if not LINK_TTL_MIN_S <= ttl_s <= max_ttl_s:
        raise InvalidInput(f"expiry must be between {LINK_TTL_MIN_S} s and {max_ttl_s} s")
    token = new_token()
    link = Link(
        **LinkBase.model_validate(fields.model_dump()).model_dump(),
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
        created_by_user_id=user_id,
        created_by_api_key_id=api_key_id,
        order=stored(order),
    )
    db.add(link)
    db.commit()
    db.refresh(link)
    return NewLink(link=link, url=link_url(public_url, token))


def list_links(db: Session, limit: int = 500) -> list[Link]:
    return list(db.exec(select(Link).order_by(Link.id.desc()).limit(limit)))


def newest_call_states(db: Session, link_ids: list[int]) -> dict[int, CallState]:
    """The state of each link's newest call (by creation), for the links that have one."""
    if not link_ids:
        return {}
    rows = db.exec(
        select(Call.link_id, Call.state, Call.created_at)
        .where(col(Call.link_id).in_(link_ids))
        .order_by(col(Call.created_at), col(Call.id))
    ).all()
    return {link_id: CallState(state) for link_id, state, _ in rows}  # the newest wins


def calls_made_by(db: Session, link_ids: list[int]) -> dict[int, int]:
    """How many calls each link has started (declined ones included), for the links that
    have started one."""
    if not link_ids:
        return {}
    rows = db.exec(
        select(Call.link_id, func.count())
        .where(col(Call.link_id).in_(link_ids))
        .group_by(col(Call.link_id))
    ).all()
    return {link_id: count for link_id, count in rows}


def revoke_link(
    db: Session,
    link_id: int,
    now: datetime,
    by: User | None = None,
    *,
    api_key_id: int | None = None,
) -> Link:
    """Revoke a link (idempotent); its call credentials stop working.

    ``by`` is the staff member asking, ``api_key_id`` the integration's key (neither: the
    command line): an admin may revoke any link, a staff member only the links they
    created, a key only the links it created (Forbidden otherwise, since revoking also
    ends the call on it).
    """
    link = db.get(Link, link_id)
    if link is None:
        raise NotFound(f"no link with id {link_id}")
    if by is not None and by.role != Role.admin and link.created_by_user_id != by.id:
        raise Forbidden("only the staff member who created a link, or an admin, can revoke it")
    if by is None and api_key_id is not None and link.created_by_api_key_id != api_key_id:
        raise Forbidden("an API key can revoke only the links it created")
    if link.revoked_at is None:
        link.revoked_at = now
        db.add(link)
        db.commit()
    return link


def usable_link(db: Session, link_id: int, now: datetime) -> Link | None:
    link = db.get(Link, link_id)
    return link if link is not None and link.status_at(now) == "active" else None


def redeem_token(
    db: Session, token: str, now: datetime, pass_ttl_s: int, current: str | None = None
) -> tuple[Link, str]:
    """Exchange a link token for a call credential; returns the link and the credential.

    The credential lives ``pass_ttl_s`` seconds, never beyond the link's expiry. A device
    that already holds a live credential of this link (``current``, its call cookie) keeps
    it: a call is bound to the credential it started with, so the same browser opening
    the link again stays the same device. Raises LinkUnusable for unknown, expired and
    revoked tokens alike.
    """
    link = db.exec(select(Link).where(Link.token_hash == token_hash(token))).first()
    if link is None or link.status_at(now) != "active":
        raise LinkUnusable()
    if current:
        held = resolve_buyer_device(db, current, now)
        if held is not None and held[0].id == link.id:
            return link, current
    credential = new_token()
    expires = min(link.expires_at, now + timedelta(seconds=pass_ttl_s))
    db.add(
        BuyerPass(
            token_hash=token_hash(credential), link_id=link.id, created_at=now, expires_at=expires
        )
    )
    db.commit()
    return link, credential


def calls_left(link: Link, made: int, default_max_calls: int) -> int:
    """How many more calls ``link`` may start after ``made``: its own ``max_calls``, else
    the server's ``default_max_calls`` (the rule the switchboard's ``link_used_up``
    applies), never below 0."""
    return max(0, (link.max_calls or default_max_calls) - made)


def calls_made(db: Session, link_id: int) -> int:
    """How many calls the link has started (declined ones included)."""
    return db.exec(select(func.count()).select_from(Call).where(Call.link_id == link_id)).one()


def last_call(db: Session, link_id: int) -> Call | None:
    """The link's most recent call (declined ones included), or None."""
    query = (
        select(Call).where(Call.link_id == link_id).order_by(Call.created_at.desc(), Call.id.desc())
    )
    return db.exec(query.limit(1)).first()


def resolve_buyer_pass(db: Session, credential: str, now: datetime) -> Link | None:
    """The link of a live call credential, or None (unknown, expired, link revoked/expired)."""
    found = resolve_buyer_device(db, credential, now)
    return found[0] if found else None


def resolve_buyer_device(db: Session, credential: str, now: datetime) -> tuple[Link, int] | None:
    """The link of a live call credential and the credential's id (which names the buyer's
    device), or None like :func:`resolve_buyer_pass`."""
    row = db.exec(select(BuyerPass).where(BuyerPass.token_hash == token_hash(credential))).first()
    if row is None or row.expires_at <= now:
        return None
    link = usable_link(db, row.link_id, now)
    return (link, row.id) if link is not None else None
