"""A recorded call driven through the real protocol by aiortc peers: a buyer that
sends a pre-encoded VP8 clip and Opus, an agent that sends Opus. Works against an
in-process server or a separate server process (only its URL and database are used)."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import functools
import hashlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import av
import httpx
import websockets
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from server.accounts import users
from server.infra.security import PASSWORD_HASHING_FOR_TESTS, passwords_for
from server.links.buyer_links import create_link
from server.models import Call, Recording, Role
from server.models.link import LinkBase
from server.recording.probe import probe_file
from tests.helpers import PASSWORD, NotYet, async_wait_until
from tests.media.peers import VIDEO_FPS, Client, ClipTrack
from tests.ws.test_signaling_socket import HELLO, recv_type


@functools.cache
def vp8_clip_of(width: int, height: int, frames: int = 60) -> tuple[bytes, ...]:
    """A VP8 clip of the given size whose only keyframe is the first frame."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuv420p"
    codec.time_base = fractions.Fraction(1, VIDEO_FPS)
    codec.bit_rate = 300_000
    codec.gop_size = 10_000
    codec.options = {"deadline": "realtime", "lag-in-frames": "0", "cpu-used": "8"}
    out = []
    for index in range(frames):
        frame = av.VideoFrame(width, height, "yuv420p")
        for plane_index, plane in enumerate(frame.planes):
            value = (index * 3 + plane_index * 60) % 256
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = index
        out.extend(bytes(p) for p in codec.encode(frame))
    out.extend(bytes(p) for p in codec.encode(None))
    return tuple(out)


def switch_clip(track: ClipTrack, clip: tuple[bytes, ...]) -> None:
    """From the next frame on, ``track`` sends ``clip`` from its keyframe."""
    track._clip = clip  # noqa: SLF001
    track.restart()


def engine_cookies(engine: Engine, base_url: str):
    """Cookie makers for a server whose database is ``engine``."""

    async def staff(email: str) -> str:
        with Session(engine, expire_on_commit=False) as db:
            users.create_user(
                db,
                email=email,
                role=Role("agent"),
                name="Ana",
                password=PASSWORD,
                now=datetime.now(UTC),
                passwords=passwords_for(PASSWORD_HASHING_FOR_TESTS),  # any server verifies it
            )
        async with httpx.AsyncClient(base_url=base_url) as http:
            answer = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            return f"showdesk_session={answer.cookies['showdesk_session']}"

    async def buyer(order_ref: str) -> str:
        with Session(engine, expire_on_commit=False) as db:
            made = create_link(
                db,
                LinkBase(order_ref=order_ref, purpose="damage_verification", locale="de"),
                ttl_s=3600,
                max_ttl_s=7200,
                public_url=base_url,
                now=datetime.now(UTC),
            )
        async with httpx.AsyncClient() as http:
            opened = await http.get(made.url, follow_redirects=False)
            assert opened.status_code == 303
            return f"showdesk_call={opened.cookies['showdesk_call']}"

    return staff, buyer


@dataclass
class LiveCall:
    session_id: str
    buyer: Client
    agent: Client
    buyer_ws: object
    agent_ws: object
    live_at: float  # time.monotonic() when the call went live
    ended_at: float | None = None
    extra: dict = field(default_factory=dict)

    async def end(self) -> None:
        await self.agent_ws.send(json.dumps({"type": "end"}))
        await recv_type(self.buyer_ws, "call", timeout_s=5, where=lambda m: m["state"] == "ended")
        self.ended_at = time.monotonic()

    @property
    def live_s(self) -> float:
        assert self.ended_at is not None
        return self.ended_at - self.live_at


async def _connect(client: Client, ws) -> None:
    await ws.send(json.dumps({"type": "offer", "sdp": await client.offer()}))
    answer = await recv_type(ws, "answer", timeout_s=10)
    await client.accept(answer["sdp"])


@contextlib.asynccontextmanager
async def live_call(base_url: str, agent_cookie: str, buyer_cookie: str) -> AsyncIterator[LiveCall]:
    """A call the agent has answered, with the buyer's video and both voices flowing."""
    ws_base = base_url.replace("http://", "ws://")
    buyer, agent = Client(), Client()
    buyer.send("video", receive=True)
    buyer.send("audio", receive=True)
    agent.receive("video")
    agent.send("audio", receive=True)
    try:
        async with (
            websockets.connect(
                f"{ws_base}/ws?as=staff", additional_headers={"Cookie": agent_cookie}
            ) as agent_ws,
            websockets.connect(
                f"{ws_base}/ws?as=buyer", additional_headers={"Cookie": buyer_cookie}
            ) as buyer_ws,
        ):
            for ws in (agent_ws, buyer_ws):
                await ws.send(HELLO)
                await recv_type(ws, "rtc_config", timeout_s=5)
            await agent_ws.send(json.dumps({"type": "set_availability", "state": "available"}))
            await buyer_ws.send(json.dumps({"type": "consent", "accept": True}))
            waiting = await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "waiting")
            await _connect(buyer, buyer_ws)
            await agent_ws.send(json.dumps({"type": "accept", "session_id": waiting["session_id"]}))
            await recv_type(agent_ws, "call", where=lambda m: m["state"] == "live")
            live_at = time.monotonic()
            await recv_type(buyer_ws, "call", where=lambda m: m["state"] == "live")
            await _connect(agent, agent_ws)
            yield LiveCall(waiting["session_id"], buyer, agent, buyer_ws, agent_ws, live_at)
    finally:
        await agent.close()
        await buyer.close()


def recordings_of(engine: Engine, call_id: str) -> list[Recording]:
    with Session(engine, expire_on_commit=False) as db:
        return list(db.exec(select(Recording).where(Recording.call_id == call_id)))


def call_row(engine: Engine, call_id: str) -> Call | None:
    with Session(engine, expire_on_commit=False) as db:
        return db.get(Call, call_id)


async def wait_for(check, timeout_s: float, what: str):
    """``async_wait_until`` for a blocking ``check`` (database reads): run in a thread."""
    return await async_wait_until(lambda: asyncio.to_thread(check), timeout_s, what)


async def wait_recorded(path: Path, ms: int, timeout_s: float = 20.0) -> None:
    """Wait until the track file at ``path`` holds ``ms`` of media, as a reader sees it
    while it is written (up to its last complete cluster)."""

    def enough() -> bool | NotYet:
        if not path.exists():
            return NotYet("no file yet")
        facts = probe_file(path)
        return facts.duration_ms >= ms or NotYet(f"{facts.duration_ms} ms in the file")

    await wait_for(enough, timeout_s, f"{ms} ms recorded in {path.name}")


def all_ready(engine: Engine, call_id: str, review: bool = True):
    """The call's rows once every track row (and the review row) is ready."""

    def check():
        rows = recordings_of(engine, call_id)
        tracks = [r for r in rows if r.kind == "track"]
        reviews = [r for r in rows if r.kind == "review"]
        if not tracks or any(r.state != "ready" for r in tracks):
            return None
        if review and (len(reviews) != 1 or reviews[0].state != "ready"):
            return None
        return rows

    return check


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def packets_of(path: Path) -> list[av.Packet]:
    with av.open(str(path)) as container:
        return [
            (bytes(p), p.is_keyframe, float(p.pts * p.time_base))
            for p in container.demux(container.streams[0])
            if p.pts is not None
        ]


@dataclass(frozen=True)
class Run:
    """``length`` recorded frames from ``recorded_at`` equal sent frames from ``sent_at``."""

    recorded_at: int
    sent_at: int
    length: int


def runs_of_sent(recorded: list[bytes], sent: list[bytes]) -> list[Run]:
    """Split ``recorded`` into runs of consecutive ``sent`` frames, in sending order.

    Each run is matched where it is longest (a clip repeats its frames). Fails (an
    AssertionError that says where) when a recorded frame was never sent after the
    previous run: a frame made up, reordered or damaged."""
    runs: list[Run] = []
    at, after = 0, 0
    while at < len(recorded):
        best: Run | None = None
        for start in range(after, len(sent)):
            if sent[start] != recorded[at]:
                continue
            length = 1
            while (
                at + length < len(recorded)
                and start + length < len(sent)
                and sent[start + length] == recorded[at + length]
            ):
                length += 1
            if best is None or length > best.length:
                best = Run(at, start, length)
        if best is None:
            frame = recorded[at]
            raise AssertionError(
                f"recorded frame {at} of {len(recorded)} ({len(frame)} bytes, starts "
                f"{frame[:6].hex()}) is not a sent frame after sent[{after}] of {len(sent)}"
                f" (sent at all: {frame in sent}); runs so far: {runs}"
            )
        runs.append(best)
        at, after = at + best.length, best.sent_at + best.length
    return runs


def decoded_video(path: Path) -> list[tuple[int, int, float]]:
    with av.open(str(path)) as container:
        return [(f.width, f.height, f.time) for f in container.decode(video=0)]


def decoded_audio_samples(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(f.samples for f in container.decode(audio=0))
