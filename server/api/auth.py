"""Staff sign-in: ``/api/auth/login``, ``/api/auth/logout``, ``/api/me`` (and one's own
language and time zone), own password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.concurrency import run_in_threadpool

from server.accounts import users
from server.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    ClockDep,
    DbDep,
    PasswordsDep,
    SettingsDep,
    SignedIn,
    client_address,
)
from server.calls.ids import wire_id
from server.errors import InvalidInput, NotSignedIn
from server.infra.security import PASSWORD_MAX_CHARS, csrf_token_for
from server.models.user import EMAIL_MAX_CHARS, NewPassword, User

router = APIRouter(tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: StrictStr = Field(min_length=1, max_length=EMAIL_MAX_CHARS)
    password: StrictStr = Field(min_length=1, max_length=PASSWORD_MAX_CHARS)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX_CHARS)
    new_password: NewPassword = Field(min_length=1, max_length=PASSWORD_MAX_CHARS)


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    must_change_password: bool
    locale: str = Field(description="the staff pages' language: en or zh-CN")
    timezone: str | None = Field(description="IANA name; null: the browser's own")


class MePreferencesIn(BaseModel):
    """One's own page language and time zone; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    locale: StrictStr | None = Field(default=None, max_length=35, description="en or zh-CN")
    timezone: StrictStr | None = Field(
        default=None, max_length=64, description="an IANA name, e.g. Asia/Shanghai; null clears"
    )


def me_out(user: User) -> MeOut:
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        must_change_password=user.must_change_password,
        locale=user.locale,
        timezone=user.timezone,
    )


@router.post(
    "/api/auth/login",
    response_model=MeOut,
    responses={
        401: {"description": "wrong email or password"},
        429: {"description": "too many failed sign-ins"},
    },
)
def login(
    body: LoginIn,
    request: Request,
    response: Response,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
) -> MeOut:
    """Sign in; sets the HttpOnly session cookie and the readable ``csrf_token`` cookie.
    Failed attempts slow down per account and address, and per address (429 with
    Retry-After); an account is never locked for everyone."""
    throttle = request.app.state.sign_in
    attempt = throttle.begin(body.email, client_address(request))
    try:
        with throttle.hashing():
            user = users.authenticate(db, body.email, body.password, passwords=passwords)
    except NotSignedIn:
        throttle.failed(attempt)
        raise
    throttle.succeeded(attempt)
    token = users.start_session(db, user, clock.now())
    secure = settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/"
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token_for(request.app.state.secret_key, token),
        httponly=False,
        samesite="lax",
        secure=secure,
        path="/",
    )
    return me_out(user)


@router.post("/api/auth/logout", status_code=204)
async def logout(principal: SignedIn, request: Request, db: DbDep) -> Response:
    """Sign out: the session ends, and so do the sockets it opened."""
    await run_in_threadpool(users.end_session, db, request.cookies[SESSION_COOKIE])
    await request.app.state.calls.staff_sessions_changed()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/api/me", response_model=MeOut)
def me(principal: SignedIn) -> MeOut:
    return me_out(principal.user)


@router.patch("/api/me", response_model=MeOut)
async def change_own_preferences(
    body: MePreferencesIn, principal: SignedIn, request: Request, db: DbDep
) -> MeOut:
    """Set one's own page language (``en``, ``zh-CN``) and time zone (an IANA name, or
    null for the browser's own). 422 ``unknown_locale`` / ``unknown_timezone`` otherwise.
    Quick phrases sent from then on read in the new language."""
    given = body.model_fields_set

    def change() -> User:
        user = db.merge(principal.user)
        return users.set_preferences(
            db,
            user,
            locale=body.locale if "locale" in given else users.UNCHANGED,
            timezone=body.timezone if "timezone" in given else users.UNCHANGED,
        )

    user = await run_in_threadpool(change)
    request.app.state.calls.switchboard.set_staff_locale(wire_id(user.id), user.locale)
    return me_out(user)


@router.post(
    "/api/me/password",
    status_code=204,
    responses={429: {"description": "too many wrong current passwords"}},
)
async def change_own_password(
    body: PasswordChangeIn,
    principal: SignedIn,
    request: Request,
    db: DbDep,
    passwords: PasswordsDep,
) -> Response:
    """Change one's own password (this also clears a one-time password). The user's other
    sessions end and their sockets close; this one stays signed in. Wrong current
    passwords slow down like failed sign-ins."""
    throttle = request.app.state.sign_in
    address = client_address(request)

    def change() -> None:  # in a thread: the throttle, the database and argon2 stay off
        attempt = throttle.begin(principal.user.email, address)  # the event loop
        try:
            user = db.merge(principal.user)
            with throttle.hashing():
                users.change_password(
                    db,
                    user,
                    body.current_password,
                    body.new_password,
                    passwords=passwords,
                    keep_session=request.cookies.get(SESSION_COOKIE),
                )
        except InvalidInput as exc:
            if exc.code == "wrong_password":
                throttle.failed(attempt)
            else:  # the current password was right; the new one is refused
                throttle.succeeded(attempt)
            raise
        throttle.succeeded(attempt)

    await run_in_threadpool(change)
    await request.app.state.calls.staff_sessions_changed()
    return Response(status_code=204)
