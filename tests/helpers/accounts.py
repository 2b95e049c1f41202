"""Staff accounts for the tests: made directly in a database, and signed in over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.accounts import users
from server.infra.security import PASSWORD_HASHING_FOR_TESTS, Passwords, passwords_for
from server.models import Role

PASSWORD = "correct horse battery"


def create_account(
    engine: Engine,
    email: str,
    role: str,
    name: str | None = None,
    *,
    now: datetime | None = None,
    passwords: Passwords | None = None,
) -> int:
    """Create an account with ``PASSWORD`` in the database behind ``engine``; returns its
    id. ``passwords`` defaults to the tests' cheap hashing: any server verifies the hash
    (argon2 records its cost in it), whatever its own hashing."""
    with Session(engine, expire_on_commit=False) as db:
        user, _ = users.create_user(
            db,
            email=email,
            role=Role(role),
            name=name,
            password=PASSWORD,
            now=now or datetime.now(UTC),
            passwords=passwords or passwords_for(PASSWORD_HASHING_FOR_TESTS),
        )
    return user.id


def add_user(app: FastAPI, email: str, role: str, name: str | None = None) -> int:
    """Create an account with ``PASSWORD`` directly in the app's database, hashed as the
    app's settings say, at the app's clock time; returns its id."""
    return create_account(
        app.state.engine,
        email,
        role,
        name,
        now=app.state.clock.now(),
        passwords=passwords_for(app.state.settings.password_hashing),
    )


def login(client: Any, email: str, password: str = PASSWORD) -> str:
    """Sign in with an httpx/TestClient client (its cookie jar keeps the session); returns
    the CSRF token for later requests."""
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.cookies.get("csrf_token") or client.cookies.get("csrf_token")
