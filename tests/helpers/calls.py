"""A call driven through the real protocol (signaling/PROTOCOL.md) by aiortc clients: a
buyer that sends a pre-encoded VP8 clip and Opus, an agent that sends Opus. Works
against an in-process server or a separate server process (only its URL and database
are used)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from sqlalchemy.engine import Engine

from tests.helpers.accounts import PASSWORD, create_account
from tests.helpers.consent import consent_json
from tests.helpers.links import create_link_in
from tests.helpers.peers import Client, Clips
from tests.helpers.ws import HELLO, recv_type

Receive = Callable[..., Awaitable[dict]]  # recv_type's signature: (ws, type, timeout_s, where)


def engine_cookies(
    engine: Engine, base_url: str
) -> tuple[Callable[[str], Awaitable[str]], Callable[[str], Awaitable[str]]]:
    """Cookie makers for a server at ``base_url`` whose database is ``engine``: ``staff(
    email)`` makes an agent and signs in, ``buyer(order_ref)`` makes a link and opens
    it; each returns a ``Cookie`` header value."""

    async def staff(email: str) -> str:
        create_account(engine, email, "agent", "Ana")
        async with httpx.AsyncClient(base_url=base_url) as http:
            answer = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            return f"showdesk_session={answer.cookies['showdesk_session']}"

    async def buyer(order_ref: str) -> str:
        _, url = create_link_in(engine, base_url, order_ref, locale="de")
        async with httpx.AsyncClient() as http:
            opened = await http.get(url, follow_redirects=False)
            assert opened.status_code == 303
            return f"showdesk_call={opened.cookies['showdesk_call']}"

    return staff, buyer


def call_clients(clips: Clips | None = None, keep_media: bool = True) -> tuple[Client, Client]:
    """(buyer, agent) as the pages set them up in a damage check: the buyer sends video
    and voice and receives both (the agent's camera is off), the agent receives video
    and sends and receives voice."""
    buyer, agent = Client(clips, keep_media), Client(clips, keep_media)
    buyer.send("video", receive=True)
    buyer.send("audio", receive=True)
    agent.receive("video")
    agent.send("audio", receive=True)
    return buyer, agent


async def negotiate(
    client: Client, ws: Any, timeout_s: float = 10, receive: Receive = recv_type
) -> None:
    """Send ``client``'s offer over ``ws`` and apply the server's answer."""
    await ws.send(json.dumps({"type": "offer", "sdp": await client.offer()}))
    answer = await receive(ws, "answer", timeout_s=timeout_s)
    await client.accept(answer["sdp"])


async def answer_call(
    agent_ws: Any,
    buyer_ws: Any,
    buyer: Client,
    agent: Client,
    *,
    hello_timeout_s: float = 5,
    state_timeout_s: float = 2,
    answer_timeout_s: float = 10,
    receive: Receive = recv_type,
) -> tuple[str, float]:
    """On two open sockets: both say hello, the agent goes available, the buyer consents
    and connects media while waiting, the agent accepts and connects media. Returns
    (the call's session id, ``time.monotonic()`` when the agent saw it live). Each
    message is awaited at most its timeout (``rtc_config``, call states, SDP answers);
    ``receive`` reads one (default ``recv_type``)."""
    for ws in (agent_ws, buyer_ws):
        await ws.send(HELLO)
        await receive(ws, "rtc_config", timeout_s=hello_timeout_s)
    await agent_ws.send(json.dumps({"type": "set_availability", "state": "available"}))
    await buyer_ws.send(consent_json(True))

    def state_is(state: str) -> Callable[[dict], bool]:
        return lambda message: message["state"] == state

    waiting = await receive(buyer_ws, "call", timeout_s=state_timeout_s, where=state_is("waiting"))
    await negotiate(buyer, buyer_ws, answer_timeout_s, receive)
    await agent_ws.send(json.dumps({"type": "accept", "session_id": waiting["session_id"]}))
    await receive(agent_ws, "call", timeout_s=state_timeout_s, where=state_is("live"))
    live_at = time.monotonic()
    await receive(buyer_ws, "call", timeout_s=state_timeout_s, where=state_is("live"))
    await negotiate(agent, agent_ws, answer_timeout_s, receive)
    return waiting["session_id"], live_at


@dataclass
class LiveCall:
    session_id: str
    buyer: Client
    agent: Client
    buyer_ws: Any
    agent_ws: Any
    live_at: float  # time.monotonic() when the call went live
    ended_at: float | None = None
    extra: dict = field(default_factory=dict)

    async def end(self) -> None:
        """The agent ends the call; returns once the buyer is told."""
        await self.agent_ws.send(json.dumps({"type": "end"}))
        await recv_type(self.buyer_ws, "call", timeout_s=5, where=lambda m: m["state"] == "ended")
        self.ended_at = time.monotonic()

    @property
    def live_s(self) -> float:
        assert self.ended_at is not None
        return self.ended_at - self.live_at


@contextlib.asynccontextmanager
async def live_call(base_url: str, agent_cookie: str, buyer_cookie: str) -> AsyncIterator[LiveCall]:
    """A call the agent has answered, with the buyer's video and both voices flowing;
    the clients and sockets are closed on leaving."""
    ws_base = base_url.replace("http://", "ws://")
    buyer, agent = call_clients()
    try:
        async with (
            websockets.connect(
                f"{ws_base}/ws?as=staff", additional_headers={"Cookie": agent_cookie}
            ) as agent_ws,
            websockets.connect(
                f"{ws_base}/ws?as=buyer", additional_headers={"Cookie": buyer_cookie}
            ) as buyer_ws,
        ):
            session_id, live_at = await answer_call(agent_ws, buyer_ws, buyer, agent)
            yield LiveCall(session_id, buyer, agent, buyer_ws, agent_ws, live_at)
    finally:
        await agent.close()
        await buyer.close()
