"""Account management for admins: ``/api/users``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from server.accounts import users
from server.api.deps import Admin, ClockDep, DbDep, PasswordsDep, Principal, UserId
from server.errors import InvalidInput
from server.evidence import audit
from server.infra.security import PASSWORD_MAX_CHARS, Passwords
from server.models import Role
from server.models.text import Documented, LineStr
from server.models.user import (
    EMAIL_MAX_CHARS,
    NAME_MAX_CHARS,
    NEW_EMAIL_PATTERN,
    NewPassword,
    UserPublic,
)

router = APIRouter(tags=["users"])


class UserCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, Documented.of(pattern=NEW_EMAIL_PATTERN, format="email")] = Field(
        min_length=3, max_length=EMAIL_MAX_CHARS
    )
    name: LineStr | None = Field(default=None, min_length=1, max_length=NAME_MAX_CHARS)
    role: Role
    password: NewPassword | None = Field(
        default=None, max_length=PASSWORD_MAX_CHARS, description="null: a one-time password"
    )


class UserUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: LineStr | None = Field(default=None, min_length=1, max_length=NAME_MAX_CHARS)
    role: Role | None = None
    disabled: StrictBool | None = None
    reset_password: StrictBool = False


class UserOut(UserPublic):
    one_time_password: str | None = None


class UserList(BaseModel):
    items: list[UserPublic]


@router.get("/api/users", response_model=UserList)
def list_users(principal: Admin, db: DbDep) -> UserList:
    return UserList(items=[UserPublic.model_validate(u) for u in users.list_users(db)])


@router.post(
    "/api/users",
    status_code=201,
    response_model=UserOut,
    responses={409: {"description": "a user with this email exists"}},
)
def create_user(
    body: UserCreateIn, principal: Admin, db: DbDep, clock: ClockDep, passwords: PasswordsDep
) -> UserOut:
    """Create an account; without a password the response carries a one-time password."""
    user, one_time = users.create_user(
        db,
        email=body.email,
        role=body.role,
        name=body.name,
        password=body.password,
        now=clock.now(),
        passwords=passwords,
    )
    audit.action_done(
        db,
        audit.AUDIT_USER_CREATED,
        clock.now(),
        user_id=principal.user_id,
        detail={"user_id": user.id, "email": user.email, "role": str(user.role)},
    )
    db.commit()
    return UserOut(**UserPublic.model_validate(user).model_dump(), one_time_password=one_time)


@router.patch("/api/users/{user_id}", response_model=UserOut)
async def update_user(
    user_id: UserId,
    body: UserUpdateIn,
    principal: Admin,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    passwords: PasswordsDep,
) -> UserOut:
    """Change name, role or disabled, or reset the password (returns a one-time password).
    A disabled, reset or re-roled account's open sockets are closed. Audited."""
    out = await run_in_threadpool(
        _update_user, user_id, body, principal, db, passwords, clock.now()
    )
    if body.disabled or body.reset_password or body.role is not None:
        await request.app.state.calls.close_staff_sockets(user_id)
    return out


def _update_user(
    user_id: int,
    body: UserUpdateIn,
    principal: Principal,
    db: Session,
    passwords: Passwords,
    now: datetime,
) -> UserOut:
    user = users.get_user(db, user_id)
    if user.id == principal.user_id and (body.disabled or body.role not in (None, Role.admin)):
        raise InvalidInput("you cannot disable yourself or take away your own admin role")
    if body.name is not None:
        user.name = body.name
    if body.role is not None:
        user.role = body.role
    db.add(user)
    db.commit()
    if body.disabled is not None:
        users.set_disabled(db, user, body.disabled)
    one_time = users.reset_password(db, user, passwords=passwords) if body.reset_password else None
    changed = [
        name
        for name, value in (
            ("name", body.name),
            ("role", body.role),
            ("disabled", body.disabled),
            ("password_reset", body.reset_password or None),
        )
        if value is not None
    ]
    audit.action_done(
        db,
        audit.AUDIT_USER_CHANGED,
        now,
        user_id=principal.user_id,
        detail={"user_id": user.id, "changed": changed, "role": str(user.role)},
    )
    db.commit()
    db.refresh(user)
    return UserOut(**UserPublic.model_validate(user).model_dump(), one_time_password=one_time)
