"""``rtc_config`` over the socket with TURN configured: the transport policy, a credential
minted for the participant after ``welcome`` and a fresh one for the call just before its
``call`` message; and ``ice_error``, validated, logged without a credential, unanswered."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
import websockets

from tests.helpers.consent import consent_json
from tests.helpers.servers import LiveServer
from tests.helpers.ws import HELLO, buyer_cookie, recv_type, staff_cookie, ws_url

SECRET = "turn-shared-secret-for-the-socket-tests-" + "x" * 8
TURN = {
    "turn_urls": ["turn:turn.example.com:3478?transport=udp"],
    "turn_secret": SECRET,
    "ice_transport_policy": "relay",
}


def _turn_entry(config: dict) -> dict:
    [entry] = [s for s in config["ice_servers"] if s.get("username")]
    return entry


async def test_a_buyer_gets_its_own_credential_then_the_calls_right_before_the_call(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory(**TURN)
    cookie = await buyer_cookie(server, "ORD-RTC")
    async with websockets.connect(
        ws_url(server, "buyer"), additional_headers={"Cookie": cookie}
    ) as ws:
        await ws.send(HELLO)
        first = await recv_type(ws, "rtc_config")
        assert first["ice_transport_policy"] == "relay"
        assert _turn_entry(first)["urls"] == TURN["turn_urls"]
        assert ":buyer-" in _turn_entry(first)["username"]
        await ws.send(consent_json(True))
        fresh = json.loads(await ws.recv())  # the very next message, before the call's
        assert fresh["type"] == "rtc_config", fresh
        call = json.loads(await ws.recv())
        assert call["type"] == "call" and call["state"] == "waiting", call
        assert _turn_entry(fresh)["username"].endswith(f":{call['session_id']}-buyer")
        assert _turn_entry(fresh)["credential"] != _turn_entry(first)["credential"]


async def test_an_agent_gets_the_calls_credential_right_before_the_live_call(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory(**TURN)
    agent_cookie = await staff_cookie(server, "agent@shop.test")
    cookie = await buyer_cookie(server, "ORD-RTC-2")
    async with (
        websockets.connect(
            ws_url(server, "staff"), additional_headers={"Cookie": agent_cookie}
        ) as agent,
        websockets.connect(ws_url(server, "buyer"), additional_headers={"Cookie": cookie}) as buyer,
    ):
        for ws in (agent, buyer):
            await ws.send(HELLO)
            await recv_type(ws, "rtc_config")
        await agent.send(json.dumps({"type": "set_availability", "state": "available"}))
        await buyer.send(consent_json(True))
        waiting = await recv_type(buyer, "call")
        await agent.send(json.dumps({"type": "accept", "session_id": waiting["session_id"]}))
        seen = []
        while not seen or seen[-1]["type"] != "call":
            seen.append(json.loads(await agent.recv()))
        configs = [m for m in seen if m["type"] == "rtc_config"]
        assert len(configs) == 1 and seen.index(configs[0]) == len(seen) - 2, seen
        username = _turn_entry(configs[0])["username"]
        assert username.endswith(f":{waiting['session_id']}-agent")


async def test_without_turn_the_page_gets_one_rtc_config_for_direct_paths(live_server) -> None:
    cookie = await buyer_cookie(live_server, "ORD-RTC-3")
    async with websockets.connect(
        ws_url(live_server, "buyer"), additional_headers={"Cookie": cookie}
    ) as ws:
        await ws.send(HELLO)
        config = await recv_type(ws, "rtc_config")
        assert config == {
            "type": "rtc_config",
            "ice_servers": [],
            "ice_transport_policy": "all",
            "video_codecs": ["VP8", "H264"],
        }
        await ws.send(consent_json(True))
        assert json.loads(await ws.recv())["type"] == "call"


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ({"type": "ice_error", "error_code": 401}, "ice_error.url: Field required"),
        ({"type": "ice_error", "error_code": 1000, "url": "turn:x"}, "ice_error.error_code"),
        ({"type": "ice_error", "error_code": 401, "url": "t" * 257}, "ice_error.url"),
        ({"type": "ice_error", "error_code": "401", "url": "turn:x"}, "ice_error.error_code"),
    ],
)
async def test_a_malformed_ice_error_is_refused_naming_the_field(live_server, message, says):
    cookie = await buyer_cookie(live_server, "ORD-RTC-4")
    async with websockets.connect(
        ws_url(live_server, "buyer"), additional_headers={"Cookie": cookie}
    ) as ws:
        await ws.send(HELLO)
        await recv_type(ws, "rtc_config")
        await ws.send(json.dumps(message))
        error = await recv_type(ws, "error")
        assert error["code"] == "bad_message" and says in error["message"], error


async def test_a_refused_turn_credential_is_logged_without_it_and_not_answered(
    server_factory: Callable[..., LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="showdesk.turn")
    server = server_factory(**TURN)
    cookie = await buyer_cookie(server, "ORD-RTC-5")
    async with websockets.connect(
        ws_url(server, "buyer"), additional_headers={"Cookie": cookie}
    ) as ws:
        await ws.send(HELLO)
        entry = _turn_entry(await recv_type(ws, "rtc_config"))
        url = f"turn:turn.example.com:3478?transport=udp&user={entry['username']}"
        await ws.send(json.dumps({"type": "ice_error", "error_code": 401, "url": url}))
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["type"] == "pong"  # no reply came before it
    [line] = [r.getMessage() for r in caplog.records if "(401)" in r.getMessage()]
    assert "the buyer page" in line and "turn:turn.example.com:3478?transport=udp" in line
    assert entry["username"] not in caplog.text and entry["credential"] not in caplog.text
