"""The WebSocket endpoint against a real server on loopback: auth, Origin, limits, live queue."""

from __future__ import annotations

import json

import httpx
import pytest
import websockets

from tests.helpers.accounts import PASSWORD, add_user
from tests.helpers.consent import consent_json
from tests.helpers.ws import (
    HELLO,
    buyer_cookie,
    closed_with,
    recv_type,
    send_quietly,
    staff_cookie,
    ws_url,
)


async def test_socket_without_credentials_is_closed_with_1008(live_server):
    async with websockets.connect(ws_url(live_server, "staff")) as ws:
        await send_quietly(ws, HELLO)
        assert await closed_with(ws) == 1008


async def test_socket_that_never_says_hello_is_closed_with_1008(server_factory):
    server = server_factory(hello_timeout_s=0.5)
    cookie = await staff_cookie(server, "ana@shop.test")
    async with websockets.connect(
        ws_url(server, "staff"), additional_headers={"Cookie": cookie}
    ) as ws:
        assert await closed_with(ws) == 1008


def test_hello_deadline_defaults_to_5_seconds(settings):
    assert settings.hello_timeout_s == 5.0


async def test_staff_upgrade_from_a_foreign_origin_is_refused(live_server):
    cookie = await staff_cookie(live_server, "ana@shop.test")
    headers = {"Cookie": cookie, "Origin": "https://evil.example"}
    async with websockets.connect(ws_url(live_server, "staff"), additional_headers=headers) as ws:
        await send_quietly(ws, HELLO)
        assert await closed_with(ws) == 1008
    headers["Origin"] = live_server.url
    async with websockets.connect(ws_url(live_server, "staff"), additional_headers=headers) as ws:
        await ws.send(HELLO)
        assert (await recv_type(ws, "welcome"))["role"] == "agent"


async def test_message_over_64_kib_closes_with_1009(live_server):
    cookie = await staff_cookie(live_server, "ana@shop.test")
    async with websockets.connect(
        ws_url(live_server, "staff"), additional_headers={"Cookie": cookie}, max_size=None
    ) as ws:
        await ws.send(HELLO)
        await recv_type(ws, "welcome")
        await ws.send(json.dumps({"type": "chat", "text": "x" * (64 * 1024 + 10)}))
        assert await closed_with(ws) == 1009


@pytest.mark.parametrize(
    "garbage",
    [
        "not json",
        b"\xff\xfe binary",
        json.dumps({"type": "launch_rockets"}),
        json.dumps({"type": "accept", "session_id": 7}),
        json.dumps({"type": "set_availability", "state": "asleep"}),
        json.dumps([1, 2, 3]),
        json.dumps({"type": "accept", "session_id": "no-such-call"}),
        json.dumps({"type": "chat", "text": "nobody to talk to"}),
    ],
)
async def test_garbage_gets_an_error_and_the_socket_stays_usable(live_server, garbage):
    cookie = await staff_cookie(live_server, "ana@shop.test")
    async with websockets.connect(
        ws_url(live_server, "staff"), additional_headers={"Cookie": cookie}
    ) as ws:
        await ws.send(HELLO)
        await recv_type(ws, "welcome")
        await ws.send(garbage)
        error = await recv_type(ws, "error")
        assert error["code"] and error["message"]
        await ws.send(json.dumps({"type": "ping"}))
        await recv_type(ws, "pong")


async def test_first_message_other_than_hello_is_refused(live_server):
    cookie = await staff_cookie(live_server, "ana@shop.test")
    async with websockets.connect(
        ws_url(live_server, "staff"), additional_headers={"Cookie": cookie}
    ) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert (await recv_type(ws, "error"))["code"] == "bad_message"
        assert await closed_with(ws) == 1008


async def test_agent_sees_a_buyer_join_and_leave_the_queue_within_a_second(live_server):
    agent = await staff_cookie(live_server, "ana@shop.test")
    async with websockets.connect(
        ws_url(live_server, "staff"), additional_headers={"Cookie": agent}
    ) as staff_ws:
        await staff_ws.send(HELLO)
        assert (await recv_type(staff_ws, "queue"))["items"] == []
        await staff_ws.send(json.dumps({"type": "set_availability", "state": "available"}))
        await recv_type(staff_ws, "availability")
        buyer = await buyer_cookie(live_server, "ORD-77")
        async with websockets.connect(
            ws_url(live_server, "buyer"), additional_headers={"Cookie": buyer}
        ) as buyer_ws:
            await buyer_ws.send(HELLO)
            welcome = await recv_type(buyer_ws, "welcome")
            assert welcome["role"] == "buyer" and welcome["call"] is None
            await buyer_ws.send(consent_json(True))
            queue = await recv_type(staff_ws, "queue", 1.0, where=lambda m: m["items"])
            assert [i["order_ref"] for i in queue["items"]] == ["ORD-77"]
            position = await recv_type(buyer_ws, "position")
            assert position["position"] == 1 and position["agents_available"] == 1
        # the buyer closed the page while waiting: gone from the queue
        await recv_type(staff_ws, "queue", 1.0, where=lambda m: m["items"] == [])


async def test_signing_out_closes_the_staff_socket(live_server):
    add_user(live_server.app, "ana@shop.test", "agent", "Ana")
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        answer = await http.post(
            "/api/auth/login", json={"email": "ana@shop.test", "password": PASSWORD}
        )
        cookie = f"showdesk_session={answer.cookies['showdesk_session']}"
        async with websockets.connect(
            ws_url(live_server, "staff"), additional_headers={"Cookie": cookie}
        ) as ws:
            await ws.send(HELLO)
            await recv_type(ws, "welcome")
            out = await http.post(
                "/api/auth/logout", headers={"X-CSRF-Token": answer.cookies["csrf_token"]}
            )
            assert out.status_code == 204
            assert await closed_with(ws) == 1008


async def test_disabling_an_agent_closes_their_socket_and_they_can_no_longer_take_calls(
    live_server,
):
    agent = await staff_cookie(live_server, "ana@shop.test")
    admin_id = add_user(live_server.app, "admin@shop.test", "admin")
    del admin_id
    async with (
        httpx.AsyncClient(base_url=live_server.url) as http,
        websockets.connect(
            ws_url(live_server, "staff"), additional_headers={"Cookie": agent}
        ) as ws,
    ):
        await ws.send(HELLO)
        await recv_type(ws, "welcome")
        signed_in = await http.post(
            "/api/auth/login", json={"email": "admin@shop.test", "password": PASSWORD}
        )
        users = (await http.get("/api/users")).json()["items"]
        ana = next(u for u in users if u["email"] == "ana@shop.test")
        answer = await http.patch(
            f"/api/users/{ana['id']}",
            json={"disabled": True},
            headers={"X-CSRF-Token": signed_in.cookies["csrf_token"]},
        )
        assert answer.status_code == 200
        assert await closed_with(ws) == 1008
    async with websockets.connect(
        ws_url(live_server, "staff"), additional_headers={"Cookie": agent}
    ) as again:
        await send_quietly(again, HELLO)
        assert await closed_with(again) == 1008
