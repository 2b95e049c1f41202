"""Limits on link opens, sockets and signaling messages: 429 + Retry-After (failed sign-ins:
test_sign_in_throttle.py)."""

from __future__ import annotations

import contextlib
import json

import websockets
from fastapi.testclient import TestClient

from server.app import create_app
from tests.helpers.servers import make_settings
from tests.helpers.ws import HELLO, closed_with, recv_type, staff_cookie, ws_url


def _login(client, email, password):
    return client.post("/api/auth/login", json={"email": email, "password": password})


def test_opening_links_is_limited_per_address(tmp_path):
    app = create_app(make_settings(tmp_path, limit_link_opens_per_address="3/minute"))
    with TestClient(app) as client:
        answers = [client.get(f"/j/guess{n}", follow_redirects=False) for n in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0


async def test_too_many_messages_on_one_socket_get_an_error_and_the_socket_stays(
    server_factory,
):
    server = server_factory(limit_messages_per_socket="5/minute")  # counts, not speed
    cookie = await staff_cookie(server, "ana@shop.test")
    async with websockets.connect(
        ws_url(server, "staff"), additional_headers={"Cookie": cookie}
    ) as ws:
        await ws.send(HELLO)
        await recv_type(ws, "welcome")
        for _ in range(10):
            await ws.send(json.dumps({"type": "ping"}))
        error = await recv_type(ws, "error")
        assert error["code"] == "rate_limited"


async def test_too_many_sockets_from_one_address_are_closed_with_1013(server_factory):
    server = server_factory(limit_sockets_per_address="2/minute")
    cookie = await staff_cookie(server, "ana@shop.test")
    codes = []
    for _ in range(3):
        async with websockets.connect(
            ws_url(server, "staff"), additional_headers={"Cookie": cookie}
        ) as ws:
            if len(codes) < 2:
                await ws.send(HELLO)
                await recv_type(ws, "welcome")
                codes.append("open")
            else:
                codes.append(await closed_with(ws))
    assert codes == ["open", "open", 1013]


async def test_too_many_messages_from_one_address_across_sockets_get_an_error(server_factory):
    # per minute: the count, not the speed of this machine, decides
    server = server_factory(limit_messages_per_address="8/minute")
    cookies = [await staff_cookie(server, f"agent{n}@shop.test") for n in range(2)]
    sockets = []
    for cookie in cookies:
        ws = await websockets.connect(
            ws_url(server, "staff"), additional_headers={"Cookie": cookie}
        )
        await ws.send(HELLO)
        await recv_type(ws, "welcome")
        sockets.append(ws)
    for _ in range(5):  # 5 + 5 from one address, but each socket stays under its own limit
        for ws in sockets:
            await ws.send(json.dumps({"type": "ping"}))
    # Which socket's message is the one over the limit depends on the order in which the
    # server reads the two connections: the refusal may reach either.
    errors = []
    for ws in sockets:
        with contextlib.suppress(AssertionError):
            errors.append(await recv_type(ws, "error"))
    assert errors, "neither socket of the address was refused"
    assert all(error["code"] == "rate_limited" for error in errors)
    for ws in sockets:
        await ws.close()
