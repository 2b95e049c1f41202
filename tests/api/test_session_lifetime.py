"""A staff session ends when its user changes the password elsewhere (and its sockets
close), and 12 hours after sign-in however busy it is."""

from __future__ import annotations

import httpx
import websockets
from fastapi.testclient import TestClient

from tests.helpers.accounts import PASSWORD, add_user, login
from tests.helpers.ws import HELLO, closed_with, recv_type, ws_url

NEW_PASSWORD = "a brand new passphrase"


def _signed_in(app, email: str) -> tuple[TestClient, str]:
    client = TestClient(app, base_url=app.state.settings.public_url)
    return client, login(client, email)


def test_changing_ones_password_ends_the_other_sessions_and_keeps_this_one(app):
    add_user(app, "ana@shop.test", "agent")
    laptop, csrf = _signed_in(app, "ana@shop.test")
    phone, _ = _signed_in(app, "ana@shop.test")
    assert phone.get("/api/me").status_code == 200

    changed = laptop.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"X-CSRF-Token": csrf},
    )

    assert changed.status_code == 204
    assert laptop.get("/api/me").status_code == 200
    assert phone.get("/api/me").status_code == 401
    assert login(TestClient(app), "ana@shop.test", NEW_PASSWORD)


def test_wrong_current_passwords_slow_down_like_failed_sign_ins(app):
    add_user(app, "ana@shop.test", "agent")
    laptop, csrf = _signed_in(app, "ana@shop.test")
    statuses = [
        laptop.post(
            "/api/me/password",
            json={"current_password": f"guess {n}", "new_password": NEW_PASSWORD},
            headers={"X-CSRF-Token": csrf},
        ).status_code
        for n in range(8)
    ]
    assert statuses[:5] == [422] * 5 and 429 in statuses[5:]


async def test_the_other_sessions_sockets_close_when_the_password_changes(server_factory):
    server = server_factory()
    add_user(server.app, "ana@shop.test", "agent")
    async with (
        httpx.AsyncClient(base_url=server.url) as laptop,
        httpx.AsyncClient(base_url=server.url) as phone,
    ):
        for http in (laptop, phone):
            answer = await http.post(
                "/api/auth/login", json={"email": "ana@shop.test", "password": PASSWORD}
            )
            assert answer.status_code == 200
        cookie = f"showdesk_session={phone.cookies['showdesk_session']}"
        async with websockets.connect(
            ws_url(server, "staff"), additional_headers={"Cookie": cookie}
        ) as socket:
            await socket.send(HELLO)
            await recv_type(socket, "welcome")
            changed = await laptop.post(
                "/api/me/password",
                json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                headers={"X-CSRF-Token": laptop.cookies["csrf_token"]},
            )
            assert changed.status_code == 204
            assert await closed_with(socket) == 1008


def test_a_session_ends_twelve_hours_after_sign_in_even_when_busy(app, clock):
    add_user(app, "ana@shop.test", "agent")
    client, _ = _signed_in(app, "ana@shop.test")
    for _ in range(11):
        clock.advance(3600)  # a request an hour keeps it from going idle
        assert client.get("/api/me").status_code == 200
    clock.advance(3600 + 1)
    assert client.get("/api/me").status_code == 401
