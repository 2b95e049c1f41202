"""The signaling socket from the outside: its URL, the credentials it takes (a staff
session cookie, a buyer's call cookie), and reading what the server sends."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed

from tests.helpers.accounts import PASSWORD, add_user
from tests.helpers.links import make_link
from tests.helpers.servers import LiveServer

HELLO = json.dumps({"type": "hello", "v": 1})


def ws_url(server: LiveServer, who: str) -> str:
    """The socket URL of ``server`` for ``who``: ``staff`` or ``buyer``."""
    return server.url.replace("http://", "ws://") + f"/ws?as={who}"


async def staff_cookie(server: LiveServer, email: str, role: str = "agent") -> str:
    """A new staff account (named after its email), signed in; returns its session
    cookie as a ``Cookie`` header value."""
    add_user(server.app, email, role, email.split("@")[0].title())
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200
        return f"showdesk_session={answer.cookies['showdesk_session']}"


async def buyer_cookie(server: LiveServer, order_ref: str = "ORD-1") -> str:
    """Open a fresh link (German) as a buyer does; returns the call cookie as a ``Cookie``
    header value."""
    _, url = make_link(server.app, order_ref, locale="de")
    async with httpx.AsyncClient(base_url=server.url) as http:
        opened = await http.get(url.removeprefix(server.url), follow_redirects=False)
        assert opened.status_code == 303
        return f"showdesk_call={opened.cookies['showdesk_call']}"


async def recv_type(
    ws: Any,
    wanted: str,
    timeout_s: float = 2.0,
    where: Callable[[dict], bool] = lambda m: True,
) -> dict:
    """The next message of type ``wanted`` for which ``where`` holds (others are skipped),
    within ``timeout_s``; else an AssertionError listing what was skipped."""
    seen = []

    async def _next() -> dict:
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == wanted and where(message):
                return message
            seen.append(message)

    try:
        return await asyncio.wait_for(_next(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"no {wanted!r} within {timeout_s} s; saw {seen}") from None


async def send_quietly(ws: Any, message: str) -> None:
    """Send, unless the server has closed the socket already (the close code is checked)."""
    with contextlib.suppress(ConnectionClosed):
        await ws.send(message)


async def closed_with(ws: Any, timeout_s: float = 3.0) -> int:
    """The close code the server closes ``ws`` with (1006: no close frame), reading and
    dropping messages until then; fails if the socket stays open ``timeout_s``."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else 1006
    raise AssertionError("socket stayed open")
