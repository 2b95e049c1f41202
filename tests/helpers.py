"""Helpers shared by the tests: accounts, sign-in, and waiting for a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from server.accounts import users
from server.infra.security import passwords_for
from server.models import Role

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class NotYet:
    """What a polled condition returns while it is false: falsy, and says why (the
    waiting helpers report the last one when they give up)."""

    reason: str

    def __bool__(self) -> bool:
        return False


def add_user(app: FastAPI, email: str, role: str, name: str | None = None) -> int:
    """Create an account with ``PASSWORD`` directly in the app's database; returns its id."""
    with Session(app.state.engine, expire_on_commit=False) as db:
        user, _ = users.create_user(
            db,
            email=email,
            role=Role(role),
            name=name,
            password=PASSWORD,
            now=app.state.clock.now(),
            passwords=passwords_for(app.state.settings.password_hashing),
        )
    return user.id


def login(client: Any, email: str, password: str = PASSWORD) -> str:
    """Sign in with an httpx/TestClient client; returns the CSRF token for later requests."""
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.cookies.get("csrf_token") or client.cookies.get("csrf_token")


def wait_until(
    condition: Callable[[], Any],
    timeout_s: float,
    what: str,
    pause: Callable[[float], None] = time.sleep,
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` otherwise.
    ``pause(seconds)`` waits between polls (a Playwright page's wait delivers the
    browser's events meanwhile, which ``time.sleep`` would hold back)."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        pause(0.02)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last: {last!r}")


async def async_wait_until(
    condition: Callable[[], Awaitable[Any]], timeout_s: float, what: str
) -> Any:
    """``wait_until`` for coroutines."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await condition()
        if last:
            return last
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last: {last!r}")
