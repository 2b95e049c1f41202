"""Relay capacity: how many recorded calls one Showdesk server holds at full frame rate.

Starts a real server the README's way (``python -m server.cli serve --port P``, a temporary
data directory, limits raised through ``SHOWDESK_*`` variables) and waits until its relay
worker processes, which carry the media, have started (``--relay-workers``, by default the
server's: one per core). Creates an admin and an API key with the CLI, agents through
``/api/users`` and one buyer link per call through ``/api/links``, then holds N calls at
once through the real signaling protocol with aiortc clients, for N = 1, 2, 4, 8, ...
until a step fails or the time budget is spent:

- each buyer sends a prerecorded 640x480 30 fps VP8 clip (about 1 Mbps) and Opus, and
  receives the agent's voice; each agent sends Opus and receives the buyer's video and
  voice. The clips are encoded once; the clients pass the encoded frames through
  (no encoding) and count what they receive without decoding (the relay's own receiver
  tap), so that they cost little. Calls are recorded, as every call is;
- the clients run in ``--client-procs`` processes of their own (default: one per core);
- after a warm-up, one window of ``--window-s`` seconds is measured: the server's CPU
  (the server process and all its children, the relay workers among them, from /proc;
  also split into the control plane, each worker, and each one's event-loop thread), its
  memory (resident, the same process tree), the control plane's event-loop lag
  (``showdesk_event_loop_lag_seconds``) and the relay workers' (their
  ``showdesk_relay_worker_loop_lag_seconds``, merged), how the calls were spread over the
  workers (``showdesk_relay_worker_calls``), all three from ``/metrics``, and what each
  receiver got.

``--baseline`` measures, in the same run, aiortc's ``MediaRelay`` (decode and re-encode,
aiortc's own encoders) at small N in a small standalone relay process this script starts
(the server has no such mode, on purpose): same clients, same clips, no recording.

``--profile-at N`` samples the server and its relay workers with py-spy
(``record --subprocesses``; ``pip install -e '.[bench]'``) during step N's window, in a
step of its own, and prints where the time goes per process: the control plane, the
workers (merged), any other child.

Every process it starts is stopped at the end (also on Ctrl-C and SIGTERM). Only loopback
traffic. Results in docs/performance.md ("Relay capacity"). The clients are the tests'
(tests/helpers/peers.py): it needs the test extras (``pip install -e '.[test]'``).

    .venv/bin/python bench/relay_load.py --baseline --profile-at 8
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import platform
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from common import (  # bench/common.py; it puts the repository on sys.path
    CLK_TCK,
    ROOT,
    cpu_model,
    free_port,
    machine_busy_s,
    process_ticks,
    process_tree,
    relay_workers,
    thread_ticks,
    tree_usage,
)

VIDEO_SIZE = (640, 480)
VIDEO_FPS = 30
VIDEO_BITRATE = 1_000_000
VIDEO_CLIP_FRAMES = 90  # 3 s, looped; its only keyframe is the first frame
AUDIO_CLIP_FRAMES = 50  # 1 s of 20 ms Opus, looped

FULL_RATE_FPS = 29.0  # a call "held" when its agent got at least this many frames a second
MAX_LOSS = 0.01  # ... and lost less than this share of the buyer's video frames
SETUP_CONCURRENCY = 6  # calls being set up at once per client process
SETTLE_TIMEOUT_S = 90.0  # after a step: calls ended, recordings final, review files made
STOP_TIMEOUT_S = 20.0


# ---------------------------------------------------------------------------- clips


def encode_clips() -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """The buyer's video (VP8, 640x480, 30 fps, ~1 Mbps) and everyone's voice (Opus)."""
    from tests.helpers.clips import encode_vp8, opus_clip

    rng = random.Random(7)
    ramp = bytes((x // 3) % 256 for x in range(4096))

    def paint(frame: Any, index: int) -> None:  # a moving ramp, and noise keeps the rate up
        for plane_index, plane in enumerate(frame.planes):
            line = plane.line_size
            rows = plane.buffer_size // line
            data = bytearray(
                b"".join(
                    ramp[(row + index * 6 + plane_index * 90) % 2048 :][:line]
                    for row in range(rows)
                )
            )
            if plane_index == 0:  # a moving patch of noise keeps the encoder at its rate
                for row in range(96):
                    start = (100 + row) * line + 200 + (index * 4) % 300
                    data[start : start + 128] = rng.randbytes(128)
            plane.update(bytes(data))

    video = encode_vp8(*VIDEO_SIZE, VIDEO_CLIP_FRAMES, VIDEO_BITRATE, paint)
    audio = opus_clip(AUDIO_CLIP_FRAMES, tone_hz=330.0, amplitude=6000)
    return video, audio


def clip_bitrate(video: tuple[bytes, ...]) -> float:
    """Bits per second of the looped part of the clip (the keyframe is sent once)."""
    deltas = video[1:]
    return sum(len(f) for f in deltas) * 8 * VIDEO_FPS / len(deltas)


# ---------------------------------------------------------------------------- clients
# Everything below until "the server" runs in the client processes. The participants are
# the tests' fake client (tests/helpers/peers.py: clips passed through, frames counted
# through the relay's own receiver tap, none kept).


async def next_message(ws: Any, wanted: str, timeout_s: float, where=lambda m: True) -> dict:  # noqa: ANN001
    """The next message of type ``wanted`` for which ``where`` holds; an ``error`` from
    the server fails at once (the tests' ``recv_type`` would skip it)."""

    async def _next() -> dict:
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == "error":
                raise RuntimeError(f"server error: {message}")
            if message.get("type") == wanted and where(message):
                return message

    return await asyncio.wait_for(_next(), timeout_s)


@dataclass
class CallClient:
    """Both participants of one call, as seen from the client side."""

    index: int
    buyer: Any  # tests.helpers.peers.Client
    agent: Any
    sockets: list[Any] = field(default_factory=list)
    readers: list[asyncio.Task] = field(default_factory=list)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    setup_s: float = 0.0

    def counts(self) -> dict[str, int]:
        return {
            "video_sent": self.buyer.sent_count("video"),
            "buyer_audio_sent": self.buyer.sent_count("audio"),
            "agent_audio_sent": self.agent.sent_count("audio"),
            "video_received": self.agent.received_count("video"),
            "buyer_audio_received": self.agent.received_count("audio"),
            "agent_audio_received": self.buyer.received_count("audio"),
            "keyframe_requests": self.buyer.keyframe_requests,
        }

    async def drain(self, ws: Any) -> None:
        """Read a socket forever (a socket that is not read is closed by the server)."""
        with contextlib.suppress(Exception):
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "call" and message.get("state") == "ended":
                    self.ended.set()

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(self.agent.close(), self.buyer.close(), return_exceptions=True)
        for ws in self.sockets:
            with contextlib.suppress(Exception):
                await ws.close()


def new_call(index: int, clips: dict[str, tuple[bytes, ...]]) -> CallClient:
    """A call's two participants as the pages set them up (the agent's camera is off)."""
    from tests.helpers.calls import call_clients

    buyer, agent = call_clients(clips, keep_media=False)
    return CallClient(index, buyer, agent)


async def start_showdesk_call(spec: dict, clips: dict[str, tuple[bytes, ...]]) -> CallClient:
    """The real protocol, as the pages do it (see signaling/PROTOCOL.md)."""
    import websockets

    from tests.helpers.calls import answer_call

    started = time.monotonic()
    call = new_call(spec["index"], clips)
    ws_base = spec["base_url"].replace("http://", "ws://")
    try:
        agent_ws = await websockets.connect(
            f"{ws_base}/ws?as=staff", additional_headers={"Cookie": spec["agent_cookie"]}
        )
        call.sockets.append(agent_ws)
        buyer_ws = await websockets.connect(
            f"{ws_base}/ws?as=buyer", additional_headers={"Cookie": spec["buyer_cookie"]}
        )
        call.sockets.append(buyer_ws)
        await answer_call(
            agent_ws,
            buyer_ws,
            call.buyer,
            call.agent,
            hello_timeout_s=10,
            state_timeout_s=10,
            answer_timeout_s=20,
            receive=next_message,
        )
    except BaseException:
        await call.close()
        raise
    call.readers = [asyncio.ensure_future(call.drain(ws)) for ws in call.sockets]
    call.setup_s = time.monotonic() - started
    return call


async def start_baseline_call(spec: dict, clips: dict[str, tuple[bytes, ...]]) -> CallClient:
    """The same participants against the standalone MediaRelay process (its own protocol:
    one socket per participant, ``join`` with the offer, ``answer`` back)."""
    import websockets

    started = time.monotonic()
    call = new_call(spec["index"], clips)
    try:
        for role, peer in (("buyer", call.buyer), ("agent", call.agent)):
            ws = await websockets.connect(spec["relay_url"])
            call.sockets.append(ws)
            offer = await peer.offer()
            await ws.send(
                json.dumps({"type": "join", "call": spec["index"], "role": role, "sdp": offer})
            )
            await peer.accept((await next_message(ws, "answer", 20))["sdp"])
    except BaseException:
        await call.close()
        raise
    call.setup_s = time.monotonic() - started
    return call


async def end_call(call: CallClient, mode: str) -> None:
    if mode == "showdesk" and call.sockets:
        with contextlib.suppress(Exception):
            await call.sockets[0].send(json.dumps({"type": "end"}))
            await asyncio.wait_for(call.ended.wait(), 5)
    await call.close()


async def client_main(conn: Any, clips: dict[str, tuple[bytes, ...]]) -> None:
    loop = asyncio.get_running_loop()
    calls: dict[int, CallClient] = {}
    mode = "showdesk"
    while True:
        command, payload = await loop.run_in_executor(None, conn.recv)
        if command == "start":
            mode = payload["mode"]
            starter = start_showdesk_call if mode == "showdesk" else start_baseline_call
            gate = asyncio.Semaphore(SETUP_CONCURRENCY)

            async def start(spec: dict, starter=starter, gate=gate) -> dict:  # noqa: ANN001
                async with gate:
                    try:
                        call = await asyncio.wait_for(starter(spec, clips), 60)
                    except Exception as exc:  # noqa: BLE001  (reported, the step goes on)
                        return {"index": spec["index"], "ok": False, "error": repr(exc)[:300]}
                    calls[call.index] = call
                    return {"index": call.index, "ok": True, "setup_s": call.setup_s}

            conn.send(await asyncio.gather(*(start(spec) for spec in payload["calls"])))
        elif command == "snapshot":
            conn.send(
                {
                    "t": time.monotonic(),
                    "cpu_s": time.process_time(),
                    "calls": {index: call.counts() for index, call in calls.items()},
                }
            )
        elif command == "end":
            await asyncio.gather(*(end_call(call, mode) for call in calls.values()))
            calls.clear()
            conn.send("ended")
        elif command == "quit":
            await asyncio.gather(*(call.close() for call in calls.values()))
            conn.send("bye")
            return


def client_process(conn: Any, clips: dict[str, tuple[bytes, ...]]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    asyncio.run(client_main(conn, clips))


class ClientPool:
    """``count`` client processes; calls are spread over them round-robin."""

    def __init__(self, count: int, clips: dict[str, tuple[bytes, ...]]) -> None:
        context = multiprocessing.get_context("spawn")
        self.workers = []
        for _ in range(count):
            parent, child = context.Pipe()
            process = context.Process(target=client_process, args=(child, clips), daemon=True)
            process.start()
            self.workers.append((process, parent))

    def pids(self) -> list[int]:
        return [process.pid for process, _ in self.workers]

    def _ask(self, messages: list[tuple[str, Any]], timeout_s: float) -> list[Any]:
        for (_, conn), message in zip(self.workers, messages, strict=True):
            conn.send(message)
        replies = []
        for process, conn in self.workers:
            if not conn.poll(timeout_s):
                raise RuntimeError(f"client process {process.pid} did not answer")
            replies.append(conn.recv())
        return replies

    def start_calls(self, specs: list[dict], mode: str) -> list[dict]:
        shares: list[list[dict]] = [[] for _ in self.workers]
        for position, spec in enumerate(specs):
            shares[position % len(self.workers)].append(spec)
        messages = [("start", {"mode": mode, "calls": share}) for share in shares]
        return [result for reply in self._ask(messages, 180) for result in reply]

    def snapshot(self) -> dict:
        replies = self._ask([("snapshot", None)] * len(self.workers), 30)
        calls: dict[int, dict] = {}
        for reply in replies:
            calls.update(reply["calls"])
        return {
            "t": statistics.fmean(r["t"] for r in replies),
            "cpu_s": sum(r["cpu_s"] for r in replies),
            "calls": calls,
        }

    def end_calls(self) -> None:
        self._ask([("end", None)] * len(self.workers), 120)

    def close(self) -> None:
        for _, conn in self.workers:
            with contextlib.suppress(Exception):
                conn.send(("quit", None))
        for process, _ in self.workers:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)


# ---------------------------------------------------------------------------- baseline relay


async def baseline_relay_main(port: int) -> None:
    """A minimal aiortc relay with ``MediaRelay``: every frame is decoded at the relay and
    encoded again by aiortc for the receiving participant. No recording."""
    import websockets
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaRelay
    from aiortc.mediastreams import MediaStreamTrack

    relay = MediaRelay()
    calls: dict[int, dict[str, Any]] = {}

    class LateTrack(MediaStreamTrack):
        """The agent's voice for the buyer: the agent arrives after the buyer's answer."""

        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.source: asyncio.Future = asyncio.get_running_loop().create_future()

        async def recv(self):  # noqa: ANN202
            return await (await self.source).recv()

    async def handle(ws: Any) -> None:
        pc = None
        try:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") != "join":
                    continue
                call = calls.setdefault(message["call"], {"tracks": {}})
                role = message["role"]
                pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
                offer = RTCSessionDescription(sdp=message["sdp"], type="offer")
                if role == "buyer":
                    call["to_buyer"] = LateTrack()

                    @pc.on("track")
                    def on_buyer_track(track, call=call) -> None:  # noqa: ANN001
                        call["tracks"][track.kind] = track

                    await pc.setRemoteDescription(offer)
                    pc.addTrack(call["to_buyer"])
                else:

                    @pc.on("track")
                    def on_agent_track(track, call=call) -> None:  # noqa: ANN001
                        late = call.get("to_buyer")
                        if track.kind == "audio" and late is not None and not late.source.done():
                            late.source.set_result(relay.subscribe(track, buffered=False))

                    await pc.setRemoteDescription(offer)
                    for kind in ("video", "audio"):
                        source = call["tracks"].get(kind)
                        if source is not None:
                            pc.addTrack(relay.subscribe(source, buffered=False))
                await pc.setLocalDescription(await pc.createAnswer())
                await ws.send(json.dumps({"type": "answer", "sdp": pc.localDescription.sdp}))
        finally:
            if pc is not None:
                await pc.close()

    async with websockets.serve(handle, "127.0.0.1", port):
        print("ready", flush=True)
        await asyncio.Future()


# ---------------------------------------------------------------------------- the server


def resident(root: int) -> tuple[int, int]:
    """Resident bytes of the server's process tree, and of its relay workers alone."""
    tree = process_tree(root)
    workers = set(relay_workers(root))
    return (
        sum(r for _, r in tree.values()),
        sum(r for pid, (_, r) in tree.items() if pid in workers),
    )


@dataclass
class CpuReading:
    """CPU ticks of the server's parts at one moment: its main process (the control
    plane; its own threads only) and each relay worker, each with its main thread (the
    event loop) on its own."""

    root: int
    root_loop: int
    workers: dict[int, tuple[int, int]]  # pid -> (process ticks, main-thread ticks)

    @classmethod
    def read(cls, root: int, workers: list[int]) -> CpuReading:
        return cls(
            process_ticks(root),
            thread_ticks(root),
            {pid: (process_ticks(pid), thread_ticks(pid)) for pid in workers},
        )


class ManagedProcess:
    """A child process in its own process group; ``stop`` ends the group."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # children left behind, if any
        self._log.close()

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def parse_metrics(text: str) -> dict[tuple[str, tuple], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def metric(parsed: dict, name: str, **labels: str) -> float:
    return parsed.get((name, tuple(sorted(labels.items()))), 0.0)


def metric_sum(parsed: dict, name: str) -> float:
    return sum(value for (n, _), value in parsed.items() if n == name)


def metric_by(parsed: dict, name: str, label: str) -> dict[str, float]:
    """label value -> value of each series of ``name``."""
    return {
        dict(labels)[label]: value
        for (n, labels), value in parsed.items()
        if n == name and label in dict(labels)
    }


def calls_per_worker(parsed: dict) -> list[int]:
    """Calls placed on each relay worker, in slot order."""
    by_slot = metric_by(parsed, "showdesk_relay_worker_calls", "worker")
    return [int(by_slot[slot]) for slot in sorted(by_slot, key=int)]


CONTROL_PLANE_LAG = "showdesk_event_loop_lag_seconds"
WORKER_LAG = "showdesk_relay_worker_loop_lag_seconds"  # one series per worker


def lag_quantile(
    before: dict, after: dict, q: float, name: str = CONTROL_PLANE_LAG
) -> float | None:
    """``histogram_quantile`` of a loop-lag histogram over the window, in seconds: the
    growth of each series (a series that shrank, a worker restarted, counts from zero)
    summed per bucket over the series (for the workers' histogram: merged over workers)."""
    bucket_name = f"{name}_bucket"
    series: dict[tuple, dict[float, tuple[float, float]]] = {}
    for (sample, labels), value in after.items():
        if sample == bucket_name:
            rest = tuple(item for item in labels if item[0] != "le")
            le = float(dict(labels)["le"])
            previous = before.get((sample, labels), 0.0)
            series.setdefault(rest, {})[le] = (previous, value)
    merged: Counter[float] = Counter()
    for counts in series.values():
        reset = any(after_n < before_n for before_n, after_n in counts.values())
        for le, (before_n, after_n) in counts.items():
            merged[le] += after_n if reset else after_n - before_n
    buckets = sorted(merged.items())
    total = buckets[-1][1] if buckets else 0
    if total <= 0:
        return None
    rank = q * total
    previous_le, previous_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if math.isinf(le):
                return previous_le
            if count == previous_count:
                return le
            return previous_le + (le - previous_le) * (rank - previous_count) / (
                count - previous_count
            )
        previous_le, previous_count = le, count
    return previous_le


class Showdesk:
    """A Showdesk server started with the CLI, plus the accounts the bench needs."""

    def __init__(self, workdir: Path, relay_workers: int | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.metrics_token = secrets.token_urlsafe(32)
        self.env = os.environ | {
            "SHOWDESK_DATA_DIR": str(workdir / "data"),
            "SHOWDESK_PUBLIC_URL": self.url,
            "SHOWDESK_METRICS_TOKEN": self.metrics_token,
            # limits meant for browsers on the internet, not for one load generator
            "SHOWDESK_LIMIT_LINK_OPENS_PER_ADDRESS": "100000/minute",
            "SHOWDESK_LIMIT_SOCKETS_PER_ADDRESS": "100000/minute",
            "SHOWDESK_LIMIT_MESSAGES_PER_SOCKET": "1000/second",
            "SHOWDESK_LIMIT_FAILED_LOGINS_PER_ADDRESS": "1000/minute",
            "SHOWDESK_MAX_QUEUE_LENGTH": "1000",
            "SHOWDESK_MEDIA_CONNECT_TIMEOUT_S": "60",
        }
        if relay_workers:
            self.env["SHOWDESK_RELAY_WORKERS"] = str(relay_workers)
        self.admin_email = "bench-admin@bench.test"
        self.admin_password = secrets.token_urlsafe(18)
        self.api_key = ""
        self.process: ManagedProcess | None = None
        self.agents: list[str] = []  # session cookies, one per agent
        self._admin: httpx.AsyncClient | None = None

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "server.cli", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"showdesk {' '.join(args[:2])} failed: {done.stderr[-500:]}")
        return done.stdout.strip().splitlines()[-1]

    def start(self) -> None:
        self.cli(
            "user", "add", self.admin_email, "--role", "admin", "--password-stdin",
            stdin=self.admin_password + "\n",
        )  # fmt: skip
        self.api_key = self.cli("apikey", "create", "relay load bench")
        self.process = ManagedProcess(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)],
            self.env,
            self.workdir / "server.log",
        )
        deadline = time.monotonic() + 60
        while True:  # the server answers first; its relay workers start after it
            if self.process.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.process.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                healthy = httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
                if healthy and self.workers_ready():
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the server and its relay workers did not start:\n{self.process.tail()}"
                )
            time.sleep(0.2)

    def workers_ready(self) -> int:
        """How many relay workers run, once every one has started (0 before): a worker
        that has started reports its loop lag."""
        parsed = self.metrics()
        running = int(metric(parsed, "showdesk_relay_workers"))
        reporting = len(metric_by(parsed, f"{WORKER_LAG}_count", "worker"))
        return running if running and reporting == running else 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def metrics(self) -> dict:
        response = httpx.get(
            f"{self.url}/metrics",
            headers={"Authorization": f"Bearer {self.metrics_token}"},
            timeout=10,
        )
        response.raise_for_status()
        return parse_metrics(response.text)

    async def admin(self) -> httpx.AsyncClient:
        if self._admin is None:
            self._admin = httpx.AsyncClient(base_url=self.url, timeout=30)
            signed_in = await self._admin.post(
                "/api/auth/login", json={"email": self.admin_email, "password": self.admin_password}
            )
            signed_in.raise_for_status()
            self._admin.headers["X-CSRF-Token"] = self._admin.cookies["csrf_token"]
        return self._admin

    async def ensure_agents(self, count: int) -> list[str]:
        admin = await self.admin()

        async def add(index: int) -> str:
            email, password = f"bench-agent-{index}@bench.test", secrets.token_urlsafe(18)
            made = await admin.post(
                "/api/users",
                json={
                    "email": email,
                    "name": f"Agent {index}",
                    "role": "agent",
                    "password": password,
                },
            )
            made.raise_for_status()
            async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
                signed_in = await http.post(
                    "/api/auth/login", json={"email": email, "password": password}
                )
                signed_in.raise_for_status()
                return f"showdesk_session={signed_in.cookies['showdesk_session']}"

        missing = range(len(self.agents), count)
        self.agents.extend(await gather_limited([add(i) for i in missing], 4))
        return self.agents[:count]

    async def buyer_cookies(self, label: str, count: int) -> list[str]:
        async def one(index: int) -> str:
            async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
                made = await http.post(
                    "/api/links",
                    headers={"Authorization": f"Bearer {self.api_key}"},
                    json={
                        "order_ref": f"BENCH-{label}-{index}",
                        "purpose": "damage_verification",
                        "locale": "en",
                    },
                )
                made.raise_for_status()
                opened = await http.get(made.json()["url"], follow_redirects=False)
                if opened.status_code != 303:
                    raise RuntimeError(f"opening a link gave {opened.status_code}")
                return f"showdesk_call={opened.cookies['showdesk_call']}"

        return await gather_limited([one(i) for i in range(count)], 8)

    async def aclose(self) -> None:
        if self._admin is not None:
            await self._admin.aclose()
            self._admin = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def settled(self) -> bool:
        parsed = self.metrics()
        busy = (
            metric_sum(parsed, "showdesk_calls")
            + metric_sum(parsed, "showdesk_relay_legs")
            + metric(parsed, "showdesk_recording_calls")  # review jobs queued after these
            + metric(parsed, "showdesk_review_jobs_queued")
            + metric(parsed, "showdesk_recording_writer_backlog_frames")
        )
        return busy == 0


async def gather_limited(coroutines: list, limit: int) -> list:
    gate = asyncio.Semaphore(limit)

    async def run(coroutine):  # noqa: ANN001, ANN202
        async with gate:
            return await coroutine

    return await asyncio.gather(*(run(c) for c in coroutines))


# ---------------------------------------------------------------------------- profile

# Samples a second. py-spy pauses the process for each sample (its non-blocking mode gave
# stacks cut short at the loop runner here); more often disturbs the server too much.
PROFILE_RATE = 50
# Innermost frames that are a thread waiting, not working (py-spy's own idle detection
# misses some waits in C): executor threads, the recording writer, aiortc's idle decoders.
IDLE_LEAVES = (
    "_worker (concurrent/futures/thread.py)",
    "_run (server/recording/muxer.py)",
    "wait (threading.py)",
    "get (queue.py)",
)


PROFILE_AREAS: list[tuple[str, str]] = [
    ("pylibsrtp", "SRTP encrypt/decrypt (pylibsrtp)"),
    ("aiortc/rtcdtlstransport.py", "aiortc DTLS transport: RTP/RTCP demux, SRTP calls"),
    ("aiortc/rtp.py", "aiortc RTP/RTCP parse and serialize"),
    ("aiortc/codecs/", "aiortc depayload/packetize (VP8, Opus)"),
    ("aiortc/rtcrtpreceiver.py", "aiortc RTP receiver (NACK, stats, jitter)"),
    ("aiortc/rtcrtpsender.py", "aiortc RTP sender (pacing loop, retransmit history)"),
    ("aiortc/jitterbuffer.py", "aiortc jitter buffer"),
    ("aiortc/rate.py", "aiortc receive-side bandwidth estimate (REMB), per packet"),
    ("aiortc/clock.py", "aiortc clock (a datetime per packet)"),
    ("aiortc/", "aiortc, other"),
    ("aioice/", "aioice (ICE, UDP, STUN consent)"),
    ("server/relay/", "Showdesk relay (tap, forwarding tracks)"),
    ("server/recording/", "Showdesk recorder (event-loop side)"),
    ("asyncio/", "asyncio (Python side)"),
]


def profile_area(stack: list[str]) -> str:
    joined = ";".join(stack)
    if re.search(r"_run \([^)]*server/recording/muxer\.py", joined):
        return "recording writer thread (PyAV mux, file writes)"
    if "concurrent/futures/thread.py" in joined:
        return "executor threads (database writes, probes)"
    for frame in reversed(stack):  # innermost frame with a known home
        for needle, area in PROFILE_AREAS:
            if needle in frame:
                return area
    return "other"


# The innermost Python frame is the loop runner: uvloop's C code is running (socket reads
# and writes, timers, handle dispatch), or it waits in epoll.
LOOP_RUNNERS = ("asyncio/runners.py", "uvloop/__init__.py")
# The innermost frame is the stdlib loop's poll (a loop without uvloop): waiting in epoll.
LOOP_POLLS = ("select (selectors.py)",)
PROCESS_FRAME = re.compile(r'process (\d+):"')


def split_profile(raw: str) -> dict[int, list[tuple[list[str], int]]]:
    """py-spy's raw samples (``record --subprocesses``) by process: pid -> [(stack,
    count)], each stack outermost frame first, without py-spy's process frames (each
    sample starts with the chain of processes from the one sampled down to its own)."""
    by_pid: dict[int, list[tuple[list[str], int]]] = {}
    pending = ""
    for line in raw.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        stack_text, _, count_text = pending.rpartition(" ")
        if not count_text.isdigit():
            continue  # a command line with a line break in it: the sample goes on
        pending = ""
        pid = 0
        stack = []
        for frame in stack_text.split(";"):
            process = PROCESS_FRAME.match(frame)
            if process:
                pid = int(process.group(1))
            elif "(" in frame:
                stack.append(frame)
        if stack:
            by_pid.setdefault(pid, []).append((stack, int(count_text)))
    return by_pid


def summarize_profile(
    samples: list[tuple[list[str], int]], loop_cores: float, top: int = 15
) -> list[str]:
    """Where one process's time goes (or several alike, merged), from py-spy's samples,
    as shares of samples.

    py-spy pauses the process for each sample, so a paused thread looks busy wherever it
    is (waiting for the GIL included), and the event-loop thread's samples whose innermost
    frame is the loop runner are uvloop's C code *or* waiting in epoll. Shares, not
    seconds, are what the samples tell; the loop thread's CPU time comes from /proc.
    """
    self_time: Counter[str] = Counter()
    loop_areas: Counter[str] = Counter()
    thread_areas: Counter[str] = Counter()
    at_runner = polling = waiting = 0
    for stack, count in samples:
        leaf = re.sub(r":\d+\)$", ")", stack[-1])
        leaf = re.sub(r"\(/.*?(site-packages/|/lib/python3\.\d+/|/work/main/)", "(", leaf)
        in_thread = any("threading.py" in frame and "_bootstrap" in frame for frame in stack)
        if leaf in IDLE_LEAVES:
            waiting += count
        elif not in_thread and any(runner in stack[-1] for runner in LOOP_RUNNERS):
            at_runner += count
        elif not in_thread and leaf in LOOP_POLLS:
            polling += count
        elif in_thread:
            thread_areas[profile_area(stack)] += count
            self_time[leaf] += count
        else:
            loop_areas[profile_area(stack)] += count
            self_time[leaf] += count
    loop_python = sum(loop_areas.values())
    if not loop_python:
        return ["  (no samples in Python frames on the event-loop thread)"]
    lines = [
        f"  event-loop thread: {loop_cores:.2f} cores (/proc); its samples: {loop_python} in "
        f"Python frames, {at_runner} at the loop runner (uvloop's C code, or idle in epoll), "
        f"{polling} in the stdlib loop's poll (idle in epoll). Other threads: "
        f"{sum(thread_areas.values())} samples at work, {waiting} waiting (left out).",
        "  event-loop thread, share of its samples in Python frames:",
    ]
    lines += [f"    {100 * n / loop_python:5.1f}%  {area}" for area, n in loop_areas.most_common()]
    lines.append("  other threads, samples at work:")
    lines += [f"    {n:5d}  {area}" for area, n in thread_areas.most_common()]
    busy = sum(self_time.values()) or 1
    lines.append(f"  top {top} functions by own time (share of samples at work, all threads):")
    lines += [f"    {100 * n / busy:5.1f}%  {name}" for name, n in self_time.most_common(top)]
    return lines


def profile_report(raw: str, result: StepResult, server_pid: int) -> list[str]:
    """Where the time goes, per process: the control plane, then its relay workers
    (their samples merged: they do the same work), then any other child process."""
    by_pid = split_profile(raw)
    workers = result.worker_pids
    lines = [
        f"py-spy --subprocesses, {PROFILE_RATE} samples/s per process for {result.window_s:.0f} s.",
        f"control plane (pid {server_pid}): {result.control_plane_cores:.2f} cores (/proc, "
        f"its own threads)",
    ]
    lines += summarize_profile(by_pid.get(server_pid, []), result.loop_thread_cores)
    if workers:
        each = "; ".join(
            f"pid {pid}: {cores:.2f} cores, loop thread {loop:.2f}"
            for pid, cores, loop in zip(
                workers, result.worker_cores, result.worker_loop_thread_cores, strict=True
            )
        )
        lines.append(f"relay workers ({len(workers)}, samples merged; /proc: {each})")
        merged = [sample for pid in workers for sample in by_pid.get(pid, [])]
        lines += summarize_profile(merged, sum(result.worker_loop_thread_cores))
    others = {pid: n for pid, n in by_pid.items() if pid != server_pid and pid not in workers}
    if others:
        counts = ", ".join(
            f"pid {pid} {sum(count for _, count in samples)}" for pid, samples in others.items()
        )
        lines.append(f"other processes sampled (review files, ...): samples {counts}")
    return lines


def find_py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


# ---------------------------------------------------------------------------- a step


@dataclass
class StepResult:
    mode: str
    calls: int
    set_up: int = 0
    failures: list[str] = field(default_factory=list)
    window_s: float = 0.0
    server_cores: float = 0.0  # the server's process tree: control plane, relay workers
    cores_per_call: float = 0.0
    control_plane_cores: float = 0.0  # the server's main process, its own threads
    loop_thread_cores: float = 0.0  # the server's main thread (its event loop) alone
    worker_pids: list[int] = field(default_factory=list)  # relay workers, whole window
    worker_cores: list[float] = field(default_factory=list)  # each worker, its threads
    worker_loop_thread_cores: list[float] = field(default_factory=list)  # each one's loop
    worker_calls: list[int] = field(default_factory=list)  # calls on each worker, by slot
    fps_median: float = 0.0
    fps_worst: float = 0.0
    video_loss_worst: float = 0.0
    video_loss_total: float = 0.0
    audio_loss_worst: float = 0.0
    keyframe_requests: int = 0
    relay_video_dropped: int = 0
    recorder_frames_dropped: int = 0
    recorded_mbit_s: float = 0.0
    rss_mb: float = 0.0
    mb_per_call: float = 0.0
    worker_mb_per_call: float | None = None  # the relay workers' growth alone
    loop_lag_p50_ms: float | None = None  # the control plane's loop
    loop_lag_p99_ms: float | None = None
    worker_loop_lag_p50_ms: float | None = None  # the relay workers' loops, merged
    worker_loop_lag_p99_ms: float | None = None
    client_cores: float = 0.0
    other_cores: float = 0.0
    setup_s_median: float = 0.0
    held: bool = False
    profile: list[str] = field(default_factory=list)


def loss(sent: int, received: int) -> float:
    return max(0.0, 1 - received / sent) if sent > 0 else 1.0


def measure(
    result: StepResult,
    pool: ClientPool,
    server_pid: int,
    idle_rss: tuple[int, int],
    window_s: float,
    read_metrics: Callable[[], dict] | None,
    profile: tuple[str, Path] | None,
) -> None:
    spy = None
    if profile is not None:  # the server and its children: the relay workers
        py_spy, out = profile
        spy = subprocess.Popen(  # noqa: S603
            [py_spy, "record", "--pid", str(server_pid), "--subprocesses",
             "--duration", str(int(window_s)), "--rate", str(PROFILE_RATE),
             "--format", "raw", "--output", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
    metrics_before = read_metrics() if read_metrics else {}
    clients_before = pool.snapshot()
    workers = relay_workers(server_pid)
    server_cpu_before, _ = tree_usage(server_pid)
    parts_before = CpuReading.read(server_pid, workers)
    machine_before = machine_busy_s()
    bench_before = time.process_time()
    started = time.monotonic()
    peak_rss = peak_worker_rss = 0
    while time.monotonic() - started < window_s:
        time.sleep(min(1.0, window_s - (time.monotonic() - started)) if window_s > 0 else 0)
        rss, worker_rss = resident(server_pid)
        peak_rss, peak_worker_rss = max(peak_rss, rss), max(peak_worker_rss, worker_rss)
    server_cpu_after, _ = tree_usage(server_pid)
    parts_after = CpuReading.read(server_pid, workers)
    rss, worker_rss = resident(server_pid)
    peak_rss, peak_worker_rss = max(peak_rss, rss), max(peak_worker_rss, worker_rss)
    machine_after = machine_busy_s()
    clients_after = pool.snapshot()
    metrics_after = read_metrics() if read_metrics else {}
    elapsed = clients_after["t"] - clients_before["t"]
    bench_cpu = time.process_time() - bench_before
    result.window_s = elapsed
    server_cpu = server_cpu_after - server_cpu_before
    client_cpu = clients_after["cpu_s"] - clients_before["cpu_s"]
    result.server_cores = server_cpu / elapsed

    def cores(before_ticks: int, after_ticks: int) -> float:
        return (after_ticks - before_ticks) / CLK_TCK / elapsed

    result.control_plane_cores = cores(parts_before.root, parts_after.root)
    result.loop_thread_cores = cores(parts_before.root_loop, parts_after.root_loop)
    still_there = set(relay_workers(server_pid))
    result.worker_pids = [pid for pid in workers if pid in still_there]  # none restarted
    for pid in result.worker_pids:
        (process_before, loop_before), (process_after, loop_after) = (
            parts_before.workers[pid],
            parts_after.workers[pid],
        )
        result.worker_cores.append(cores(process_before, process_after))
        result.worker_loop_thread_cores.append(cores(loop_before, loop_after))
    result.client_cores = client_cpu / elapsed
    result.other_cores = max(
        0.0, (machine_after - machine_before - server_cpu - client_cpu - bench_cpu) / elapsed
    )
    fps, video_losses, audio_losses = [], [], []
    sent_total = received_total = keyframes = 0
    for index, after in clients_after["calls"].items():
        before = clients_before["calls"].get(index)
        if before is None:
            continue
        delta = {key: after[key] - before[key] for key in after}
        fps.append(delta["video_received"] / elapsed)
        video_losses.append(loss(delta["video_sent"], delta["video_received"]))
        audio_losses.append(
            max(
                loss(delta["buyer_audio_sent"], delta["buyer_audio_received"]),
                loss(delta["agent_audio_sent"], delta["agent_audio_received"]),
            )
        )
        sent_total += delta["video_sent"]
        received_total += delta["video_received"]
        keyframes += delta["keyframe_requests"]
    n = max(1, result.set_up)
    result.cores_per_call = result.server_cores / n
    if fps:
        result.fps_median = statistics.median(fps)
        result.fps_worst = min(fps)
        result.video_loss_worst = max(video_losses)
        result.audio_loss_worst = max(audio_losses)
    result.video_loss_total = loss(sent_total, received_total)
    result.keyframe_requests = keyframes
    result.rss_mb = peak_rss / 2**20
    result.mb_per_call = (peak_rss - idle_rss[0]) / 2**20 / n
    if workers:
        result.worker_mb_per_call = (peak_worker_rss - idle_rss[1]) / 2**20 / n
    if read_metrics:
        b, a = metrics_before, metrics_after

        def ms(seconds: float | None) -> float | None:
            return None if seconds is None else seconds * 1000

        result.loop_lag_p50_ms = ms(lag_quantile(b, a, 0.5))
        result.loop_lag_p99_ms = ms(lag_quantile(b, a, 0.99))
        result.worker_loop_lag_p50_ms = ms(lag_quantile(b, a, 0.5, WORKER_LAG))
        result.worker_loop_lag_p99_ms = ms(lag_quantile(b, a, 0.99, WORKER_LAG))
        result.worker_calls = calls_per_worker(a)

        def grew(name: str, **labels: str) -> float:
            return metric(a, name, **labels) - metric(b, name, **labels)

        result.relay_video_dropped = int(
            grew("showdesk_relay_frames_dropped_total", kind="video", consumer="participant")
            + grew("showdesk_relay_frames_dropped_total", kind="video", consumer="subscriber")
        )
        result.recorder_frames_dropped = int(grew("showdesk_recording_frames_dropped_total"))
        result.recorded_mbit_s = grew("showdesk_recording_written_bytes_total") * 8 / elapsed / 1e6
    if spy is not None:
        try:
            _, errors = spy.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
            _, errors = spy.communicate()
        out = profile[1]
        if out.exists():
            result.profile = profile_report(out.read_text(), result, server_pid)
        else:
            result.profile = [f"py-spy failed: {errors.decode(errors='replace')[-300:]}"]

    result.held = (
        result.set_up == result.calls
        and bool(fps)
        and result.fps_worst >= FULL_RATE_FPS
        and result.video_loss_worst < MAX_LOSS
    )


# ---------------------------------------------------------------------------- the run


def lag_cell(p50_ms: float | None, p99_ms: float | None) -> str:
    if p50_ms is None or p99_ms is None:
        return "-"
    return f"{p50_ms:.1f} / {p99_ms:.1f}"


def mb_cell(server: float, workers: float | None) -> str:
    return f"{server:.1f}" if workers is None else f"{server:.1f} ({workers:.1f})"


def print_table(title: str, results: list[StepResult]) -> None:
    print(f"\n{title}")
    header = (
        "| N | set up | server cores (control plane + workers) | cores/call | "
        "loop thread cores control plane / each worker | calls per worker | "
        "agent fps median / worst | "
        "video loss worst (all) | audio loss worst | keyframe req. | relay drops | "
        "recorded Mbit/s | server RSS MB | MB/call (relay workers) | "
        "control plane loop lag p50 / p99 ms | worker loop lag p50 / p99 ms | "
        "client cores | other cores | held |"
    )
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    for r in results:
        cores = f"{r.server_cores:.2f}"
        loop_cores = f"{r.loop_thread_cores:.2f}"
        if r.worker_pids:
            cores += f" ({r.control_plane_cores:.2f} + {sum(r.worker_cores):.2f})"
            loop_cores += " / " + " ".join(f"{c:.2f}" for c in r.worker_loop_thread_cores)
        spread = "/".join(str(n) for n in r.worker_calls) or "-"
        print(
            f"| {r.calls} | {r.set_up} | {cores} | {r.cores_per_call:.3f} | "
            f"{loop_cores} | {spread} | "
            f"{r.fps_median:.1f} / {r.fps_worst:.1f} | "
            f"{100 * r.video_loss_worst:.2f}% ({100 * r.video_loss_total:.2f}%) | "
            f"{100 * r.audio_loss_worst:.2f}% | {r.keyframe_requests} | "
            f"{r.relay_video_dropped} | {r.recorded_mbit_s:.1f} | {r.rss_mb:.0f} | "
            f"{mb_cell(r.mb_per_call, r.worker_mb_per_call)} | "
            f"{lag_cell(r.loop_lag_p50_ms, r.loop_lag_p99_ms)} | "
            f"{lag_cell(r.worker_loop_lag_p50_ms, r.worker_loop_lag_p99_ms)} | "
            f"{r.client_cores:.2f} | {r.other_cores:.2f} | "
            f"{'yes' if r.held else 'no'} |"
        )
    held = [r.calls for r in results if r.held]
    print(
        f"last N with every call at >= {FULL_RATE_FPS:.0f} fps and < {100 * MAX_LOSS:.0f}% loss: "
        f"{max(held) if held else 'none'}"
    )
    for r in results:
        for failure in r.failures[:3]:
            print(f"  N={r.calls}: {failure}")


def run_series(
    mode: str,
    sizes: list[int],
    pool: ClientPool,
    args: argparse.Namespace,
    deadline: float,
    prepare: Callable[[int, str], list[dict]],
    server_pid: Callable[[], int],
    read_metrics: Callable[[], dict] | None,
    settle: Callable[[], None],
    idle_rss: tuple[int, int],
    profile_out: Path | None = None,
) -> list[StepResult]:
    """One step per size until a step does not hold full rate. With ``profile_out``, each
    step's window is also sampled with py-spy (raw samples written there)."""
    results: list[StepResult] = []
    for n in sizes:
        expected = 10 + n * 0.6 + args.warmup_s + args.window_s + (n * 1.2 if read_metrics else 3)
        if time.monotonic() + expected > deadline:
            print(f"[{mode}] N={n}: not started, it would overrun the time budget", flush=True)
            break
        print(f"[{mode}] N={n}: setting up", flush=True)
        result = StepResult(mode, n)
        specs = prepare(n, f"{mode}-{n}")
        outcomes = pool.start_calls(specs, "baseline" if mode == "baseline" else "showdesk")
        result.set_up = sum(1 for o in outcomes if o["ok"])
        result.failures = [o["error"] for o in outcomes if not o["ok"]]
        setups = [o["setup_s"] for o in outcomes if o["ok"]]
        result.setup_s_median = statistics.median(setups) if setups else 0.0
        time.sleep(args.warmup_s)
        profile = None
        if profile_out is not None:
            py_spy = find_py_spy()
            if py_spy is None:
                result.profile = ["py-spy not found: pip install -e '.[bench]'"]
            else:
                profile = (py_spy, profile_out)
        measure(result, pool, server_pid(), idle_rss, args.window_s, read_metrics, profile)
        spread = (
            f" (calls per worker {'/'.join(map(str, result.worker_calls))})"
            if result.worker_calls
            else ""
        )
        print(
            f"[{mode}] N={n}: {result.set_up}/{n} up{spread}, server "
            f"{result.server_cores:.2f} cores, "
            f"fps median {result.fps_median:.1f} worst {result.fps_worst:.1f}, "
            f"video loss worst {100 * result.video_loss_worst:.2f}%",
            flush=True,
        )
        pool.end_calls()
        settle()
        results.append(result)
        if not result.held or n >= args.max_calls:
            break
    return results


def doubling(start: int, stop: int) -> list[int]:
    sizes = []
    n = start
    while n <= stop:
        sizes.append(n)
        n *= 2
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-calls", type=int, default=64, help="largest N (default 64)")
    parser.add_argument("--window-s", type=float, default=12.0, help="measured seconds per N")
    parser.add_argument("--warmup-s", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--budget-s", type=float, default=540.0, help="stop starting steps after")
    parser.add_argument(
        "--client-procs", type=int, default=os.cpu_count() or 1, help="client processes"
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also measure aiortc's MediaRelay (decode + re-encode) at small N",
    )
    parser.add_argument("--baseline-max-calls", type=int, default=4)
    parser.add_argument(
        "--relay-workers",
        type=int,
        help="relay worker processes the server runs (default: the server's, one per core)",
    )
    parser.add_argument(
        "--profile-at",
        type=int,
        default=0,
        help="py-spy the server and its relay workers at this N",
    )
    parser.add_argument("--profile-out", type=Path, help="keep py-spy's raw samples here")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--serve-baseline-relay", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve_baseline_relay:
        asyncio.run(baseline_relay_main(args.serve_baseline_relay))
        return 0

    started = time.monotonic()
    deadline = started + args.budget_s

    def on_sigterm(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="showdesk-relay-load-"))
    server = Showdesk(workdir, args.relay_workers)
    baseline: ManagedProcess | None = None
    pool: ClientPool | None = None
    loop = asyncio.new_event_loop()
    showdesk_results: list[StepResult] = []
    baseline_results: list[StepResult] = []
    profile_results: list[StepResult] = []
    try:
        video, audio = encode_clips()
        clips = {"video": video, "audio": audio}
        print(
            f"clip: {VIDEO_SIZE[0]}x{VIDEO_SIZE[1]} {VIDEO_FPS} fps VP8 "
            f"{clip_bitrate(video) / 1e6:.2f} Mbit/s (keyframe {len(video[0]) // 1024} KiB), "
            f"Opus {sum(map(len, audio)) * 8 / 1000 / len(audio) * 50:.0f} kbit/s",
            flush=True,
        )
        pool = ClientPool(args.client_procs, clips)
        server.start()
        time.sleep(2)
        idle_rss = resident(server.pid)
        workers = relay_workers(server.pid)
        print(
            f"server pid {server.pid} at {server.url}, relay workers {workers}, idle RSS "
            f"{idle_rss[0] / 2**20:.0f} MB ({idle_rss[1] / 2**20:.0f} MB of it the workers); "
            f"client processes {pool.pids()}",
            flush=True,
        )

        def prepare(n: int, label: str) -> list[dict]:
            agents = loop.run_until_complete(server.ensure_agents(n))
            buyers = loop.run_until_complete(server.buyer_cookies(label, n))
            return [
                {
                    "index": index,
                    "base_url": server.url,
                    "agent_cookie": agents[index],
                    "buyer_cookie": buyers[index],
                }
                for index in range(n)
            ]

        def settle() -> None:
            limit = time.monotonic() + SETTLE_TIMEOUT_S
            while not server.settled():
                if time.monotonic() > limit:
                    print("  (the server had not settled; going on)", flush=True)
                    return
                time.sleep(0.5)

        baseline_reserve = 90.0 if args.baseline else 0.0
        profile_reserve = 40.0 + args.window_s if args.profile_at else 0.0
        showdesk_results = run_series(
            "showdesk",
            doubling(1, args.max_calls),
            pool,
            args,
            deadline - baseline_reserve - profile_reserve,
            prepare,
            lambda: server.pid,
            server.metrics,
            settle,
            idle_rss,
        )
        if args.profile_at:  # a step of its own: the sampler must not disturb the table
            profile_results = run_series(
                "profile",
                [args.profile_at],
                pool,
                args,
                deadline - baseline_reserve,
                prepare,
                lambda: server.pid,
                server.metrics,
                settle,
                idle_rss,
                profile_out=args.profile_out or workdir / "py-spy-raw.txt",
            )
        server.stop()

        if args.baseline:
            port = free_port()
            baseline = ManagedProcess(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--serve-baseline-relay",
                    str(port),
                ],
                os.environ.copy(),
                workdir / "baseline.log",
            )
            limit = time.monotonic() + 30
            while "ready" not in baseline.tail(5):
                if baseline.process.poll() is not None or time.monotonic() > limit:
                    raise RuntimeError(f"the baseline relay did not start:\n{baseline.tail()}")
                time.sleep(0.2)
            time.sleep(1)
            baseline_idle = resident(baseline.pid)

            def prepare_baseline(n: int, label: str) -> list[dict]:
                return [
                    {"index": index, "relay_url": f"ws://127.0.0.1:{port}"} for index in range(n)
                ]

            baseline_results = run_series(
                "baseline",
                doubling(1, args.baseline_max_calls),
                pool,
                args,
                deadline,
                prepare_baseline,
                lambda: baseline.pid,
                None,
                lambda: time.sleep(2),
                baseline_idle,
            )
    except KeyboardInterrupt:
        print("interrupted: cleaning up", flush=True)
    finally:
        if pool is not None:
            pool.close()
        server.stop()
        loop.run_until_complete(server.aclose())
        loop.close()
        if baseline is not None:
            baseline.stop()

    report(args, showdesk_results, baseline_results, profile_results, started)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "showdesk": [asdict(r) for r in showdesk_results],
                    "baseline": [asdict(r) for r in baseline_results],
                    "profile": [asdict(r) for r in profile_results],
                },
                indent=2,
            )
        )
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if showdesk_results else 1


def report(
    args: argparse.Namespace,
    showdesk: list[StepResult],
    baseline: list[StepResult],
    profiled: list[StepResult],
    started: float,
) -> None:
    cpu = cpu_model()
    import aiortc

    slots = max((len(r.worker_calls) for r in showdesk + profiled), default=0)
    print(
        f"\nmachine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}, "
        f"Python {platform.python_version()}, aiortc {aiortc.__version__}; "
        f"{args.client_procs} client processes; window {args.window_s:.0f} s per N; "
        f"relay workers: {slots or '?'}"
    )
    print_table("Showdesk (forwarding, recorded):", showdesk)
    if baseline:
        print_table("Baseline: aiortc MediaRelay, decode + re-encode, no recording:", baseline)
        common = {r.calls: r for r in showdesk if r.set_up}
        ratios = [
            (b.calls, b.cores_per_call / common[b.calls].cores_per_call)
            for b in baseline
            if b.calls in common and common[b.calls].cores_per_call > 0 and b.set_up
        ]
        for n, ratio in ratios:
            print(
                f"N={n}: baseline {next(b for b in baseline if b.calls == n).cores_per_call:.3f} "
                f"cores/call vs Showdesk {common[n].cores_per_call:.3f}: {ratio:.1f}x "
                "the calls per core"
            )
        held_s = [r for r in showdesk if r.held]
        held_b = [r for r in baseline if r.held]
        if held_s and held_b:
            print(
                f"held at full rate: Showdesk up to N={held_s[-1].calls}, "
                f"baseline up to N={held_b[-1].calls}"
            )
    for r in profiled:
        print_table(
            f"The same with py-spy sampling the server and its relay workers (N={r.calls}):", [r]
        )
        print(f"\nwhere the server's time goes at N={r.calls}, per process:")
        print("\n".join(r.profile))
    print(f"\ntotal time {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
