"""A buyer link cannot be reused without end or flooded, and waiting has an end: against
a real server, through the documented protocol."""

from __future__ import annotations

import json
from datetime import timedelta

import websockets
from sqlmodel import Session, func, select

from server.models import Call, Link
from tests.helpers import async_wait_until
from tests.ws.test_signaling_socket import HELLO, buyer_cookie, recv_type, ws_url

CONSENT = json.dumps({"type": "consent", "accept": True})
DECLINE = json.dumps({"type": "consent", "accept": False})
END = json.dumps({"type": "end"})


async def _buyer(server, cookie: str):
    ws = await websockets.connect(ws_url(server, "buyer"), additional_headers={"Cookie": cookie})
    await ws.send(HELLO)
    await recv_type(ws, "welcome")
    await recv_type(ws, "rtc_config")
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
