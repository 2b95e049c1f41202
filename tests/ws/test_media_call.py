"""Calls with real media, driven by aiortc peers that speak the documented protocol
(signaling/PROTOCOL.md) over a real server: no browser and none of our JavaScript."""

from __future__ import annotations

import asyncio
import json
import time

import websockets
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
)
from sqlmodel import Session, select

from server.models import Call, CallEvent
from tests.helpers.consent import consent_json
from tests.helpers.peers import FRAME_SIZE, ColourBars, Peer
from tests.helpers.waiting import async_wait_until
from tests.helpers.ws import HELLO, buyer_cookie, recv_type, staff_cookie, ws_url


async def _stored_call(server, predicate):
    def load():
        with Session(server.app.state.engine) as db:
            rows = [row for row in db.exec(select(Call)) if predicate(row)]
        return rows

    async def check():
        return await asyncio.to_thread(load)

    return (await async_wait_until(check, 5, "the call row"))[0]


async def test_aiortc_buyer_and_agent_see_and_hear_each_other_through_the_relay(live_server):
    agent_cookie = await staff_cookie(live_server, "ana@shop.test")
    buyer = await buyer_cookie(live_server, "ORD-9")
    async with (
        websockets.connect(
            ws_url(live_server, "staff"), additional_headers={"Cookie": agent_cookie}
        ) as agent_ws,
        websockets.connect(
            ws_url(live_server, "buyer"), additional_headers={"Cookie": buyer}
        ) as buyer_ws,
    ):
        agent, buyer_peer = Peer(agent_ws), Peer(buyer_ws)
        try:
            for ws in (agent_ws, buyer_ws):
                await ws.send(HELLO)
                config = await recv_type(ws, "rtc_config")  # right after welcome
                assert config["ice_servers"] == []
            await agent_ws.send(json.dumps({"type": "set_availability", "state": "available"}))
            await buyer_ws.send(consent_json(True))
            waiting = await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "waiting")
            # the buyer's media flows to the server while waiting in the queue
            await buyer_peer.connect_media(send_video=True, send_audio=True)
            await agent_ws.send(json.dumps({"type": "accept", "session_id": waiting["session_id"]}))
            await recv_type(agent_ws, "call", where=lambda m: m["state"] == "live")
            await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "live")
            await agent.connect_media(send_video=False, send_audio=True)

            async def agent_has_video():
                return len(agent.received["video"]) >= 30

            await async_wait_until(agent_has_video, 10, "30 video frames at the agent")
            frame = agent.received["video"][-1]
            assert (frame.width, frame.height) == FRAME_SIZE
            left = frame.to_ndarray(format="rgb24")[20:80, 20:120].reshape(-1, 3).mean(axis=0)
            assert abs(left[0] - 200) < 25 and left[1] < 70 and left[2] < 70, left

            async def buyer_has_audio():
                return len(buyer_peer.received["audio"]) >= 25

            await async_wait_until(buyer_has_audio, 10, "0.5 s of agent audio at the buyer")

            await buyer_ws.send(json.dumps({"type": "chat", "text": "The corner is crushed."}))
            said = await recv_type(agent_ws, "chat")
            assert said["from"] == "buyer" and said["text"] == "The corner is crushed."
            await agent_ws.send(json.dumps({"type": "end"}))
            ended = await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "ended")
            assert ended["end_reason"] == "agent_ended"
        finally:
            await agent.close()
            await buyer_peer.close()
    row = await _stored_call(live_server, lambda r: r.state == "ended")
    assert row.end_reason == "agent_ended" and row.answered_at is not None
    with Session(live_server.app.state.engine) as db:
        firsts = {
            (e.data["side"], e.data["kind"])
            for e in db.exec(select(CallEvent).where(CallEvent.call_id == row.id))
            if e.kind == "first_frame"
        }
    assert firsts == {("buyer", "video"), ("buyer", "audio"), ("agent", "audio")}

    async def legs_closed():
        return not live_server.app.state.calls.media.legs()

    await async_wait_until(legs_closed, 5, "every media leg closed after the call")


async def test_declined_buyer_cannot_send_media_and_no_leg_is_opened(live_server):
    buyer = await buyer_cookie(live_server, "ORD-10")
    async with websockets.connect(
        ws_url(live_server, "buyer"), additional_headers={"Cookie": buyer}
    ) as ws:
        await ws.send(HELLO)
        await ws.send(consent_json(False))
        ended = await recv_type(ws, "call")
        assert ended["end_reason"] == "buyer_declined"
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            pc.addTransceiver(ColourBars(), "sendrecv")
            await pc.setLocalDescription(await pc.createOffer())
            await ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}))
            refused = await recv_type(ws, "error")
            assert refused["code"] == "invalid_state" and refused["in_reply_to"] == "offer"
        finally:
            await pc.close()
    assert live_server.app.state.calls.media.legs() == {}
    relay = live_server.app.state.calls.relay
    await live_server.arun(relay.refresh_stats())
    assert relay.stats()["legs"] == {}
    assert all(worker["calls"] == 0 for worker in relay.workers())
    row = await _stored_call(live_server, lambda r: True)
    assert row.end_reason == "buyer_declined"


async def test_a_media_connection_that_never_comes_up_ends_the_call_connection_failed(
    server_factory,
):
    server = server_factory(media_connect_timeout_s=1.0)
    buyer = await buyer_cookie(server, "ORD-11")
    async with websockets.connect(
        ws_url(server, "buyer"), additional_headers={"Cookie": buyer}
    ) as ws:
        await ws.send(HELLO)
        await ws.send(consent_json(True))
        await recv_type(ws, "call")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            pc.addTransceiver("video", "sendrecv")
            await pc.setLocalDescription(await pc.createOffer())
            # the offer arrives, but this peer never applies the answer: ICE never starts
            await ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}))
            await recv_type(ws, "answer", timeout_s=10)
            started = time.monotonic()
            ended = await recv_type(ws, "call", timeout_s=10, where=lambda m: m["state"] == "ended")
            assert ended["end_reason"] == "connection_failed"
            assert time.monotonic() - started < 10
        finally:
            await pc.close()


async def test_garbage_sdp_gets_a_media_failed_error_and_the_socket_stays_usable(live_server):
    buyer = await buyer_cookie(live_server, "ORD-12")
    async with websockets.connect(
        ws_url(live_server, "buyer"), additional_headers={"Cookie": buyer}
    ) as ws:
        await ws.send(HELLO)
        await ws.send(consent_json(True))
        await recv_type(ws, "call")
        await ws.send(json.dumps({"type": "offer", "sdp": "v=0\r\nthis is not sdp\r\n"}))
        refused = await recv_type(ws, "error", timeout_s=5)
        assert refused["code"] == "media_failed"
        await ws.send(json.dumps({"type": "ping"}))
        await recv_type(ws, "pong")
