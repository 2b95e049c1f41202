"""Typed dependencies: database session, clock, settings, and the one place roles are enforced."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlmodel import Session

from server.accounts import resolve_session
from server.apikeys import resolve_api_key
from server.clock import Clock
from server.config import Settings
from server.errors import Forbidden, NotSignedIn
from server.links import resolve_buyer_pass
from server.models import ApiKey, Link, Role, User
from server.security import csrf_token_for, same_secret

SESSION_COOKIE = "showdesk_session"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
BUYER_COOKIE = "showdesk_call"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STAFF_ROLES = (Role.agent, Role.supervisor, Role.admin)


def get_db(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


DbDep = Annotated[Session, Depends(get_db)]
DB_ID_MAX = 2**31 - 1  # the largest id an INTEGER column holds on every database
UserId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a user's id")]
LinkId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a link's id")]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a signed-in staff member or an integration's API key."""

    user: User | None = None
    api_key: ApiKey | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def api_key_id(self) -> int | None:
        return self.api_key.id if self.api_key else None


def staff_user(request: Request, db: Session, clock: Clock) -> tuple[User, str] | None:
    """The signed-in staff member and session token from the cookie, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    idle = request.app.state.settings.staff_idle_timeout_s
    user = resolve_session(db, token, clock.now(), idle)
    return (user, token) if user is not None else None


def authorize(
    *roles: Role, integrations: bool = False, pending_password_ok: bool = False
) -> Callable[..., Principal]:
    """A dependency that admits staff with one of ``roles`` (any staff role when none are
    given) and, when ``integrations`` is set, a valid ``Authorization: Bearer`` API key.

    Cookie-authenticated state-changing requests must carry the session's CSRF token in
    ``X-CSRF-Token``. A user who still has a one-time password may only change it.
    """
    allowed = set(roles or STAFF_ROLES)

    def dependency(request: Request, db: DbDep, clock: ClockDep) -> Principal:
        authorization = request.headers.get("authorization")
        if authorization is not None:
            scheme, _, key = authorization.partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                raise NotSignedIn("the Authorization header must be 'Bearer <api key>'")
            api_key = resolve_api_key(db, key.strip())
            if api_key is None:
                raise NotSignedIn("this API key is not valid")
            if not integrations:
                raise Forbidden("API keys cannot use this route")
            return Principal(api_key=api_key)
        found = staff_user(request, db, clock)
        if found is None:
            raise NotSignedIn("sign in first")
        user, token = found
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            expected = csrf_token_for(request.app.state.secret_key, token)
            if not same_secret(sent, expected):
                raise Forbidden(
                    f"missing or wrong {CSRF_HEADER} header: send the csrf_token cookie's value",
                    code="csrf_failed",
                )
        if user.must_change_password and not pending_password_ok:
            raise Forbidden("change your one-time password first", code="password_change_required")
        if user.role not in allowed:
            raise Forbidden(f"this needs the role {' or '.join(sorted(allowed))}")
        return Principal(user=user)

    return dependency


AnyStaff = Annotated[Principal, Depends(authorize())]
Admin = Annotated[Principal, Depends(authorize(Role.admin))]
StaffOrIntegration = Annotated[Principal, Depends(authorize(integrations=True))]
SignedIn = Annotated[Principal, Depends(authorize(pending_password_ok=True))]


def buyer_link(request: Request, db: DbDep, clock: ClockDep) -> Link:
    """The link behind the buyer's call cookie; NotSignedIn when it is missing or unusable."""
    credential = request.cookies.get(BUYER_COOKIE)
    link = resolve_buyer_pass(db, credential, clock.now()) if credential else None
    if link is None:
        raise NotSignedIn("open the link you were sent again")
    return link


BuyerLink = Annotated[Link, Depends(buyer_link)]
