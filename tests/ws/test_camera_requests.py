"""The agent's camera requests (torch, zoom) over real sockets: forwarded to the call's
buyer, the buyer's answer forwarded back, and everything else refused with a reason."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import websockets

from tests.helpers.consent import consent_message
from tests.helpers.servers import LiveServer
from tests.helpers.ws import HELLO, buyer_cookie, recv_type, staff_cookie, ws_url


@dataclass
class Sockets:
    agent: Any
    buyer: Any
    session_id: str


async def _say(ws: Any, message: dict) -> None:
    await ws.send(json.dumps(message))


async def _refused(ws: Any, message: dict, code: str) -> dict:
    """Send ``message`` and return the ``error`` it gets, which must carry ``code``."""
    await _say(ws, message)
    error = await recv_type(ws, "error")
    assert error["code"] == code, error
    assert error["in_reply_to"] == message["type"], error
    return error


@contextlib.asynccontextmanager
async def _live(server: LiveServer, order_ref: str) -> AsyncIterator[Sockets]:
    """An agent and a buyer on open sockets, in a call the agent answered."""
    agent_cookie = await staff_cookie(server, f"agent-{order_ref.lower()}@shop.test")
    cookie = await buyer_cookie(server, order_ref)
    async with (
        websockets.connect(
            ws_url(server, "staff"), additional_headers={"Cookie": agent_cookie}
        ) as agent,
        websockets.connect(ws_url(server, "buyer"), additional_headers={"Cookie": cookie}) as buyer,
    ):
        for ws in (agent, buyer):
            await ws.send(HELLO)
            await recv_type(ws, "rtc_config")
        await _say(agent, {"type": "set_availability", "state": "available"})
        await _say(buyer, consent_message(True))
        waiting = await recv_type(buyer, "call", where=lambda m: m["state"] == "waiting")
        await _say(agent, {"type": "accept", "session_id": waiting["session_id"]})
        await recv_type(agent, "call", where=lambda m: m["state"] == "live")
        await recv_type(buyer, "call", where=lambda m: m["state"] == "live")
        yield Sockets(agent, buyer, waiting["session_id"])


async def test_the_agents_torch_request_reaches_the_buyer_and_the_answer_comes_back(
    live_server: LiveServer,
) -> None:
    async with _live(live_server, "ORD-TORCH") as call:
        await _say(call.agent, {"type": "camera_request", "torch": True})
        asked = await recv_type(call.buyer, "camera_request")
        assert asked["session_id"] == call.session_id
        assert asked["torch"] is True and asked["zoom"] is None
        assert isinstance(asked["request_id"], int) and asked["request_id"] >= 1

        reply = {"type": "camera_reply", "request_id": asked["request_id"]}
        await _say(call.buyer, {**reply, "result": "not_supported"})
        answer = await recv_type(call.agent, "camera_reply")
        assert answer == {
            "type": "camera_reply",
            "session_id": call.session_id,
            "request_id": asked["request_id"],
            "torch": True,
            "zoom": None,
            "result": "not_supported",
            "applied_zoom": None,
        }
        # answered once: the same request cannot be answered again
        await _refused(call.buyer, {**reply, "result": "applied"}, "not_found")


async def test_a_zoom_the_camera_cannot_reach_is_answered_with_the_level_it_applied(
    live_server: LiveServer,
) -> None:
    async with _live(live_server, "ORD-ZOOM") as call:
        await _say(call.agent, {"type": "camera_request", "zoom": 8})
        asked = await recv_type(call.buyer, "camera_request")
        assert asked["zoom"] == 8.0 and asked["torch"] is None
        await _say(
            call.buyer,
            {
                "type": "camera_reply",
                "request_id": asked["request_id"],
                "result": "applied",
                "zoom": 4,
            },
        )
        answer = await recv_type(call.agent, "camera_reply")
        assert (answer["zoom"], answer["result"], answer["applied_zoom"]) == (8.0, "applied", 4.0)

        await _say(call.agent, {"type": "camera_request", "zoom": 2.5})
        asked = await recv_type(call.buyer, "camera_request")
        await _say(
            call.buyer,
            {"type": "camera_reply", "request_id": asked["request_id"], "result": "camera_off"},
        )
        answer = await recv_type(call.agent, "camera_reply")
        assert (answer["zoom"], answer["result"], answer["applied_zoom"]) == (
            2.5,
            "camera_off",
            None,
        )


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "camera_request"}, "exactly one of torch or zoom"),
        ({"type": "camera_request", "torch": True, "zoom": 2}, "exactly one of torch or zoom"),
        ({"type": "camera_request", "zoom": 0.5}, "camera_request.zoom"),
        ({"type": "camera_request", "zoom": 10.5}, "camera_request.zoom"),
        ({"type": "camera_request", "zoom": "2"}, "camera_request.zoom"),
        ({"type": "camera_request", "torch": "on"}, "camera_request.torch"),
        ({"type": "camera_request", "torch": True, "level": 1}, "camera_request.level"),
    ],
)
async def test_a_malformed_camera_request_is_refused_and_never_reaches_the_buyer(
    live_server: LiveServer, message: dict, field: str
) -> None:
    async with _live(live_server, "ORD-BAD") as call:
        error = await _refused(call.agent, message, "bad_message")
        assert field in error["message"]
        # the socket still works, and the buyer got nothing before the next real request
        await _say(call.agent, {"type": "camera_request", "torch": False})
        asked = await recv_type(call.buyer, "camera_request")
        assert asked["torch"] is False


async def test_only_the_agent_of_a_live_call_may_ask_and_only_its_buyer_may_answer(
    live_server: LiveServer,
) -> None:
    other_cookie = await staff_cookie(live_server, "other@shop.test")
    async with (
        _live(live_server, "ORD-ROLES") as call,
        websockets.connect(
            ws_url(live_server, "staff"), additional_headers={"Cookie": other_cookie}
        ) as other,
    ):
        await other.send(HELLO)
        await recv_type(other, "welcome")
        # another agent, not in this call
        await _refused(other, {"type": "camera_request", "torch": True}, "invalid_state")
        # the buyer may not ask, the agent may not answer
        await _refused(call.buyer, {"type": "camera_request", "torch": True}, "forbidden")
        await _say(call.agent, {"type": "camera_request", "zoom": 2})
        asked = await recv_type(call.buyer, "camera_request")
        reply = {"type": "camera_reply", "request_id": asked["request_id"], "result": "applied"}
        await _refused(call.agent, reply, "forbidden")
        # an answer to a request nobody made, and a zoom that answers a torch request
        await _refused(call.buyer, {**reply, "request_id": asked["request_id"] + 99}, "not_found")
        await _say(call.agent, {"type": "camera_request", "torch": True})
        torch = await recv_type(call.buyer, "camera_request")
        await _refused(
            call.buyer, {**reply, "request_id": torch["request_id"], "zoom": 2}, "invalid_state"
        )
        await _refused(call.buyer, {**reply, "extra": True}, "bad_message")

        # once the call ends, neither asking nor answering is possible
        await _say(call.agent, {"type": "end"})
        await recv_type(call.buyer, "call", where=lambda m: m["state"] == "ended")
        await _refused(call.agent, {"type": "camera_request", "torch": True}, "invalid_state")
        await _refused(call.buyer, reply, "invalid_state")


async def test_a_waiting_buyers_camera_cannot_be_asked_for(live_server: LiveServer) -> None:
    agent_cookie = await staff_cookie(live_server, "early@shop.test")
    cookie = await buyer_cookie(live_server, "ORD-EARLY")
    async with (
        websockets.connect(
            ws_url(live_server, "staff"), additional_headers={"Cookie": agent_cookie}
        ) as agent,
        websockets.connect(
            ws_url(live_server, "buyer"), additional_headers={"Cookie": cookie}
        ) as buyer,
    ):
        for ws in (agent, buyer):
            await ws.send(HELLO)
            await recv_type(ws, "rtc_config")
        await _say(buyer, consent_message(True))
        await recv_type(buyer, "call", where=lambda m: m["state"] == "waiting")
        await _refused(agent, {"type": "camera_request", "zoom": 3}, "invalid_state")
        reply = {"type": "camera_reply", "request_id": 1, "result": "applied"}
        await _refused(buyer, reply, "invalid_state")
