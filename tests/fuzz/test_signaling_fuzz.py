"""Fuzzing the signaling socket of a real server: at least 10,000 generated and mutated
messages and SDP bodies (oversize, wrong types, wrong order, invalid UTF-8, binary).
Every one must be answered or refused cleanly: no server error in the log, and a normal
call works afterwards. Inputs that ever broke the server stay below as regression cases."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from contextlib import ExitStack

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from signaling.messages import CLIENT_MESSAGE_TYPES
from tests.helpers.consent import consent_json, consent_message
from tests.helpers.peers import Peer
from tests.helpers.ws import HELLO, buyer_cookie, recv_type, staff_cookie, ws_url

MESSAGES_PER_EXAMPLE = 50
EXAMPLES = 220  # 220 x 50 = 11,000 messages
CAP = 64 * 1024

# Inputs that once made the server misbehave; sent first, every run.
REGRESSIONS: list[str | bytes] = [
    '{"type":[]}',  # a non-string type raised TypeError in the parser
    '{"type":"offer","sdp":"v=0\\r\\nthis is not sdp\\r\\n"}',  # was answered with no media
]

VALID = [
    {"type": "ping"},
    {"type": "set_availability", "state": "available"},
    {"type": "set_availability", "state": "away"},
    consent_message(True),
    consent_message(False),
    {"type": "accept", "session_id": "0123456789abcdef0123456789abcdef"},
    {"type": "accept_next"},
    {"type": "end"},
    {"type": "chat", "text": "hello"},
    {"type": "media", "camera": True, "microphone": False},
    {"type": "capture"},
    {"type": "camera_request", "torch": True},
    {"type": "camera_request", "zoom": 2.5},
    {"type": "camera_reply", "request_id": 1, "result": "not_supported"},
    {
        "type": "product_card",
        "card": {"name": "Lamp", "sku": "L-1", "price": "EUR 9", "url": "https://shop.example/l"},
    },
    {"type": "admit_device", "admit": False},
    {"type": "phrase", "session_id": "0123456789abcdef0123456789abcdef", "phrase_id": 1},
    {"type": "quality", "state": "poor"},
    {"type": "ice_error", "error_code": 401, "url": "turn:turn.example.com:3478"},
    {"type": "phone_camera_stop", "session_id": "0123456789abcdef0123456789abcdef"},
    {
        "type": "phone_camera_photo",
        "session_id": "0123456789abcdef0123456789abcdef",
        "capture_id": "5d41402abc4b2a76b9719d911017c592",
    },
    {"type": "camera_photo_failed", "capture_id": "5d41402abc", "problem": "camera_off"},
    {"type": "candidate", "candidate": None},
    {
        "type": "candidate",
        "candidate": {
            "candidate": "candidate:1 1 udp 2122260223 192.0.2.7 50000 typ host",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
        },
    },
    {"type": "hello", "v": 1},
]

# messages only the server sends: a client's copy is refused (bad_message), never obeyed
SERVER_ONLY = [
    {
        "type": "camera_take_photo",
        "session_id": "0123456789abcdef0123456789abcdef",
        "capture_id": "5d41402abc4b2a76b9719d911017c592",
    },
    {
        "type": "phone_camera_photo_failed",
        "session_id": "0123456789abcdef0123456789abcdef",
        "capture_id": "5d41402abc4b2a76b9719d911017c592",
        "problem": "upload_failed",
    },
    {
        "type": "inspection",
        "session_id": "0123456789abcdef0123456789abcdef",
        "items": [{"key": "shipping_label", "state": "approved", "photo_ids": [1]}],
        "signoff": "approved",
    },
    {
        "type": "photo",
        "session_id": "0123456789abcdef",
        "photo_id": 1,
        "width": 1,
        "height": 1,
        "t_ms": 0,
    },
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _real_offer() -> str:
    async def make() -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver("audio", "sendrecv")
        pc.addTransceiver("video", "sendrecv")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(make())


@st.composite
def mutated_sdp(draw, base: str) -> str:
    lines = base.split("\r\n")
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["drop", "dup", "garble", "truncate", "insert"]))
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        if op == "drop" and lines:
            lines.pop(i)
        elif op == "dup" and lines:
            lines.insert(i, lines[i])
        elif op == "garble" and lines:
            lines[i] = draw(st.text(max_size=60))
        elif op == "truncate" and lines:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        else:
            lines.insert(
                i, draw(st.sampled_from(["a=end-of-candidates", "m=video 9 X 96", "c=IN IP4"]))
            )
    return "\r\n".join(lines)


@st.composite
def frames(draw, offer: str) -> str | bytes:
    kind = draw(st.sampled_from(["valid", "mutated", "json", "text", "bytes", "oversize", "sdp"]))
    if kind == "valid":
        return json.dumps(draw(st.sampled_from(VALID + SERVER_ONLY)))
    if kind == "mutated":
        message = dict(draw(st.sampled_from(VALID + SERVER_ONLY)))
        key = draw(st.sampled_from(sorted(message)))
        action = draw(st.sampled_from(["drop", "retype", "extra", "type"]))
        if action == "drop":
            message.pop(key)
        elif action == "retype":
            message[key] = draw(json_values)
        elif action == "extra":
            message[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
        else:
            message["type"] = draw(json_values)
        return json.dumps(message)
    if kind == "json":
        return json.dumps(draw(json_values))
    if kind == "text":
        return draw(st.text(max_size=200))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "oversize":
        return json.dumps({"type": "chat", "text": "x" * (CAP + draw(st.integers(1, 100)))})
    return json.dumps({"type": "offer", "sdp": draw(mutated_sdp(offer))})


class Session:
    """A signaling socket that reconnects when the server closed it (e.g. after 1009)."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url, self.cookie = url, cookie
        self.socket: ClientConnection | None = None
        self.stack = ExitStack()
        self.closes: list[tuple[int, int]] = []  # (close code, largest frame sent on it)
        self.largest = 0

    def send(self, frame: str | bytes) -> None:
        for _ in range(2):
            if self.socket is None:
                self.stack.close()  # the previous socket, if any
                self.socket = self.stack.enter_context(
                    connect(self.url, additional_headers={"Cookie": self.cookie}, max_size=None)
                )
                self.socket.send(HELLO)
                self.largest = 0
            try:
                self.largest = max(self.largest, len(frame))
                self.socket.send(frame)
                return
            except ConnectionClosed as closed:
                self._closed(closed)

    def drain(self) -> None:
        """Read what the server sent so far (detects a close)."""
        if self.socket is None:
            return
        try:
            while True:
                self.socket.recv(timeout=0.05)
        except TimeoutError:
            return
        except ConnectionClosed as closed:
            self._closed(closed)

    def _closed(self, closed: ConnectionClosed) -> None:
        self.closes.append((closed.rcvd.code if closed.rcvd else 1006, self.largest))
        self.socket = None

    def close(self) -> None:
        self.stack.close()


@pytest.fixture
def fuzz_server(server_factory):
    return server_factory(
        limit_messages_per_socket="100000/second",
        limit_messages_per_address="100000/second",
        limit_sockets_per_address="100000/minute",
        limit_link_opens_per_address="100000/minute",
        relay_workers=2,  # its hostile offers keep a worker busy: one per core answers faster
    )


def test_the_fuzz_sends_every_client_message_and_server_only_ones():
    """A new message type joins the frames below (offers come from the ``sdp`` kind)."""
    assert {m["type"] for m in VALID} | {"offer"} == set(CLIENT_MESSAGE_TYPES)
    assert not {m["type"] for m in SERVER_ONLY} & set(CLIENT_MESSAGE_TYPES)


def test_ten_thousand_hostile_frames_cause_no_server_error(fuzz_server, caplog):
    caplog.set_level(logging.WARNING)
    # uvicorn's loggers do not propagate to the root: watch them directly too
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addHandler(caplog.handler)
    server = fuzz_server
    buyer = asyncio.run(buyer_cookie(server, "ORD-FUZZ"))
    agent = asyncio.run(staff_cookie(server, "fuzz@shop.test"))
    sessions = [Session(ws_url(server, "buyer"), buyer), Session(ws_url(server, "staff"), agent)]
    offer = _real_offer()
    sent = 0

    for regression in REGRESSIONS:
        for session in sessions:
            session.send(regression)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(frames(offer), min_size=MESSAGES_PER_EXAMPLE, max_size=MESSAGES_PER_EXAMPLE))
    def send_batch(batch):
        nonlocal sent
        for frame in batch:
            random.choice(sessions).send(frame)
            sent += 1
        for session in sessions:
            session.drain()

    try:
        send_batch()
    finally:
        for session in sessions:
            session.close()
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).removeHandler(caplog.handler)
    assert sent >= 10_000
    closes = [close for s in sessions for close in s.closes]
    # only documented close codes; a 1009 can reach the client as a bare TCP close (1006)
    # when it was still sending, so 1006 is allowed on a socket that sent an oversize frame
    unexpected = [
        (code, size) for code, size in closes if code not in {1000, 1008, 1009} and size <= CAP
    ]
    assert not unexpected, unexpected
    problems = [
        f"{r.name}: {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith("websockets.client")  # the test's own client
        and (r.levelno >= logging.ERROR or "Traceback" in (r.exc_text or ""))
    ]
    assert not problems, problems[:5]
    asyncio.run(_a_normal_call_still_works(server))


async def _a_normal_call_still_works(server) -> None:
    import websockets

    agent_cookie = await staff_cookie(server, "after@shop.test")
    cookie = await buyer_cookie(server, "ORD-AFTER")
    async with (
        websockets.connect(
            ws_url(server, "staff"), additional_headers={"Cookie": agent_cookie}
        ) as a,
        websockets.connect(ws_url(server, "buyer"), additional_headers={"Cookie": cookie}) as b,
    ):
        for ws in (a, b):
            await ws.send(HELLO)
            await recv_type(ws, "rtc_config")
        await a.send(json.dumps({"type": "set_availability", "state": "available"}))
        await b.send(consent_json(True))
        waiting = await recv_type(b, "call", where=lambda m: m["state"] == "waiting")
        buyer_peer = Peer(b)
        try:
            await buyer_peer.connect_media(send_video=True, send_audio=True)
            await a.send(json.dumps({"type": "accept", "session_id": waiting["session_id"]}))
            await recv_type(b, "call", where=lambda m: m["state"] == "live")
            await b.send(json.dumps({"type": "chat", "text": "still here"}))
            assert (await recv_type(a, "chat"))["text"] == "still here"
        finally:
            await buyer_peer.close()
