"""Calls that survive drops (and end when the other side is gone too long), and the caps
on queue length and call duration, against a real server with aiortc peers."""

from __future__ import annotations

import json

import websockets

from tests.helpers.consent import consent_json
from tests.helpers.peers import Peer
from tests.helpers.waiting import async_wait_until
from tests.helpers.ws import (
    HELLO,
    buyer_cookie,
    closed_with,
    recv_type,
    staff_cookie,
    ws_url,
)


async def _connect(server, who: str, cookie: str):
    ws = await websockets.connect(ws_url(server, who), additional_headers={"Cookie": cookie})
    await ws.send(HELLO)
    welcome = await recv_type(ws, "welcome")
    await recv_type(ws, "rtc_config")
    return ws, welcome


async def _live_call(server, order_ref: str):
    """An agent and a buyer in a live call; returns (agent ws, buyer ws, buyer cookie, id)."""
    agent_ws, _ = await _connect(server, "staff", await staff_cookie(server, f"{order_ref}@x.io"))
    cookie = await buyer_cookie(server, order_ref)
    buyer_ws, _ = await _connect(server, "buyer", cookie)
    await agent_ws.send(json.dumps({"type": "set_availability", "state": "available"}))
    await buyer_ws.send(consent_json(True))
    waiting = await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "waiting")
    await agent_ws.send(json.dumps({"type": "accept", "session_id": waiting["session_id"]}))
    await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "live")
    return agent_ws, buyer_ws, cookie, waiting["session_id"]


async def test_a_page_whose_media_stops_is_dropped_and_its_call_resumes_when_it_returns(
    server_factory,
):
    server = server_factory(media_silence_s=1.0)
    agent_ws, buyer_ws, cookie, call_id = await _live_call(server, "ORD-SILENT")
    buyer = Peer(buyer_ws)
    again = None
    try:
        await buyer.connect_media(send_video=True, send_audio=True)
        relay = server.app.state.calls.relay

        async def media_flowing():
            await server.arun(relay.refresh_stats())
            return relay.stats()["totals"].get(("frames_received", "video", ""), 0) > 0

        await async_wait_until(media_flowing, 10, "the buyer's media at the server")
        for transceiver in buyer.pc.getTransceivers():  # the page freezes: nothing is sent
            transceiver.sender.replaceTrack(None)
        assert await closed_with(buyer_ws, 10) == 4004
        gone = await recv_type(agent_ws, "call", 5, where=lambda m: m["state"] == "reconnecting")
        assert gone["session_id"] == call_id
        await buyer.close()
        again_ws, welcome = await _connect(server, "buyer", cookie)
        assert welcome["call"]["session_id"] == call_id
        again = Peer(again_ws)
        await again.connect_media(send_video=True, send_audio=True)
        back = await recv_type(agent_ws, "call", 5, where=lambda m: m["state"] == "live")
        assert back["session_id"] == call_id
    finally:
        await buyer.close()
        if again is not None:
            await again.close()
        await agent_ws.close()


async def test_a_buyer_gone_longer_than_the_grace_period_ends_the_call_buyer_lost(
    server_factory,
):
    server = server_factory(reconnect_grace_s=1.0)
    agent_ws, buyer_ws, _, call_id = await _live_call(server, "ORD-GONE")
    await buyer_ws.close()
    await recv_type(agent_ws, "call", 5, where=lambda m: m["state"] == "reconnecting")
    ended = await recv_type(agent_ws, "call", 5, where=lambda m: m["state"] == "ended")
    assert (ended["session_id"], ended["end_reason"]) == (call_id, "buyer_lost")
    await agent_ws.close()


async def test_a_call_is_ended_at_its_maximum_duration(server_factory):
    server = server_factory(max_call_duration_s=1.0)
    agent_ws, buyer_ws, _, _ = await _live_call(server, "ORD-LONG")
    ended = await recv_type(buyer_ws, "call", 5, where=lambda m: m["state"] == "ended")
    assert ended["end_reason"] == "max_duration"
    await agent_ws.close()
    await buyer_ws.close()


async def test_consent_beyond_the_queue_cap_is_refused_with_queue_full(server_factory):
    server = server_factory(max_queue_length=1)
    first, _ = await _connect(server, "buyer", await buyer_cookie(server, "ORD-Q1"))
    second, _ = await _connect(server, "buyer", await buyer_cookie(server, "ORD-Q2"))
    await first.send(consent_json(True))
    await recv_type(first, "call", where=lambda m: m["state"] == "waiting")
    await second.send(consent_json(True))
    refused = await recv_type(second, "error")
    assert refused["code"] == "queue_full" and refused["in_reply_to"] == "consent"
    await first.close()
    await second.close()
