"""How fast a call comes up and how late the picture is, with real Chromium on both ends.

    python bench/setup_time.py [--calls N] [--sample-seconds S] [--relay-only]

Starts a Showdesk server (uvicorn with ``server.cli.serve.uvicorn_config``, in this
process, on a free loopback port, temporary data directory; its relay worker
processes, which carry the media, are children of this process), an agent account and
one buyer link per call, and two headless Chromium browsers (the agent's console,
the buyer's phone page). For each call it measures:

- join time: the buyer's consent click (``Date.now()`` in the buyer page) to the
  server's ``first_frame`` timeline event for the buyer's video;
- answer time: the agent's accept click to the first frame presented in the
  console's remote video (``requestVideoFrameCallback``), with the buyer already
  waiting and sending;
- capture-to-display: the buyer's camera is replaced (in this bench only) by a
  canvas on which ``Date.now()`` is painted as a block code every frame; the agent
  page reads the code back from each presented frame;
- relay audio delay: how long the buyer's audio frames spent inside the relay (each
  relay worker's ``LocalRelay.forwarding_delays``, read through ``WorkerPool``).

With ``--relay-only`` a coturn (Debian's ``coturn``; tests/helpers/turn.py) runs on
loopback too, and the server hands both pages TURN credentials with
``iceTransportPolicy: "relay"`` (``SHOWDESK_ICE_TRANSPORT_POLICY=relay``): every page's
media goes through the TURN server. Run it with and without to compare.

Prints medians and 95th percentiles next to the goals, and per-call figures.
Never part of the test suite. Stops by itself and closes everything it started.
The scripts it adds to the pages are in bench/js/.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import platform
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiortc
from common import (  # bench/common.py; it puts the repository on sys.path
    CLK_TCK,
    DESKTOP,
    PHONE,
    cpu_model,
    launch_chromium,
    load_average,
    machine_busy_s,
    process_cpu_s,
    relay_workers,
    thread_ticks,
    tree_usage,
)
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlmodel import Session, select

from server.accounts import users
from server.infra.security import PASSWORD_HASHING_DEFAULT, passwords_for
from server.models import Call, CallEvent, Role
from tests.helpers.links import make_link
from tests.helpers.servers import LiveServer, start_live_server
from tests.helpers.turn import coturn

JS_DIR = Path(__file__).resolve().parent / "js"
AGENT_EMAIL = "bench-agent@shop.test"
AGENT_PASSWORD = "bench " + secrets.token_urlsafe(12)

GOALS_MS = {
    "join time": 300.0,
    "answer time": 150.0,
    "capture-to-display": 60.0,
    "relay audio delay": 10.0,
}

SERVER_START_S = 15.0
RELAY_START_S = 30.0  # the relay workers start after the server is up
PAGE_WAIT_MS = 10_000  # any single step in a page
FIRST_FRAME_WAIT_S = 10.0
CALL_WALL_CLOCK_S = 60.0  # a call that takes longer than this is abandoned
RUN_WALL_CLOCK_S = 900.0  # the whole bench never runs longer than this

# ---------------------------------------------------------------------------- pages

REMOTE_VIDEO = '[data-testid="call-view"] [data-testid="remote-video"]'


def page_script(*names: str, **constants: object) -> str:
    """The scripts ``bench/js/<name>.js``, in order, in one function scope where ``B`` is
    ``window.__bench`` (made by bench_marks.js, added first) and each of ``constants``
    is a ``const`` (as JSON). Read when called: edit the .js files, not this one."""
    defined = "".join(f"const {name} = {json.dumps(value)};\n" for name, value in constants.items())
    body = "\n".join((JS_DIR / f"{name}.js").read_text() for name in names)
    return f"(() => {{\nconst B = window.__bench;\n{defined}{body}}})();\n"


def bench_marks_js() -> str:
    """Both pages: ``window.__bench`` with the media set-up marks and the peer connections."""
    return (JS_DIR / "bench_marks.js").read_text()


def buyer_js(camera: str) -> list[str]:
    """The buyer's page: the consent click's time, and with the canvas camera the time
    code painted on it."""
    scripts = [(JS_DIR / "consent_click.js").read_text()]
    if camera == "canvas":
        scripts.append(page_script("time_code", "buyer_camera"))
    return scripts


def agent_js() -> str:
    """The agent's console: the accept click, the first frame, the time code read back."""
    return page_script("time_code", "agent_frames", REMOTE=REMOTE_VIDEO)


# ---------------------------------------------------------------------------- server


T = TypeVar("T")


class BenchServer:
    """A Showdesk server as ``showdesk serve`` runs it (tests/helpers/servers.py's
    ``start_live_server``), in a thread of this process, with production settings: argon2's
    default cost, one relay worker per core (the relay workers are this process's
    children)."""

    def __init__(self, data_dir: Path, turn: dict[str, Any] | None = None) -> None:
        self._data_dir = data_dir
        self._turn = turn or {}  # TURN settings (--relay-only)
        self._live: LiveServer | None = None
        self._server: Any = None
        self._thread: Any = None
        self._worker_pids: set[int] = set()  # every relay worker seen, to check at stop

    def start(self) -> None:
        self._live, self._server, self._thread = start_live_server(
            self._data_dir,
            start_timeout_s=SERVER_START_S,
            log_level=logging.WARNING,
            secret_key=secrets.token_urlsafe(48),
            shop_name="Bench Shop",
            relay_workers=None,
            password_hashing=PASSWORD_HASHING_DEFAULT,
            **self._turn,
        )
        self.on_loop(self.relay.wait_ready(RELAY_START_S), timeout_s=RELAY_START_S + 5)
        self._worker_pids |= set(self.relay_worker_pids())

    @property
    def app(self) -> Any:
        assert self._live is not None, "start() first"
        return self._live.app

    @property
    def url(self) -> str:
        assert self._live is not None, "start() first"
        return self._live.url

    @property
    def settings(self) -> Any:
        return self.app.state.settings

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=20)
        # The server's shutdown stops its relay workers; one left behind (the shutdown
        # overran) is this bench's child: end it rather than leave it to notice it is
        # orphaned when this process exits.
        for pid in sorted(self._worker_pids & set(relay_workers(os.getpid()))):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def on_loop(self, work: Callable[[], T] | Coroutine[Any, Any, T], timeout_s: float = 5.0) -> T:
        """Run ``work`` on the server's event loop (the relay pool lives there): a
        coroutine is awaited there, a function is called there."""
        loop = self._live.loop if self._live is not None else None
        assert loop is not None, "the server is not running"
        if asyncio.iscoroutine(work):
            running = asyncio.run_coroutine_threadsafe(work, loop)
            try:
                return running.result(timeout=timeout_s)
            except concurrent.futures.TimeoutError:
                running.cancel()
                raise
        fn = work
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except Exception as exc:  # noqa: BLE001  (handed to the caller)
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(timeout=timeout_s)

    @property
    def relay(self) -> Any:
        """The control plane's relay: a ``WorkerPool`` (server/relay/pool.py)."""
        return self.app.state.calls.relay

    def relay_worker_pids(self) -> list[int]:
        """The relay workers running now."""
        pids = [w["pid"] for w in self.on_loop(self.relay.workers) if w["alive"]]
        self._worker_pids |= set(pids)
        return pids

    def add_agent(self) -> None:
        with Session(self.app.state.engine, expire_on_commit=False) as db:
            users.create_user(
                db,
                email=AGENT_EMAIL,
                role=Role.agent,
                name="Bench Agent",
                password=AGENT_PASSWORD,
                now=self.app.state.clock.now(),
                passwords=passwords_for(self.settings.password_hashing),
            )

    def make_link(self, order_ref: str) -> str:
        _, url = make_link(self.app, order_ref, buyer_name="Bench Buyer", locale="en")
        return url

    def first_frame_at(self, order_ref: str, side: str, kind: str) -> float | None:
        """Epoch ms of the call's stored ``first_frame`` event for ``side``/``kind``."""
        with Session(self.app.state.engine) as db:
            call = db.exec(select(Call).where(Call.order_ref == order_ref)).first()
            if call is None:
                return None
            rows = db.exec(
                select(CallEvent).where(
                    CallEvent.call_id == call.id, CallEvent.kind == "first_frame"
                )
            ).all()
        for row in rows:
            if row.data.get("side") == side and row.data.get("kind") == kind and row.at:
                at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
                return at.timestamp() * 1000
        return None

    def thread_cpu_s(self) -> float | None:
        """CPU seconds used so far by the server's thread (Linux /proc)."""
        tid = self._thread.native_id if self._thread is not None else None
        if tid is None or not Path(f"/proc/self/task/{tid}").exists():
            return None
        return thread_ticks(os.getpid(), tid) / CLK_TCK


# ---------------------------------------------------------------------------- CPU


def own_tree_busy_s() -> float:
    """CPU seconds used by this process and every process it started (the server's
    relay workers, browsers, Playwright's driver), including descendants that have
    already exited."""
    return tree_usage(os.getpid())[0]


@dataclass
class CpuWindow:
    """Machine and own CPU use over a stretch of wall-clock time, in % of one core."""

    wall: float = field(default_factory=time.monotonic)
    machine: float = field(default_factory=machine_busy_s)
    own: float = field(default_factory=own_tree_busy_s)

    def since(self) -> tuple[float, float]:
        elapsed = time.monotonic() - self.wall
        machine = 100 * (machine_busy_s() - self.machine) / elapsed
        own = 100 * (own_tree_busy_s() - self.own) / elapsed
        return machine, own


# ---------------------------------------------------------------------------- figures


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@dataclass
class CallResult:
    index: int
    join_ms: float | None = None
    answer_ms: float | None = None
    latencies_ms: list[float] = field(default_factory=list)
    received_ms: list[float] = field(default_factory=list)
    audio_delays_ms: list[float] = field(default_factory=list)
    video_delays_ms: list[float] = field(default_factory=list)
    buyer_marks: dict[str, float] = field(default_factory=dict)  # ms after the consent click
    agent_marks: dict[str, float] = field(default_factory=dict)  # ms after the accept click
    first_frame: dict[str, Any] = field(default_factory=dict)
    sampling: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, float | str | None] = field(default_factory=dict)
    server_cpu_pct: float | None = None  # the server's thread: the control plane
    relay_cpu_pct: float | None = None  # the relay worker processes, summed
    machine_cpu_pct: float | None = None  # % of one core, whole machine
    own_cpu_pct: float | None = None  # % of one core, this bench's processes
    failures: list[str] = field(default_factory=list)


def _ratio_ms(stat: dict, total: str, count: str) -> float | None:
    if stat.get(count):
        return 1000 * stat.get(total, 0.0) / stat[count]
    return None


def summarise_stats(buyer: list[dict], agent: list[dict]) -> dict[str, float | str | None]:
    """The WebRTC stats that explain where the time goes (whole-call averages)."""
    out: dict[str, float | str | None] = {}
    for s in buyer:
        if s.get("type") == "outbound-rtp" and s.get("kind") == "video":
            out["sent_size"] = f"{s.get('frameWidth')}x{s.get('frameHeight')}"
            out["sent_fps"] = s.get("framesPerSecond")
            out["encode_ms"] = _ratio_ms(s, "totalEncodeTime", "framesEncoded")
            out["pacer_ms"] = _ratio_ms(s, "totalPacketSendDelay", "packetsSent")
            out["keyframes_sent"] = s.get("keyFramesEncoded")
            out["plis_to_buyer"] = s.get("pliCount")
            out["quality_limit"] = s.get("qualityLimitationReason")
            out["encoder"] = s.get("encoderImplementation")
        if (
            s.get("type") == "candidate-pair"
            and s.get("nominated")
            and s.get("state") == "succeeded"
        ):
            rtt = s.get("currentRoundTripTime")
            out["buyer_rtt_ms"] = None if rtt is None else 1000 * rtt
    for s in agent:
        if s.get("type") == "inbound-rtp" and s.get("kind") == "video":
            out["recv_size"] = f"{s.get('frameWidth')}x{s.get('frameHeight')}"
            out["recv_fps"] = s.get("framesPerSecond")
            out["jitter_buffer_ms"] = _ratio_ms(s, "jitterBufferDelay", "jitterBufferEmittedCount")
            out["jitter_target_ms"] = _ratio_ms(
                s, "jitterBufferTargetDelay", "jitterBufferEmittedCount"
            )
            out["jitter_minimum_ms"] = _ratio_ms(
                s, "jitterBufferMinimumDelay", "jitterBufferEmittedCount"
            )
            out["decode_ms"] = _ratio_ms(s, "totalDecodeTime", "framesDecoded")
            out["processing_ms"] = _ratio_ms(s, "totalProcessingDelay", "framesDecoded")
            out["frames_dropped"] = s.get("framesDropped")
            out["freezes"] = s.get("freezeCount")
            out["nacks_from_agent"] = s.get("nackCount")
            out["plis_from_agent"] = s.get("pliCount")
        if s.get("type") == "inbound-rtp" and s.get("kind") == "audio":
            out["audio_jitter_buffer_ms"] = _ratio_ms(
                s, "jitterBufferDelay", "jitterBufferEmittedCount"
            )
            out["audio_jitter_target_ms"] = _ratio_ms(
                s, "jitterBufferTargetDelay", "jitterBufferEmittedCount"
            )
            out["audio_jitter_minimum_ms"] = _ratio_ms(
                s, "jitterBufferMinimumDelay", "jitterBufferEmittedCount"
            )
        if (
            s.get("type") == "candidate-pair"
            and s.get("nominated")
            and s.get("state") == "succeeded"
        ):
            rtt = s.get("currentRoundTripTime")
            out["agent_rtt_ms"] = None if rtt is None else 1000 * rtt
    return out


# ---------------------------------------------------------------------------- browsers


@dataclass
class Browsers:
    agent_browser: Browser
    buyer_browser: Browser
    agent_context: BrowserContext
    agent: Page
    page_problems: list[str]


def launch(playwright: Any) -> tuple[Browser, Browser]:
    """The agent's browser and the buyer's (tests/helpers/chromium.py's flags)."""
    return launch_chromium(playwright), launch_chromium(playwright)


def watch_page(page: Page, who: str, problems: list[str]) -> None:
    page.on(
        "console",
        lambda m: problems.append(f"{who} console error: {m.text}") if m.type == "error" else None,
    )
    page.on(
        "pageerror",
        lambda exc: problems.append(f"{who} page error: {str(exc).splitlines()[0][:200]}"),
    )


def open_agent(browser: Browser, base_url: str, problems: list[str]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(PAGE_WAIT_MS)
    context.add_init_script(bench_marks_js())
    context.add_init_script(agent_js())
    page = context.new_page()
    watch_page(page, "agent", problems)
    sign_in_and_go_available(page)
    return context, page


def sign_in_and_go_available(page: Page) -> None:
    page.goto("/login")
    page.get_by_test_id("login-email").fill(AGENT_EMAIL)
    page.get_by_test_id("login-password").fill(AGENT_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/console")
    wait_attr(page, '[data-testid="connection"]', "data-state", "open")
    switch = page.get_by_test_id("availability")
    wait_attr(page, '[data-testid="availability"]', "data-state", "away")
    switch.click()
    wait_attr(page, '[data-testid="availability"]', "data-state", "available")


def wait_attr(page: Page, selector: str, name: str, value: str, timeout_ms: int = PAGE_WAIT_MS):
    page.wait_for_function(
        "([s, n, v]) => { const e = document.querySelector(s); "
        "return !!e && e.getAttribute(n) === v; }",
        arg=[selector, name, value],
        timeout=timeout_ms,
        polling=20,
    )


def wait_js(page: Page, expression: str, timeout_ms: int = PAGE_WAIT_MS) -> Any:
    """Poll ``expression`` in the page until truthy. Wrapped in a function: the pages'
    CSP forbids eval, which Playwright would use for a bare expression."""
    return page.wait_for_function(
        f"() => {expression}", timeout=timeout_ms, polling=20
    ).json_value()


def wait_ready_for_calls(page: Page) -> None:
    """The console's switch says available and no call is holding it (not busy)."""
    page.wait_for_function(
        "() => { const e = document.querySelector('[data-testid=\"availability\"]'); "
        "return !!e && !e.disabled && e.getAttribute('data-state') === 'available'; }",
        timeout=PAGE_WAIT_MS,
        polling=20,
    )


def relative_marks(marks: dict[str, float], origin: float | None) -> dict[str, float]:
    if origin is None:
        return {}
    return {name: at - origin for name, at in sorted(marks.items(), key=lambda kv: kv[1])}


# ---------------------------------------------------------------------------- one call


def run_call(
    index: int,
    server: BenchServer,
    browsers: Browsers,
    sample_s: float,
    settle_s: float,
    camera: str = "canvas",
    camera_size: tuple[int, int] | None = None,
) -> CallResult:
    result = CallResult(index=index)
    order_ref = f"BENCH-{index:03d}-{secrets.token_hex(3)}"
    link_url = server.make_link(order_ref)
    agent = browsers.agent
    buyer_context = browsers.buyer_browser.new_context(
        base_url=server.url, viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US"
    )
    try:
        buyer_context.set_default_timeout(PAGE_WAIT_MS)
        buyer_context.add_init_script(bench_marks_js())
        for script in buyer_js(camera):  # "fake": Chromium's camera, no time code
            buyer_context.add_init_script(script)
        if camera == "canvas" and camera_size:
            buyer_context.add_init_script(
                f"window.__bench.cameraSize = {json.dumps(list(camera_size))};"
            )
        buyer = buyer_context.new_page()
        watch_page(buyer, "buyer", browsers.page_problems)
        buyer.goto(link_url)
        buyer.wait_for_url("**/call")
        consent = buyer.get_by_test_id("consent-accept")
        consent.wait_for(state="visible")

        # ---- join: consent click -> the server's first video frame from the buyer
        consent.click()
        wait_attr(buyer, '[data-testid="call-state"]', "data-state", "waiting")
        consent_at = buyer.evaluate("window.__bench.consentAt")
        deadline = time.monotonic() + FIRST_FRAME_WAIT_S
        first_frame_at = None
        while first_frame_at is None and time.monotonic() < deadline:
            first_frame_at = server.first_frame_at(order_ref, "buyer", "video")
            if first_frame_at is None:
                time.sleep(0.05)
        if consent_at is None:
            result.failures.append("join: the consent click was not seen in the page")
        elif first_frame_at is None:
            result.failures.append(f"join: no first_frame event within {FIRST_FRAME_WAIT_S} s")
        else:
            result.join_ms = first_frame_at - consent_at
        marks = buyer.evaluate("window.__bench.marks")
        result.buyer_marks = relative_marks(marks, consent_at)
        if first_frame_at is not None and consent_at is not None:
            result.buyer_marks["server_first_frame"] = first_frame_at - consent_at

        # ---- answer: the buyer waits with media flowing; the agent accepts
        time.sleep(settle_s)
        item = agent.locator('[data-testid="queue-item"]', has_text=order_ref)
        accept = item.get_by_test_id("accept")
        agent.wait_for_function(
            "(ref) => [...document.querySelectorAll('[data-testid=\"queue-item\"]')].some("
            "(li) => li.textContent.includes(ref) && "
            "!li.querySelector('[data-testid=\"accept\"]').disabled)",
            arg=order_ref,
            timeout=PAGE_WAIT_MS,
            polling=20,
        )
        server.on_loop(server.relay.clear_forwarding_delays())
        workers = server.relay_worker_pids()
        relay_before = process_cpu_s(workers)
        cpu_before, wall_before = server.thread_cpu_s(), time.monotonic()
        cpu_window = CpuWindow()
        accept.click()
        try:
            first = wait_js(agent, "window.__bench.firstFrame", FIRST_FRAME_WAIT_S * 1000)
            result.first_frame = first
            result.answer_ms = first["presentedAt"]
        except Exception as exc:  # noqa: BLE001  (reported, the call goes on)
            reason = str(exc).splitlines()[0][:200]
            result.failures.append(f"answer: no frame presented at the agent ({reason})")
        agent_bench = agent.evaluate("[window.__bench.marks, window.__bench.acceptWall]")
        result.agent_marks = relative_marks(agent_bench[0], agent_bench[1])

        # ---- capture-to-display, sampled at the agent
        if result.answer_ms is not None and camera == "canvas":
            agent.evaluate("(ms) => window.__bench.startSampling(ms)", sample_s * 1000)
            try:
                wait_js(agent, "window.__bench.sampling.done", int(sample_s * 1000) + PAGE_WAIT_MS)
            except Exception:  # noqa: BLE001  (the picture stalled: keep what was read)
                result.failures.append("capture-to-display: the agent's video stopped")
            sampling = agent.evaluate("window.__bench.sampling")
            samples = sampling.pop("samples")
            result.sampling = sampling
            result.latencies_ms = [s["display"] for s in samples]
            result.received_ms = [s["received"] for s in samples if s["received"] is not None]
            result.sampling["widths"] = sorted({s["width"] for s in samples})
            if not samples:
                result.failures.append(
                    f"capture-to-display: no readable frame in {sampling['frames']} frames"
                )
        cpu_after, wall_after = server.thread_cpu_s(), time.monotonic()
        relay_after = process_cpu_s(workers)
        if cpu_before is not None and cpu_after is not None:
            result.server_cpu_pct = 100 * (cpu_after - cpu_before) / (wall_after - wall_before)
        if relay_before and relay_before.keys() == relay_after.keys():  # no worker restarted
            relay_s = sum(relay_after.values()) - sum(relay_before.values())
            result.relay_cpu_pct = 100 * relay_s / (wall_after - wall_before)
        result.machine_cpu_pct, result.own_cpu_pct = cpu_window.since()
        result.audio_delays_ms = [
            1000 * d for d in server.on_loop(server.relay.forwarding_delays("audio", "buyer"))
        ]
        result.video_delays_ms = [
            1000 * d for d in server.on_loop(server.relay.forwarding_delays("video", "buyer"))
        ]
        if not result.audio_delays_ms:
            result.failures.append("relay audio delay: no buyer audio frame was forwarded")
        result.diagnostics = summarise_stats(
            buyer.evaluate("window.__bench.stats()"), agent.evaluate("window.__bench.stats()")
        )
        paint = buyer.evaluate("window.__bench.paint")
        if paint and paint["count"] > 1:
            span = paint["last"] - paint["first"]
            result.diagnostics["canvas_paint_hz"] = 1000 * (paint["count"] - 1) / span
            result.diagnostics["canvas_size"] = f"{paint['width']}x{paint['height']}"

        # ---- hang up
        agent.get_by_test_id("end-call").click()
        buyer.get_by_test_id("call-ended").wait_for(state="visible")
        wait_ready_for_calls(agent)
    except Exception as exc:  # noqa: BLE001  (one failed call must not stop the run)
        result.failures.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        recover_agent(agent)
    finally:
        with contextlib.suppress(Exception):
            buyer_context.close()
    return result


def recover_agent(agent: Page) -> None:
    """After a failed call: end whatever is live and get back to available."""
    with contextlib.suppress(Exception):
        end = agent.get_by_test_id("end-call")
        if end.is_visible():
            end.click()
    with contextlib.suppress(Exception):
        agent.goto("/console")
        wait_attr(agent, '[data-testid="connection"]', "data-state", "open")
        state = agent.get_by_test_id("availability").get_attribute("data-state")
        if state == "away":
            agent.get_by_test_id("availability").click()
        wait_ready_for_calls(agent)


# ---------------------------------------------------------------------------- report


def machine(chromium_version: str) -> list[tuple[str, str]]:
    cpu = cpu_model()
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Chromium", chromium_version),
        ("aiortc", aiortc.__version__),
        ("Python", platform.python_version()),
    ]


def summary_rows(results: list[CallResult]) -> list[tuple[str, list[float], str]]:
    def values(attr: str) -> list[float]:
        return [getattr(r, attr) for r in results if getattr(r, attr) is not None]

    def pooled(attr: str) -> list[float]:
        return [v for r in results for v in getattr(r, attr)]

    return [
        ("join time", values("join_ms"), "calls"),
        ("answer time", values("answer_ms"), "calls"),
        ("capture-to-display", pooled("latencies_ms"), "frames"),
        ("relay audio delay", pooled("audio_delays_ms"), "frames"),
    ]


def print_report(
    results: list[CallResult],
    chromium_version: str,
    args: argparse.Namespace,
    took_s: float,
    cpu_run: tuple[float, float] | None,
    load_before: str,
) -> None:
    print()
    print("Showdesk call set-up and latency bench")
    print(f"  date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    for name, value in machine(chromium_version):
        print(f"  {name + ':':<9} {value}")
    print(
        f"  calls: {len(results)} (asked {args.calls}), {args.sample_seconds:g} s of "
        f"capture-to-display sampling per call, buyer waits {args.settle_seconds:g} s "
        f"before the accept, buyer camera: {args.camera}"
        f"{' ' + args.camera_size if args.camera_size else ''}; media: "
        f"{'TURN only (coturn on loopback)' if args.relay_only else 'direct'}; "
        f"took {took_s:.0f} s"
    )
    if cpu_run is not None:
        machine_pct, own_pct = cpu_run
        cores = os.cpu_count() or 1
        print(
            f"  CPU during the run (% of one core, {cores} cores = {100 * cores}%): machine "
            f"{machine_pct:.0f}%, this bench (server, relay workers, browsers, driver) "
            f"{own_pct:.0f}%, "
            f"other processes {max(0.0, machine_pct - own_pct):.0f}%; load average before "
            f"{load_before}"
        )
    print()
    header = f"{'figure':<20} {'median ms':>10} {'p95 ms':>8} {'goal ms':>9}  {'met':<4} {'n':>6}"
    print(header)
    print("-" * len(header))
    for name, vals, unit in summary_rows(results):
        goal = GOALS_MS[name]
        if vals:
            median = statistics.median(vals)
            p95 = percentile(vals, 0.95)
            met = "yes" if median <= goal else "NO"
            print(
                f"{name:<20} {median:>10.1f} {p95:>8.1f} {'<= ' + fmt(goal):>9}  {met:<4} "
                f"{len(vals):>6} {unit}"
            )
        else:
            print(f"{name:<20} {'-':>10} {'-':>8} {'<= ' + fmt(goal):>9}  {'?':<4} {0:>6} {unit}")
    print("(goals are on the median; p95 is linear interpolation between ranks)")

    print()
    print("Breakdown (medians over calls)")
    extra = [
        ("relay video delay (ms, all frames)", [v for r in results for v in r.video_delays_ms]),
        ("painted -> packet at agent (ms)", [v for r in results for v in r.received_ms]),
    ]
    for name, vals in extra:
        if vals:
            print(
                f"  {name:<44} median {statistics.median(vals):6.1f}  "
                f"p95 {percentile(vals, 0.95):6.1f}  n={len(vals)}"
            )
    for who, attr in (
        ("buyer, ms after consent click", "buyer_marks"),
        ("agent, ms after accept click", "agent_marks"),
    ):
        names: list[str] = []
        for r in results:
            for name in getattr(r, attr):
                if name not in names:
                    names.append(name)
        cells = []
        for name in names:
            vals = [getattr(r, attr)[name] for r in results if name in getattr(r, attr)]
            cells.append((statistics.median(vals), name))
        cells.sort()
        print(f"  {who}: " + ", ".join(f"{n} {v:.0f}" for v, n in cells))
    counts = {
        key: sum(r.sampling.get(key, 0) for r in results)
        for key in ("frames", "unreadable", "implausible", "repeated")
    }
    if counts["frames"]:
        print(
            f"  time code: {counts['frames']} frames presented at the agent while sampling, "
            f"{counts['unreadable']} unreadable, {counts['implausible']} implausible, "
            f"{counts['repeated']} showing an already seen code"
        )
    first_frames = [r.first_frame for r in results if r.first_frame]
    if first_frames:
        parts = []
        for key in ("receivedAt", "presentedAt", "displayAt"):
            vals = [f[key] for f in first_frames if f.get(key) is not None]
            if vals:
                parts.append(f"{key} {statistics.median(vals):.0f}")
        print("  agent's first frame, ms after accept click: " + ", ".join(parts))
    numeric: dict[str, list[float]] = {}
    text: dict[str, set[str]] = {}
    for r in results:
        for key, value in r.diagnostics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                numeric.setdefault(key, []).append(float(value))
            elif value is not None:
                text.setdefault(key, set()).add(str(value))
    cpu = [r.server_cpu_pct for r in results if r.server_cpu_pct is not None]
    if cpu:
        numeric["control_plane_thread_cpu_pct"] = cpu
    relay_cpu = [r.relay_cpu_pct for r in results if r.relay_cpu_pct is not None]
    if relay_cpu:
        numeric["relay_workers_cpu_pct"] = relay_cpu
    print(
        "  webrtc stats (whole-call averages): "
        + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in numeric.items())
    )
    if text:
        print("  " + ", ".join(f"{k} {'/'.join(sorted(v))}" for k, v in text.items()))

    print()
    print("Per call")
    print(
        f"{'call':>4} {'join':>6} {'answer':>7} {'c2d med':>8} {'c2d n':>6} "
        f"{'audio med':>9} {'unread':>6} {'cpu all':>7} {'cpu own':>7}  failures"
    )
    for r in results:
        c2d = statistics.median(r.latencies_ms) if r.latencies_ms else None
        audio = statistics.median(r.audio_delays_ms) if r.audio_delays_ms else None
        print(
            f"{r.index:>4} {fmt(r.join_ms):>6} {fmt(r.answer_ms):>7} {fmt(c2d):>8} "
            f"{len(r.latencies_ms):>6} {fmt(audio, 2):>9} "
            f"{r.sampling.get('unreadable', '-')!s:>6} {fmt(r.machine_cpu_pct):>6}% "
            f"{fmt(r.own_cpu_pct):>6}%  {'; '.join(r.failures) or '-'}"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps([r.__dict__ for r in results], indent=1, default=str) + "\n"
        )
        print(f"\nraw results written to {args.json}")


# ---------------------------------------------------------------------------- main


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so that browsers and the server are closed."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=10, help="calls to measure (default 10)")
    parser.add_argument(
        "--sample-seconds",
        type=float,
        default=5.0,
        help="capture-to-display sampling per call (default 5)",
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=1.0,
        help="how long the buyer waits, sending, before the agent accepts (default 1)",
    )
    parser.add_argument(
        "--camera",
        choices=("canvas", "fake"),
        default="canvas",
        help="the buyer's camera: a canvas with a time code (default), or Chromium's fake "
        "camera (join and answer times only)",
    )
    parser.add_argument(
        "--camera-size",
        metavar="WxH",
        help="make the canvas camera deliver this size instead of the size the page asks "
        "for (a diagnostic: the page asks for 1280x720)",
    )
    parser.add_argument(
        "--relay-only",
        action="store_true",
        help="both pages use TURN only, through a coturn on loopback started by the bench",
    )
    parser.add_argument("--json", help="also write the raw per-call results to this file")
    args = parser.parse_args()
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    camera_size = None
    if args.camera_size:
        try:
            width, height = (int(part) for part in args.camera_size.lower().split("x"))
        except ValueError:
            parser.error("--camera-size is WIDTHxHEIGHT, e.g. 640x360")
        camera_size = (width, height)

    started = time.monotonic()
    load_before = load_average()
    cpu_run: tuple[float, float] | None = None
    results: list[CallResult] = []
    chromium_version = "unknown"
    with contextlib.ExitStack() as running:
        running.enter_context(terminate_as_interrupt())
        tmp = running.enter_context(tempfile.TemporaryDirectory(prefix="showdesk-bench-"))
        turn: dict[str, Any] = {}
        if args.relay_only:
            relay = running.enter_context(coturn(Path(tmp) / "coturn"))
            turn = {
                "turn_urls": relay.urls,
                "turn_secret": relay.secret,
                "ice_transport_policy": "relay",
            }
            print(f"coturn on 127.0.0.1:{relay.port}; pages use TURN only", flush=True)
        server = BenchServer(Path(tmp) / "data", turn)
        server.start()
        print(f"server at {server.url}", flush=True)
        try:
            server.add_agent()
            with sync_playwright() as playwright:
                agent_browser, buyer_browser = launch(playwright)
                try:
                    chromium_version = agent_browser.version
                    problems: list[str] = []
                    agent_context, agent_page = open_agent(agent_browser, server.url, problems)
                    browsers = Browsers(
                        agent_browser, buyer_browser, agent_context, agent_page, problems
                    )
                    run_window = CpuWindow()
                    for index in range(1, args.calls + 1):
                        if time.monotonic() - started > RUN_WALL_CLOCK_S:
                            print(f"stopping: the run passed {RUN_WALL_CLOCK_S:.0f} s")
                            break
                        call_started = time.monotonic()
                        result = run_call(
                            index,
                            server,
                            browsers,
                            args.sample_seconds,
                            args.settle_seconds,
                            args.camera,
                            camera_size,
                        )
                        results.append(result)
                        print(
                            f"call {index}: join {fmt(result.join_ms)} ms, answer "
                            f"{fmt(result.answer_ms)} ms, {len(result.latencies_ms)} "
                            f"latency samples, {time.monotonic() - call_started:.1f} s"
                            + (
                                f"; FAILED: {'; '.join(result.failures)}" if result.failures else ""
                            ),
                            flush=True,
                        )
                        if time.monotonic() - call_started > CALL_WALL_CLOCK_S:
                            print("stopping: a call took longer than expected")
                            break
                    cpu_run = run_window.since()
                    if problems:
                        print("page problems:", *sorted(set(problems))[:10], sep="\n  ")
                finally:
                    for browser in (agent_browser, buyer_browser):
                        with contextlib.suppress(Exception):
                            browser.close()
        except KeyboardInterrupt:
            print("interrupted; reporting what was measured")
        finally:
            server.stop()
    if results:
        print_report(
            results, chromium_version, args, time.monotonic() - started, cpu_run, load_before
        )
    failed = sum(1 for r in results if r.failures)
    return 1 if not results or failed == len(results) else 0


if __name__ == "__main__":
    sys.exit(main())
