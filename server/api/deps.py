"""Typed dependencies: database session, clock, settings, and the one place roles are enforced."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlmodel import Session

from server.accounts.apikeys import resolve_api_key
from server.accounts.users import resolve_session
from server.errors import Forbidden, NotFound, NotSignedIn
from server.infra.clock import Clock
from server.infra.config import Settings
from server.infra.security import Passwords, csrf_token_for, passwords_for, same_secret
from server.links.buyer_links import resolve_buyer_pass
from server.models import ApiKey, Call, Link, Role, User

SESSION_COOKIE = "showdesk_session"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
BUYER_COOKIE = "showdesk_call"
CAMERA_COOKIE = "showdesk_camera"  # the agent's phone as the camera: a one-use socket pass
BUYER_CSRF_COOKIE = "call_csrf_token"  # readable; its value goes in X-CSRF-Token
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STAFF_ROLES = (Role.agent, Role.supervisor, Role.admin)


def client_address(request: Request) -> str:
    """The client's address (the proxy's X-Forwarded-For when uvicorn trusts the proxy)."""
    return request.client.host if request.client else "unknown"


def get_db(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_passwords(request: Request) -> Passwords:
    """Password hashing as the settings say (``Settings.password_hashing``)."""
    return passwords_for(request.app.state.settings.password_hashing)


DbDep = Annotated[Session, Depends(get_db)]
DB_ID_MAX = 2**31 - 1  # the largest id an INTEGER column holds on every database
UserId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a user's id")]
LinkId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a link's id")]
SessionId = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="a call's id"),
]
PhotoId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a photo's id")]
RecordingId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="a recording's id")]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


@dataclass(frozen=True)
class Access:
    """What an auth dependency admits, kept on the dependency (``ACCESS_ATTR``) so that
    ``server.api.openapi`` documents every route that uses it: staff by session cookie,
    a buyer by call cookie (both with ``X-CSRF-Token`` on state changes), API keys with
    ``scope``; ``hidden``: every refusal is a 404."""

    staff: bool = False
    buyer: bool = False
    scope: str | None = None
    hidden: bool = False


ACCESS_ATTR = "showdesk_access"


def access_of(dependency: object) -> Access | None:
    """The ``Access`` an auth dependency was marked with, None for any other callable."""
    return getattr(dependency, ACCESS_ATTR, None)


def _marked(dependency: Callable[..., object], access: Access) -> Callable[..., object]:
    setattr(dependency, ACCESS_ATTR, access)
    return dependency


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

    def may(self, scope: str) -> bool:
        """Whether this principal may do what ``scope`` opens: staff always (their role
        decides), an API key when it has that scope."""
        return self.api_key is None or scope in self.api_key.scope_list


def check_staff_csrf(request: Request, session_token: str) -> None:
    """Forbidden (``csrf_failed``) unless the request's ``X-CSRF-Token`` is the CSRF
    token of the staff session ``session_token`` (the ``csrf_token`` cookie's value)."""
    sent = request.headers.get(CSRF_HEADER, "")
    expected = csrf_token_for(request.app.state.secret_key, session_token)
    if not same_secret(sent, expected):
        raise Forbidden(
            f"missing or wrong {CSRF_HEADER} header: send the csrf_token cookie's value",
            code="csrf_failed",
        )


def staff_user(request: Request, db: Session, clock: Clock) -> tuple[User, str] | None:
    """The signed-in staff member and session token from the cookie, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    settings = request.app.state.settings
    user = resolve_session(
        db, token, clock.now(), settings.staff_idle_timeout_s, settings.session_max_age_s
    )
    return (user, token) if user is not None else None


def authorize(
    *roles: Role, scope: str | None = None, pending_password_ok: bool = False
) -> Callable[..., Principal]:
    """A dependency that admits staff with one of ``roles`` (any staff role when none are
    given) and, when ``scope`` is given, a valid ``Authorization: Bearer`` API key that has
    that scope (403 ``missing_scope`` for a key without it). Routes without a scope refuse
    every key. Unknown, revoked and expired keys get the same 401.

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
            api_key = resolve_api_key(db, key.strip(), clock.now())
            if api_key is None:
                raise NotSignedIn("this API key is not valid")
            if scope is None:
                raise Forbidden("API keys cannot use this route")
            if scope not in api_key.scope_list:
                raise Forbidden(f"this API key lacks the scope {scope}", code="missing_scope")
            return Principal(api_key=api_key)
        found = staff_user(request, db, clock)
        if found is None:
            raise NotSignedIn("sign in first")
        user, token = found
        if request.method not in SAFE_METHODS:
            check_staff_csrf(request, token)
        if user.must_change_password and not pending_password_ok:
            raise Forbidden("change your one-time password first", code="password_change_required")
        if user.role not in allowed:
            raise Forbidden(f"this needs the role {' or '.join(sorted(allowed))}")
        return Principal(user=user)

    return _marked(dependency, Access(staff=True, scope=scope))  # type: ignore[return-value]


@dataclass(frozen=True)
class CallAccess:
    """Who asks, and the call (``session_id`` in the path) they may act on."""

    principal: Principal
    call: Call


def authorize_call(
    *roles: Role, own_agent: bool = False, scope: str | None = None, hidden: bool = False
) -> Callable[..., CallAccess]:
    """A dependency for routes under ``/api/sessions/{session_id}``: admits staff with one
    of ``roles`` for any call, the agent who took this call when ``own_agent`` is set, and
    integrations' API keys with ``scope`` when it is given.

    Someone else's call answers 404 (not yours). With ``hidden`` (recordings and photos)
    everyone not admitted gets 404, whether signed in or not: a stranger, a buyer's call
    cookie or another agent cannot even learn that the file exists.
    """
    base = authorize(*STAFF_ROLES, scope=scope)
    allowed = set(roles)

    def dependency(
        request: Request, db: DbDep, clock: ClockDep, session_id: SessionId
    ) -> CallAccess:
        try:
            principal = base(request, db, clock)
        except (NotSignedIn, Forbidden):
            if hidden:
                raise NotFound(f'no call "{session_id}"') from None
            raise
        call = db.get(Call, session_id)
        if call is None:
            raise NotFound(f'no call "{session_id}"')
        if principal.api_key is not None:
            return CallAccess(principal, call)
        user = principal.user
        assert user is not None
        if user.role in allowed or (own_agent and call.agent_id == user.id):
            return CallAccess(principal, call)
        if hidden or (own_agent and user.role == Role.agent):
            raise NotFound(f'no call "{session_id}"')
        wanted = sorted(allowed | ({"the call's own agent"} if own_agent else set()))
        raise Forbidden(f"this needs the role {' or '.join(wanted)}")

    return _marked(dependency, Access(staff=True, scope=scope, hidden=hidden))  # type: ignore[return-value]


AnyStaff = Annotated[Principal, Depends(authorize())]
Admin = Annotated[Principal, Depends(authorize(Role.admin))]
# API key scopes (server.models.apikey.API_KEY_SCOPES): each route a key may call names one
LinkWriter = Annotated[Principal, Depends(authorize(scope="links:write"))]
LinkReader = Annotated[Principal, Depends(authorize(scope="links:read"))]
SignedIn = Annotated[Principal, Depends(authorize(pending_password_ok=True))]
Reviewer = Annotated[Principal, Depends(authorize(Role.supervisor, Role.admin, scope="calls:read"))]
# the call's own agent, supervisors, admins and keys with calls:read read a call (its chat
# lines only with calls:chat, see Principal.may)
CallReader = Annotated[
    CallAccess,
    Depends(authorize_call(Role.supervisor, Role.admin, own_agent=True, scope="calls:read")),
]
# recordings and photos: supervisors, admins, the call's own agent and keys with
# recordings:read; 404 for anyone else (a key without the scope included)
EvidenceViewer = Annotated[
    CallAccess,
    Depends(
        authorize_call(
            Role.supervisor, Role.admin, own_agent=True, scope="recordings:read", hidden=True
        )
    ),
]
# the verdict and the photos' captions: the call's own agent, or an admin
CallAgent = Annotated[CallAccess, Depends(authorize_call(Role.admin, own_agent=True))]
CallReviewer = Annotated[CallAccess, Depends(authorize_call(Role.supervisor, Role.admin))]
# the call's own agent and nobody else (their phone as the call's camera)
CallOwnAgent = Annotated[CallAccess, Depends(authorize_call(own_agent=True))]
# a call's QA scores and comments: supervisors, admins and the call's own agent (no keys)
CallQaReader = Annotated[
    CallAccess, Depends(authorize_call(Role.supervisor, Role.admin, own_agent=True))
]


def buyer_csrf_token(secret_key: str, credential: str) -> str:
    """The CSRF token bound to a buyer's call cookie (distinct from any staff token)."""
    return csrf_token_for(secret_key, "call:" + credential)


def buyer_link(request: Request, db: DbDep, clock: ClockDep) -> Link:
    """The link behind the buyer's call cookie; NotSignedIn when it is missing or unusable.
    A state-changing request must also carry the cookie's CSRF token in ``X-CSRF-Token``."""
    credential = request.cookies.get(BUYER_COOKIE)
    link = resolve_buyer_pass(db, credential, clock.now()) if credential else None
    if link is None:
        raise NotSignedIn("open the link you were sent again")
    if request.method not in SAFE_METHODS:
        expected = buyer_csrf_token(request.app.state.secret_key, credential)
        if not same_secret(request.headers.get(CSRF_HEADER, ""), expected):
            raise Forbidden(
                f"missing or wrong {CSRF_HEADER} header: send the {BUYER_CSRF_COOKIE} "
                "cookie's value",
                code="csrf_failed",
            )
    return link


_marked(buyer_link, Access(buyer=True))
BuyerLink = Annotated[Link, Depends(buyer_link)]


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_reader(request: Request, settings: SettingsDep) -> None:
    """Who may read ``/metrics``: with ``SHOWDESK_METRICS_TOKEN`` set, every client (loopback
    included) must send it as ``Authorization: Bearer <token>`` (else NotSignedIn); without
    it, loopback clients only (else Forbidden). Behind a reverse proxy on the same host,
    requests come from 127.0.0.1 unless the proxy sets ``X-Forwarded-For``: set a token,
    or do not route ``/metrics``."""
    token = settings.metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and same_secret(given.strip(), token.get_secret_value()):
            return
        raise NotSignedIn("send the metrics token as a bearer token", challenge="Bearer")
    if not _is_loopback(request.client.host if request.client else None):
        raise Forbidden("metrics are served to loopback clients only")


MetricsReader = Depends(metrics_reader)
