"""The agent's phone as the call's camera, over real sockets and HTTP: who may ask for a
code, what a claim answers (one answer for every bad code, the code never logged), the
phone's one-use socket, what it may send, and the console told of each change."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import websockets
from sqlmodel import Session, select

from server.evidence import audit
from server.models import Call as CallRow
from server.models.evidence import AuditEntry
from tests.helpers.accounts import PASSWORD, add_user
from tests.helpers.consent import consent_message
from tests.helpers.servers import LiveServer
from tests.helpers.ws import HELLO, buyer_cookie, closed_with, recv_type, ws_url

REFUSED = {
    "error": {
        "code": "camera_code_invalid",
        "message": "This code is not valid: open the QR code on the console again",
    }
}


@dataclass
class Call:
    agent: Any  # the console's socket
    buyer: Any
    session_id: str
    http: httpx.AsyncClient  # signed in as the agent, with the CSRF header


async def signed_in(server: LiveServer, email: str, role: str = "agent") -> httpx.AsyncClient:
    add_user(server.app, email, role, email.split("@")[0].title())
    http = httpx.AsyncClient(base_url=server.url)
    answer = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    http.headers["X-CSRF-Token"] = http.cookies["csrf_token"]
    return http


def cookie_header(http: httpx.AsyncClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


@contextlib.asynccontextmanager
async def live_call(server: LiveServer, order_ref: str) -> AsyncIterator[Call]:
    http = await signed_in(server, f"agent-{order_ref.lower()}@shop.test")
    cookie = await buyer_cookie(server, order_ref)
    async with (
        contextlib.aclosing(http),
        websockets.connect(
            ws_url(server, "staff"), additional_headers={"Cookie": cookie_header(http)}
        ) as agent,
        websockets.connect(ws_url(server, "buyer"), additional_headers={"Cookie": cookie}) as buyer,
    ):
        for ws in (agent, buyer):
            await ws.send(HELLO)
            await recv_type(ws, "rtc_config")
        await agent.send(json.dumps({"type": "set_availability", "state": "available"}))
        await buyer.send(json.dumps(consent_message(True)))
        waiting = await recv_type(buyer, "call", where=lambda m: m["state"] == "waiting")
        await agent.send(json.dumps({"type": "accept", "session_id": waiting["session_id"]}))
        await recv_type(agent, "call", where=lambda m: m["state"] == "live")
        await answered_row_stored(server, waiting["session_id"])
        yield Call(agent, buyer, waiting["session_id"], http)


async def answered_row_stored(server: LiveServer, session_id: str) -> None:
    """Wait until the call's row names its agent (the store writes it off the loop)."""
    for _ in range(100):
        with Session(server.app.state.engine) as db:
            row = db.get(CallRow, session_id)
            if row is not None and row.agent_id is not None:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"call {session_id} was not stored as answered")


async def new_code(call: Call) -> dict:
    answer = await call.http.post(f"/api/sessions/{call.session_id}/phone-camera")
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_code_is_short_single_use_and_audited_and_never_logged(
    live_server: LiveServer, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    async with live_call(live_server, "ORD-PC-1") as call:
        issued = await new_code(call)
        code = issued["code"]
        assert len(code) == 8 and set(code) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
        assert issued["url"] == f"{live_server.url}/camera#{code}"
        assert issued["qr_svg"].startswith("<svg") and issued["qr_svg"].endswith("</svg>")
        async with httpx.AsyncClient(base_url=live_server.url) as phone:
            typed = f"{code[:4].lower()} {code[4:]}"  # as a person types it
            claimed = await phone.post("/api/phone-camera/claim", json={"code": typed})
            assert claimed.status_code == 200, claimed.text
            assert claimed.json() == {"session_id": call.session_id, "socket": "/ws?as=camera"}
            set_cookie = claimed.headers["set-cookie"]
            assert "showdesk_camera=" in set_cookie and "HttpOnly" in set_cookie
            assert "Path=/ws" in set_cookie and "SameSite=strict" in set_cookie
            again = await phone.post("/api/phone-camera/claim", json={"code": code})
            assert (again.status_code, again.json()) == (404, REFUSED)
    with Session(live_server.app.state.engine) as db:
        actions = db.exec(
            select(AuditEntry.action).where(AuditEntry.call_id == call.session_id)
        ).all()
    assert audit.AUDIT_PHONE_CAMERA_CODE in actions and audit.AUDIT_PHONE_CAMERA_CLAIMED in actions
    assert code not in caplog.text and code.lower() not in caplog.text


async def test_only_the_calls_own_agent_gets_a_code_while_the_call_is_live(
    live_server: LiveServer,
) -> None:
    async with live_call(live_server, "ORD-PC-2") as call:
        path = f"/api/sessions/{call.session_id}/phone-camera"
        async with httpx.AsyncClient(base_url=live_server.url) as stranger:
            answer = await stranger.post(path)
            assert answer.status_code == 401, answer.text
        other = await signed_in(live_server, "other-pc2@shop.test")
        supervisor = await signed_in(live_server, "sup-pc2@shop.test", "supervisor")
        async with contextlib.aclosing(other), contextlib.aclosing(supervisor):
            answer = await other.post(path)
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
            answer = await supervisor.post(path)
            assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
        answer = await call.http.post("/api/sessions/0123456789abcdef0123456789abcdef/phone-camera")
        assert answer.status_code == 404, answer.text
        no_csrf = await call.http.post(path, headers={"X-CSRF-Token": "wrong"})
        assert no_csrf.status_code == 403 and no_csrf.json()["error"]["code"] == "csrf_failed"
        issued = await new_code(call)
        await call.agent.send(json.dumps({"type": "end"}))
        await recv_type(call.agent, "call", where=lambda m: m["state"] == "ended")
        ended = await call.http.post(path)
        assert ended.status_code == 409 and ended.json()["error"]["code"] == "not_live"
        # the ended call's codes went with it
        async with httpx.AsyncClient(base_url=live_server.url) as phone:
            late = await phone.post("/api/phone-camera/claim", json={"code": issued["code"]})
            assert (late.status_code, late.json()) == (404, REFUSED)


async def test_bad_claims_get_one_answer_and_malformed_ones_a_validation_error(
    live_server: LiveServer,
) -> None:
    async with live_call(live_server, "ORD-PC-3") as call:
        issued = await new_code(call)
        other = await signed_in(live_server, "other-pc3@shop.test")
        async with contextlib.aclosing(other), httpx.AsyncClient(base_url=live_server.url) as phone:
            refused = await other.post("/api/phone-camera/claim", json={"code": issued["code"]})
            assert (refused.status_code, refused.json()) == (404, REFUSED)
            unknown = await phone.post("/api/phone-camera/claim", json={"code": "ABCDEFGH"})
            assert (unknown.status_code, unknown.json()) == (404, REFUSED)
            for body in ({}, {"code": ""}, {"code": "A" * 17}, {"code": 12345678}, {"x": 1}):
                bad = await phone.post("/api/phone-camera/claim", json=body)
                assert bad.status_code == 422, (body, bad.text)
                assert bad.json()["error"]["code"] == "validation_error"
            # the other agent's try did not use the code up: the agent's own phone still can
            ok = await phone.post("/api/phone-camera/claim", json={"code": issued["code"]})
            assert ok.status_code == 200, ok.text
            # a newer code replaces the older one
            first = await new_code(call)
            second = await new_code(call)
            old = await phone.post("/api/phone-camera/claim", json={"code": first["code"]})
            assert (old.status_code, old.json()) == (404, REFUSED)
            new = await phone.post("/api/phone-camera/claim", json={"code": second["code"]})
            assert new.status_code == 200, new.text


async def test_the_phones_socket_is_one_use_sends_media_only_and_the_console_is_told(
    live_server: LiveServer,
) -> None:
    async with live_call(live_server, "ORD-PC-4") as call:
        issued = await new_code(call)
        async with httpx.AsyncClient(base_url=live_server.url) as phone:
            await phone.post("/api/phone-camera/claim", json={"code": issued["code"]})
            pass_cookie = f"showdesk_camera={phone.cookies['showdesk_camera']}"
        headers = {"Cookie": pass_cookie}
        async with websockets.connect(
            ws_url(live_server, "camera"), additional_headers=headers
        ) as ws:
            await ws.send(HELLO)
            welcome = await recv_type(ws, "camera_welcome")
            assert set(welcome) == {"type", "session_id", "photo_key"}
            assert welcome["session_id"] == call.session_id and len(welcome["photo_key"]) >= 43
            await recv_type(ws, "rtc_config")
            told = await recv_type(call.agent, "phone_camera")
            assert told == {
                "type": "phone_camera",
                "session_id": call.session_id,
                "state": "connecting",
            }
            for message in (
                {"type": "chat", "text": "hello"},
                {"type": "end"},
                {"type": "accept_next"},
                {"type": "phone_camera_stop", "session_id": call.session_id},
            ):
                await ws.send(json.dumps(message))
                error = await recv_type(ws, "error")
                assert error["code"] == "forbidden" and error["in_reply_to"] == message["type"]
            await ws.send("{not json")
            assert (await recv_type(ws, "error"))["code"] == "bad_json"
            await ws.send(json.dumps({"type": "ping"}))
            await recv_type(ws, "pong")
            # the pass was good for one socket
            async with websockets.connect(
                ws_url(live_server, "camera"), additional_headers=headers
            ) as second:
                assert await closed_with(second) == 1008
            # a buyer may not stop the agent's phone; the agent may
            stop = {"type": "phone_camera_stop", "session_id": call.session_id}
            await call.buyer.send(json.dumps(stop))
            assert (await recv_type(call.buyer, "error"))["code"] == "forbidden"
            await call.agent.send(json.dumps(stop))
            assert await closed_with(ws) == 1000
        off = await recv_type(call.agent, "phone_camera", where=lambda m: m["state"] == "off")
        assert off["session_id"] == call.session_id
        # without a pass the camera socket is refused
        async with websockets.connect(ws_url(live_server, "camera")) as anonymous:
            assert await closed_with(anonymous) == 1008


async def test_the_end_of_the_call_closes_the_phones_socket(live_server: LiveServer) -> None:
    async with live_call(live_server, "ORD-PC-5") as call:
        issued = await new_code(call)
        async with httpx.AsyncClient(base_url=live_server.url) as phone:
            await phone.post("/api/phone-camera/claim", json={"code": issued["code"]})
            headers = {"Cookie": f"showdesk_camera={phone.cookies['showdesk_camera']}"}
        async with websockets.connect(
            ws_url(live_server, "camera"), additional_headers=headers
        ) as ws:
            await ws.send(HELLO)
            await recv_type(ws, "camera_welcome")
            await call.buyer.send(json.dumps({"type": "end"}))
            assert await closed_with(ws) == 1000


async def test_a_console_that_reconnects_is_told_its_phone_is_the_camera(
    live_server: LiveServer,
) -> None:
    async with live_call(live_server, "ORD-PC-6") as call:
        issued = await new_code(call)
        async with httpx.AsyncClient(base_url=live_server.url) as phone:
            await phone.post("/api/phone-camera/claim", json={"code": issued["code"]})
            headers = {"Cookie": f"showdesk_camera={phone.cookies['showdesk_camera']}"}
        async with websockets.connect(
            ws_url(live_server, "camera"), additional_headers=headers
        ) as ws:
            await ws.send(HELLO)
            await recv_type(ws, "camera_welcome")
            await recv_type(call.agent, "phone_camera")
            async with websockets.connect(
                ws_url(live_server, "staff"),
                additional_headers={"Cookie": cookie_header(call.http)},
            ) as console:
                await console.send(HELLO)
                welcome = await recv_type(console, "welcome")
                assert welcome["call"]["session_id"] == call.session_id
                told = await recv_type(console, "phone_camera")
                assert told["state"] == "connecting" and told["session_id"] == call.session_id
