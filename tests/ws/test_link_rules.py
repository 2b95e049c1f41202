"""A buyer link cannot be reused without end or flooded, and waiting has an end: against
a real server, through the documented protocol."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta

import httpx
import websockets
from sqlmodel import Session, func, select

from server.models import Call, Link
from tests.helpers.consent import consent_json
from tests.helpers.links import make_link
from tests.helpers.waiting import async_wait_until
from tests.helpers.ws import HELLO, buyer_cookie, recv_type, staff_cookie, ws_url

CONSENT = consent_json(True)
DECLINE = consent_json(False)
END = json.dumps({"type": "end"})


async def _buyer(server, cookie: str):
    ws, _, _ = await _socket(server, "buyer", cookie)
    return ws


async def _stored_calls(server, order_ref: str, expected: int) -> int:
    """The calls stored for ``order_ref`` once ``expected`` are (the store writes behind)."""

    async def count() -> int | None:
        with Session(server.app.state.engine) as db:
            n = db.exec(
                select(func.count()).select_from(Call).where(Call.order_ref == order_ref)
            ).one()
        return n if n >= expected else None

    return await async_wait_until(count, 10, f"{expected} calls of {order_ref} stored")


async def test_a_link_starts_no_more_calls_than_its_maximum(server_factory):
    server = server_factory(max_calls_per_link=1)
    buyer = await _buyer(server, await buyer_cookie(server, "ORD-MAX"))
    await buyer.send(CONSENT)
    await recv_type(buyer, "call", where=lambda m: m["state"] == "waiting")
    await buyer.send(END)
    await recv_type(buyer, "call", where=lambda m: m["state"] == "ended")
    await buyer.send(CONSENT)
    refused = await recv_type(buyer, "error")
    assert refused["code"] == "link_used_up" and refused["in_reply_to"] == "consent"
    await buyer.close()
    assert await _stored_calls(server, "ORD-MAX", 1) == 1


async def test_consents_flooding_one_link_are_refused_after_the_per_minute_cap(server_factory):
    server = server_factory(max_calls_per_link=100, link_consents_per_minute=5)
    buyer = await _buyer(server, await buyer_cookie(server, "ORD-FLOOD"))
    for _ in range(5):
        await buyer.send(DECLINE)
        await recv_type(buyer, "call", where=lambda m: m.get("end_reason") == "buyer_declined")
    for _ in range(20):
        await buyer.send(DECLINE)
    refused = await recv_type(buyer, "error")
    assert refused["code"] == "rate_limited"
    await buyer.close()
    assert await _stored_calls(server, "ORD-FLOOD", 5) == 5


async def test_a_buyer_waiting_past_the_maximum_wait_is_told_queue_timeout(server_factory):
    server = server_factory(max_wait_s=1.0)
    buyer = await _buyer(server, await buyer_cookie(server, "ORD-WAIT"))
    await buyer.send(CONSENT)
    await recv_type(buyer, "call", where=lambda m: m["state"] == "waiting")
    ended = await recv_type(buyer, "call", where=lambda m: m["state"] == "ended", timeout_s=10)
    assert ended["end_reason"] == "queue_timeout"
    await buyer.close()


async def test_a_buyer_waiting_when_the_link_expires_is_told_link_expired(server_factory):
    server = server_factory()
    cookie = await buyer_cookie(server, "ORD-EXP")
    with Session(server.app.state.engine) as db:
        link = db.exec(select(Link).where(Link.order_ref == "ORD-EXP")).one()
        link.expires_at = server.app.state.clock.now() + timedelta(seconds=2)
        db.add(link)
        db.commit()
    buyer = await _buyer(server, cookie)
    await buyer.send(CONSENT)
    await recv_type(buyer, "call", where=lambda m: m["state"] == "waiting")
    ended = await recv_type(buyer, "call", where=lambda m: m["state"] == "ended", timeout_s=10)
    assert ended["end_reason"] == "link_expired"
    await buyer.close()


async def _open_link(server, path: str, cookie: str | None = None) -> str:
    """Open the buyer link as a browser does, with the call cookie it holds (if any);
    returns the call cookie the browser holds afterwards."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        opened = await http.get(
            path, headers={"Cookie": cookie} if cookie else {}, follow_redirects=False
        )
    assert opened.status_code == 303
    return f"showdesk_call={opened.cookies['showdesk_call']}"


async def _socket(server, who: str, cookie: str):
    """A socket after ``hello``; returns it, its ``welcome`` and the types of the messages
    that came between ``welcome`` and ``rtc_config``."""
    ws = await websockets.connect(ws_url(server, who), additional_headers={"Cookie": cookie})
    await ws.send(HELLO)
    welcome = await recv_type(ws, "welcome")
    between = []
    while (message := json.loads(await asyncio.wait_for(ws.recv(), 5)))["type"] != "rtc_config":
        between.append(message["type"])
    return ws, welcome, between


async def _call_on_the_laptop(server, order_ref: str):
    """An agent and a buyer (the laptop) in a live call; returns (agent, laptop, its
    cookie, the link's path, the session id)."""
    agent, _, _ = await _socket(server, "staff", await staff_cookie(server, f"{order_ref}@x.io"))
    await agent.send(json.dumps({"type": "set_availability", "state": "available"}))
    _, url = make_link(server.app, order_ref)
    path = url.removeprefix(server.url)
    cookie = await _open_link(server, path)
    laptop, _, _ = await _socket(server, "buyer", cookie)
    await laptop.send(CONSENT)
    waiting = await recv_type(laptop, "call", where=lambda m: m["state"] == "waiting")
    await agent.send(json.dumps({"type": "accept", "session_id": waiting["session_id"]}))
    await recv_type(laptop, "call", where=lambda m: m["state"] == "live")
    return agent, laptop, cookie, path, waiting["session_id"]


async def _close_code(ws) -> int:
    with contextlib.suppress(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    return ws.close_code


async def test_another_device_waits_for_the_agent_who_refuses_it(server_factory):
    server = server_factory()
    agent, laptop, cookie, path, session_id = await _call_on_the_laptop(server, "ORD-DEV")
    phone_cookie = await _open_link(server, path)
    assert phone_cookie != cookie
    phone, welcome, between = await _socket(server, "buyer", phone_cookie)
    assert welcome["call"] is None and between == ["device_pending"]
    request = await recv_type(agent, "device_request")
    assert request == {"type": "device_request", "session_id": session_id, "pending": True}

    await agent.send(json.dumps({"type": "admit_device", "admit": False}))

    assert await _close_code(phone) == 4005
    await laptop.send(json.dumps({"type": "chat", "text": "still here"}))
    line = await recv_type(agent, "chat")
    assert line["from"] == "buyer" and line["text"] == "still here"
    for ws in (agent, laptop):
        await ws.close()


async def test_an_admitted_device_takes_the_call_and_the_old_page_is_moved(server_factory):
    server = server_factory()
    agent, laptop, _, path, session_id = await _call_on_the_laptop(server, "ORD-ADMIT")
    phone, _, between = await _socket(server, "buyer", await _open_link(server, path))
    assert between == ["device_pending"]
    await recv_type(agent, "device_request")

    await agent.send(json.dumps({"type": "admit_device", "admit": True}))

    call = await recv_type(phone, "call")
    assert call["session_id"] == session_id and call["state"] == "live"
    await recv_type(laptop, "moved")
    assert await _close_code(laptop) == 4002
    for ws in (agent, phone):
        await ws.close()


async def test_the_same_browser_opening_the_link_again_stays_the_same_device(server_factory):
    server = server_factory()
    agent, laptop, cookie, path, _ = await _call_on_the_laptop(server, "ORD-SAME")
    again = await _open_link(server, path, cookie)
    assert again == cookie
    page, welcome, between = await _socket(server, "buyer", again)
    assert welcome["call"]["state"] == "live" and "device_pending" not in between
    await recv_type(laptop, "moved")
    for ws in (agent, page):
        await ws.close()
