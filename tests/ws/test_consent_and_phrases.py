"""Consent that can be proven, and quick phrases in the buyer's language, over real
sockets against a real server on loopback."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from tests.helpers.accounts import PASSWORD, add_user
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import async_wait_until
from tests.helpers.ws import HELLO, buyer_cookie, recv_type, staff_cookie, ws_url

GERMAN_CONSENT = {"locale": "de", "consent_version": 1, "timezone": "Europe/Berlin"}


@contextlib.asynccontextmanager
async def signed_in(server: LiveServer, email: str, role: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a new staff member, signed in, sending its CSRF token."""
    add_user(server.app, email, role, email.split("@")[0].title())
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        http.headers["X-CSRF-Token"] = answer.cookies["csrf_token"]
        yield http


async def stored_call(http: httpx.AsyncClient, session_id: str, **wanted: Any) -> dict:
    """The call as review shows it, once the fields in ``wanted`` are stored so."""

    async def read() -> dict | bool:
        answer = await http.get(f"/api/sessions/{session_id}")
        if answer.status_code != 200:
            return False
        body = answer.json()
        return body if all(body.get(k) == v for k, v in wanted.items()) else False

    return await async_wait_until(read, 5, f"call {session_id} stored with {wanted}")


async def say_hello(ws: Any) -> None:
    await ws.send(HELLO)
    await recv_type(ws, "rtc_config")


@contextlib.asynccontextmanager
async def answered_call(
    server: LiveServer, agent_cookie: str, consent: dict
) -> AsyncIterator[tuple[Any, Any, dict]]:
    """A German link's buyer consents with ``consent`` and the agent accepts (no media:
    signaling only). Yields (agent socket, buyer socket, the queue item the agent saw)."""
    buyer = await buyer_cookie(server, "ORD-42")
    async with (
        websockets.connect(
            ws_url(server, "staff"), additional_headers={"Cookie": agent_cookie}
        ) as agent_ws,
        websockets.connect(
            ws_url(server, "buyer"), additional_headers={"Cookie": buyer}
        ) as buyer_ws,
    ):
        await say_hello(agent_ws)
        await say_hello(buyer_ws)
        await agent_ws.send(json.dumps({"type": "set_availability", "state": "available"}))
        await buyer_ws.send(json.dumps({"type": "consent", "accept": True, **consent}))
        queue = await recv_type(agent_ws, "queue", where=lambda m: m["items"])
        item = queue["items"][0]
        await agent_ws.send(json.dumps({"type": "accept", "session_id": item["session_id"]}))
        await recv_type(agent_ws, "call", where=lambda m: m["state"] == "live")
        await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "live")
        yield agent_ws, buyer_ws, item


async def test_a_declined_consent_stores_its_locale_version_and_time_zone_and_review_shows_them(
    live_server,
):
    buyer = await buyer_cookie(live_server, "ORD-9")
    async with websockets.connect(
        ws_url(live_server, "buyer"), additional_headers={"Cookie": buyer}
    ) as ws:
        await say_hello(ws)
        await ws.send(json.dumps({"type": "consent", "accept": False, **GERMAN_CONSENT}))
        ended = await recv_type(ws, "call")
    assert ended["end_reason"] == "buyer_declined"
    assert ended["buyer_locale"] == "de" and ended["buyer_timezone"] == "Europe/Berlin"
    async with signed_in(live_server, "sue@shop.test", "supervisor") as sue:
        call = await stored_call(sue, ended["session_id"], consent_decision="declined")
    assert call["consent_locale"] == "de" and call["consent_version"] == 1
    assert call["buyer_timezone"] == "Europe/Berlin" and call["consent_at"] == call["created_at"]
    text = call["consent_text"]
    assert (text["locale"], text["version"], text["purpose"]) == ("de", 1, "damage_verification")
    assert text["title"] == "Zeigen Sie uns das Problem"
    assert "ORD-9" in text["paragraphs"][0] and "Test Shop" in text["paragraphs"][0]


async def test_an_accepted_consent_keeps_its_version_when_the_text_changes_later(live_server):
    agent = await staff_cookie(live_server, "ana@shop.test")
    async with answered_call(live_server, agent, GERMAN_CONSENT) as (agent_ws, buyer_ws, item):
        assert item["buyer_locale"] == "de" and item["buyer_timezone"] == "Europe/Berlin"
        await agent_ws.send(json.dumps({"type": "end"}))
        await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "ended")
    session_id = item["session_id"]
    async with signed_in(live_server, "root@shop.test", "admin") as root:
        published = await root.post(
            "/api/consent-texts",
            json={
                "purpose": "damage_verification",
                "locale": "de",
                "title": "Neuer Titel",
                "paragraphs": ["Neuer Text für {order}."],
                "recorded_note": "Wird aufgezeichnet.",
            },
        )
        assert published.status_code == 201 and published.json()["version"] == 2
        call = await stored_call(root, session_id, state="ended", consent_decision="accepted")
    assert (call["consent_locale"], call["consent_version"]) == ("de", 1)
    assert call["consent_text"]["version"] == 1
    assert call["consent_text"]["title"] == "Zeigen Sie uns das Problem"


@pytest.mark.parametrize(
    ("fields", "code", "names"),
    [
        ({**GERMAN_CONSENT, "consent_version": 99}, "consent_outdated", "99"),
        ({**GERMAN_CONSENT, "locale": "sv"}, "bad_message", "consent.locale"),
        ({"locale": "de", "timezone": "Europe/Berlin"}, "bad_message", "consent.consent_version"),
        ({"locale": "de", "consent_version": 1}, "bad_message", "consent.timezone"),
        ({}, "bad_message", "consent.locale"),  # a page that names no text at all
        ({**GERMAN_CONSENT, "timezone": "Mars/Olympus"}, "bad_message", "consent.timezone"),
        ({**GERMAN_CONSENT, "timezone": "CEST"}, "bad_message", "consent.timezone"),
        ({**GERMAN_CONSENT, "consent_version": 0}, "bad_message", "consent.consent_version"),
    ],
)
async def test_a_consent_naming_a_text_or_time_zone_that_does_not_exist_is_refused(
    live_server, fields, code, names
):
    buyer = await buyer_cookie(live_server, "ORD-5")
    async with websockets.connect(
        ws_url(live_server, "buyer"), additional_headers={"Cookie": buyer}
    ) as ws:
        await say_hello(ws)
        await ws.send(json.dumps({"type": "consent", "accept": True, **fields}))
        error = await recv_type(ws, "error")
        assert error["code"] == code and names in error["message"]
        assert error["in_reply_to"] == "consent"
        await ws.send(json.dumps({"type": "consent", "accept": True, **GERMAN_CONSENT}))
        waiting = await recv_type(ws, "call")  # nothing was started by the refused one
        assert waiting["state"] == "waiting" and waiting["buyer_locale"] == "de"


async def quick_phrase_ids(http: httpx.AsyncClient) -> dict[str, int]:
    items = (await http.get("/api/quick-phrases")).json()["items"]
    return {item["texts"]["en"]: item["id"] for item in items}


async def test_a_quick_phrase_reaches_a_german_buyer_in_german_and_the_agent_in_english(
    live_server,
):
    async with signed_in(live_server, "ana@shop.test", "agent") as ana:
        ids = await quick_phrase_ids(ana)
        cookie = f"showdesk_session={ana.cookies['showdesk_session']}"
        async with answered_call(live_server, cookie, GERMAN_CONSENT) as (agent_ws, buyer_ws, item):
            phrase_id = ids["Please turn the box over."]
            session_id = item["session_id"]
            await agent_ws.send(
                json.dumps({"type": "phrase", "session_id": session_id, "phrase_id": phrase_id})
            )
            to_buyer = await recv_type(buyer_ws, "chat")
            to_agent = await recv_type(agent_ws, "chat")
            await agent_ws.send(json.dumps({"type": "end"}))
            await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "ended")
        call = await stored_call(ana, session_id, state="ended")
    assert to_buyer["text"] == "Bitte drehen Sie den Karton um."
    assert to_agent["text"] == "Please turn the box over."
    assert to_buyer["phrase_id"] == to_agent["phrase_id"] == phrase_id
    assert to_buyer["from"] == "agent" and to_buyer["t_ms"] == to_agent["t_ms"]
    [line] = call["chat"]
    assert line["text"] == "Please turn the box over." and line["phrase_id"] == phrase_id
    assert line["buyer_text"] == "Bitte drehen Sie den Karton um." and line["buyer_locale"] == "de"


async def test_an_agent_who_switches_to_chinese_during_the_call_gets_the_phrase_in_chinese(
    live_server,
):
    async with signed_in(live_server, "li@shop.test", "agent") as li:
        ids = await quick_phrase_ids(li)
        cookie = f"showdesk_session={li.cookies['showdesk_session']}"
        consent = {"locale": "pt-BR", "consent_version": 1, "timezone": "America/Sao_Paulo"}
        async with answered_call(live_server, cookie, consent) as (agent_ws, buyer_ws, item):
            changed = await li.patch(
                "/api/me", json={"locale": "zh-CN", "timezone": "Asia/Shanghai"}
            )
            assert changed.status_code == 200 and changed.json()["locale"] == "zh-CN"
            message = {"type": "phrase", "session_id": item["session_id"]}
            await agent_ws.send(json.dumps({**message, "phrase_id": ids["Can you hear me?"]}))
            assert (await recv_type(buyer_ws, "chat"))["text"] == "Você está me ouvindo?"
            assert (await recv_type(agent_ws, "chat"))["text"] == "您能听到我说话吗？"


async def test_only_the_calls_agent_may_send_a_phrase_and_only_one_that_exists(live_server):
    async with (
        signed_in(live_server, "ana@shop.test", "agent") as ana,
        signed_in(live_server, "root@shop.test", "admin") as root,
    ):
        ids = await quick_phrase_ids(root)
        light = ids["Please turn on the light."]
        hear = ids["Can you hear me?"]
        off = await root.patch(f"/api/quick-phrases/{hear}", json={"active": False})
        assert off.status_code == 200
        other = await staff_cookie(live_server, "bob@shop.test")
        cookie = f"showdesk_session={ana.cookies['showdesk_session']}"
        async with (
            answered_call(live_server, cookie, GERMAN_CONSENT) as (agent_ws, buyer_ws, item),
            websockets.connect(
                ws_url(live_server, "staff"), additional_headers={"Cookie": other}
            ) as bob_ws,
        ):
            await say_hello(bob_ws)
            phrase = {"type": "phrase", "session_id": item["session_id"]}
            for ws, phrase_id, code in (
                (bob_ws, light, "forbidden"),
                (buyer_ws, light, "forbidden"),
                (agent_ws, 9999, "phrase_not_found"),
                (agent_ws, hear, "phrase_not_found"),
            ):
                await ws.send(json.dumps({**phrase, "phrase_id": phrase_id}))
                error = await recv_type(ws, "error")
                assert (error["code"], error["in_reply_to"]) == (code, "phrase")
            await agent_ws.send(json.dumps({**phrase, "phrase_id": light}))
            said = await recv_type(buyer_ws, "chat")  # the first chat line: the refused sent none
            assert said["text"] == "Schalten Sie bitte das Licht ein."
