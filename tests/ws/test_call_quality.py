"""Both sides are told how each side's connection is, over the documented protocol: what a
page reports, and what the server sees when the buyer's media stops; the call keeps a
summary of the buyer's connection for review."""

from __future__ import annotations

import json
import time

import httpx
import websockets

from tests.helpers.consent import consent_json
from tests.helpers.peers import Peer, UplinkBlackout
from tests.helpers.waiting import async_wait_until
from tests.helpers.ws import HELLO, buyer_cookie, recv_type, staff_cookie, ws_url

BLACKOUT_S = 1.5


async def test_a_buyer_blackout_is_told_to_both_sides_and_counted_in_the_stored_summary(
    live_server,
) -> None:
    agent_cookie = await staff_cookie(live_server, "ana@shop.test")
    admin_cookie = await staff_cookie(live_server, "root@shop.test", role="admin")
    buyer = await buyer_cookie(live_server, "ORD-Q1")
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
                await recv_type(ws, "rtc_config")
            await agent_ws.send(json.dumps({"type": "set_availability", "state": "available"}))
            await buyer_ws.send(consent_json(True))
            waiting = await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "waiting")
            session_id = waiting["session_id"]
            await buyer_peer.connect_media(send_video=True, send_audio=True)
            await agent_ws.send(json.dumps({"type": "accept", "session_id": session_id}))
            await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "live")
            await agent.connect_media(send_video=False, send_audio=True)

            async def agent_has_video() -> bool:
                return len(agent.received["video"]) >= 20

            await async_wait_until(agent_has_video, 10, "20 video frames at the agent")

            # what the buyer's page measures reaches the agent, and the buyer itself
            await buyer_ws.send(json.dumps({"type": "quality", "state": "poor"}))
            told = await recv_type(agent_ws, "quality")
            assert told == {
                "type": "quality",
                "session_id": session_id,
                "side": "buyer",
                "state": "poor",
            }
            assert (await recv_type(buyer_ws, "quality"))["state"] == "poor"
            await buyer_ws.send(json.dumps({"type": "quality", "state": "good"}))
            assert (await recv_type(agent_ws, "quality"))["state"] == "good"
            assert (await recv_type(buyer_ws, "quality"))["state"] == "good"

            # the buyer's network stops carrying its media; its socket stays up
            assert buyer_peer.pc is not None
            blackout = UplinkBlackout(buyer_peer.pc)
            blackout.on = True
            cut_at = time.monotonic()
            lost = await recv_type(agent_ws, "quality", timeout_s=5)
            assert (lost["side"], lost["state"]) == ("buyer", "lost")
            assert (await recv_type(buyer_ws, "quality", timeout_s=2))["state"] == "lost"

            async def blackout_long_enough() -> bool:
                return time.monotonic() - cut_at >= BLACKOUT_S

            await async_wait_until(blackout_long_enough, 10, "the blackout to last")
            blackout.on = False
            assert blackout.dropped > 0
            back = await recv_type(agent_ws, "quality", timeout_s=5)
            assert (back["side"], back["state"]) == ("buyer", "good")

            # a message the protocol does not allow is refused, naming the field
            await buyer_ws.send(json.dumps({"type": "quality", "state": "splendid"}))
            refused = await recv_type(buyer_ws, "error")
            assert refused["code"] == "bad_message" and refused["in_reply_to"] == "quality"
            assert refused["message"].startswith("quality.state")

            await agent_ws.send(json.dumps({"type": "end"}))
            await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "ended")
        finally:
            await agent.close()
            await buyer_peer.close()

    async with httpx.AsyncClient(
        base_url=live_server.url, headers={"Cookie": admin_cookie}
    ) as http:

        async def stored_quality() -> dict | None:
            detail = (await http.get(f"/api/sessions/{session_id}")).json()
            return detail["quality"]

        quality = await async_wait_until(stored_quality, 5, "the stored quality summary")
    assert quality["freezes"] >= 1
    assert quality["worst_stall_ms"] >= BLACKOUT_S * 1000 * 0.8
    assert quality["loss_pct"] > 0  # the buyer's audio cut in the blackout stayed lost
    # a round trip needs a receiver report that answers the relay's latest sender report,
    # which a call this short may not have had (tests/media/test_call_quality.py has one)
    assert quality["rtt_ms"] is None or quality["rtt_ms"] < 200  # loopback
    assert quality["poor"] is True


async def test_quality_without_a_call_is_refused(live_server) -> None:
    agent_cookie = await staff_cookie(live_server, "bo@shop.test")
    async with websockets.connect(
        ws_url(live_server, "staff"), additional_headers={"Cookie": agent_cookie}
    ) as ws:
        await ws.send(HELLO)
        await recv_type(ws, "rtc_config")
        await ws.send(json.dumps({"type": "quality", "state": "lost"}))
        refused = await recv_type(ws, "error")
        assert refused["code"] == "invalid_state" and refused["in_reply_to"] == "quality"
