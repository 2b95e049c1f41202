"""How the agent's picture holds up when the buyer is on a degraded link.

    python bench/network.py [--seconds 40] [--calls 1] [--scenarios clean,rtt250,rtt300,blackout]
                            [--playout-target page|browser]

Starts a Showdesk server as bench/setup_time.py does (its ``BenchServer``: production
settings, one relay worker per core), an agent console in one headless Chromium and,
per call, a buyer page in another whose camera is a 640x360 canvas stamped with the
time (bench/js/buyer_camera.js, time_code.js). The buyer's media goes through the
impairment proxy (tests/helpers/impairment.py: a UDP proxy on 127.0.0.1, delay, random
loss and a rate cap per direction); the agent is connected directly. Scenarios:

- ``direct``: no proxy at all (a reference);
- ``clean``: the proxy with no impairment;
- ``rtt250``: 125 ms each way, 1% loss each way, 1.5 Mbps each way;
- ``rtt300``: 150 ms each way, 3% loss each way, 800 kbps each way;
- ``blackout``: clean, with 5 s of 100% loss both ways at 40% of the call.

Per call, from the agent's console (every presented frame, ``requestVideoFrameCallback``,
bench/js/network_frames.js) and both pages' ``getStats``:

- freezes: Chromium's own ``freezeCount`` / ``totalFreezesDuration`` at the agent;
- longest stall: the longest time between two new pictures at the agent;
- capture-to-display: median of the time code's age at display, and its trend (the
  median of the last third minus that of the first third);
- resolution: the agent's frame size at the end, and when it first reached 640x360;
- recording gaps: pauses over 0.2 s between frames of the buyer's recorded video
  (within and between its files), their count and total;
- for a blackout: how long after the link came back the picture moved again, and when
  capture-to-display was back to its level before (every sample within a second at most
  1.25x the median before, or 30 ms over it).

The proxy's own counts per direction are printed too: packets forwarded, lost and
overflowed, and how long the forwarded ones waited in the rate cap's queue (mean and
longest), the part of the delay the sender's own rate puts there.

The buyer's video round trip as Chromium measures it (``remote-inbound-rtp``, through
the proxy; the ICE pair's for ``direct``) is printed to show
the link was what it was asked to be. Never part of the test suite; stops by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
from common import process_cpu_s  # bench/common.py; it puts the repository on sys.path
from playwright.sync_api import Browser, Page, sync_playwright
from setup_time import (
    DESKTOP,
    PAGE_WAIT_MS,
    PHONE,
    REMOTE_VIDEO,
    BenchServer,
    bench_marks_js,
    buyer_js,
    fmt,
    launch,
    machine,
    page_script,
    recover_agent,
    sign_in_and_go_available,
    terminate_as_interrupt,
    wait_attr,
    wait_js,
    wait_ready_for_calls,
    watch_page,
)
from sqlmodel import Session, select

from server.models import Call
from tests.helpers.impairment import ROUND_TRIP_MS_JS, Impairment, ImpairmentProxy
from tests.helpers.recordings import all_ready, packets_of
from tests.helpers.waiting import wait_until

CAMERA_SIZE = (640, 360)
SCENARIOS: dict[str, tuple[str, Impairment | None]] = {
    "direct": ("loopback without the proxy", None),
    "clean": ("loopback through the proxy, no impairment", Impairment()),
    "rtt250": (
        "125 ms each way, 1% loss, 1.5 Mbps",
        Impairment(delay_ms=125, loss=0.01, rate_kbps=1500),
    ),
    "rtt300": (
        "150 ms each way, 3% loss, 800 kbps",
        Impairment(delay_ms=150, loss=0.03, rate_kbps=800),
    ),
    "blackout": ("5 s blackout at 40% of the call, then clean", Impairment()),
}
BLACKOUT_S = 5.0
RECORDING_GAP_S = 0.2
FIRST_FRAME_WAIT_MS = 20_000
RECORDING_WAIT_S = 30.0
TARGET_WIDTH = 640


@dataclass
class NetworkResult:
    scenario: str
    index: int
    freezes: int | None = None
    frozen_s: float | None = None
    longest_stall_s: float | None = None
    c2d_median_ms: float | None = None
    c2d_trend_ms: float | None = None  # last third's median minus the first third's
    size_at_end: str | None = None
    reached_640_after_s: float | None = None
    recording_gaps: int | None = None
    recording_gaps_s: float | None = None
    picture_back_s: float | None = None
    latency_back_s: float | None = None
    buyer_rtt_ms: float | None = None
    relay_cpu_pct: float | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def agent_script() -> str:
    return page_script("time_code", "agent_frames", "network_frames", REMOTE=REMOTE_VIDEO)


# The console's own playout target (web/js/playout.js) switched off: the receivers' setter
# does nothing, so Chromium keeps its own jitter buffer (--playout-target browser).
BROWSER_PLAYOUT_JS = """
Object.defineProperty(RTCRtpReceiver.prototype, "jitterBufferTarget", {
  configurable: true, get() { return null; }, set(_) {},
});
"""


def open_agent(browser: Browser, base_url: str, problems: list[str], playout: str = "page") -> Page:
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(PAGE_WAIT_MS)
    context.add_init_script(bench_marks_js())
    context.add_init_script(agent_script())
    if playout == "browser":
        context.add_init_script(BROWSER_PLAYOUT_JS)
    page = context.new_page()
    watch_page(page, "agent", problems)
    sign_in_and_go_available(page)
    return page


# ---------------------------------------------------------------------------- figures


def new_pictures(frames: dict[str, list]) -> list[tuple[float, float | None, int, int]]:
    """(display time ms, age ms or None, width, height) of each presented frame that
    shows a time code not seen before (an unreadable one counts as new)."""
    seen: set[int] = set()
    out = []
    for at, code, age, width, height in zip(
        frames["at"], frames["code"], frames["age"], frames["width"], frames["height"], strict=True
    ):
        if code is not None:
            if code in seen:
                continue
            seen.add(code)
        out.append((at, age, width, height))
    return out


def longest_stall_s(pictures: list[tuple[float, float | None, int, int]]) -> float | None:
    times = [p[0] for p in pictures]
    if len(times) < 2:
        return None
    return max(b - a for a, b in zip(times, times[1:], strict=False)) / 1000


def trend_ms(ages: list[float]) -> float | None:
    if len(ages) < 9:
        return None
    third = len(ages) // 3
    return statistics.median(ages[-third:]) - statistics.median(ages[:third])


def recovery(
    pictures: list[tuple[float, float | None, int, int]], dark_from: float, dark_to: float
) -> tuple[float | None, float | None]:
    """After a blackout from ``dark_from`` to ``dark_to`` (epoch ms): seconds from the
    link's return to the first new picture painted after it, and to the moment from which
    every sample for a second is back at the level before."""
    before = [a for t, a, _, _ in pictures if a is not None and dark_from - 5000 <= t < dark_from]
    painted_after = [
        (t, a) for t, a, _, _ in pictures if a is not None and t - a > dark_to and t > dark_to
    ]
    picture_back = (painted_after[0][0] - dark_to) / 1000 if painted_after else None
    if not before or not painted_after:
        return picture_back, None
    level = statistics.median(before)
    limit = max(level * 1.25, level + 30)
    samples = [(t, a) for t, a, _, _ in pictures if a is not None and t > dark_to]
    for i, (t, _) in enumerate(samples):
        window = [a for u, a in samples[i:] if u <= t + 1000]
        if samples[-1][0] >= t + 1000 and all(a <= limit for a in window):
            return picture_back, (t - dark_to) / 1000
    return picture_back, None


def recording_gaps(
    server: BenchServer, order_ref: str
) -> tuple[list[tuple[float, float]], float] | None:
    """Pauses over ``RECORDING_GAP_S`` between frames of the buyer's recorded video, within
    its files and between them (call clock): (each pause's start on the recording's clock
    and its length, in seconds; the median time between frames, to tell a sender's low
    frame rate from holes)."""
    with Session(server.app.state.engine) as db:
        call = db.exec(select(Call).where(Call.order_ref == order_ref)).first()
    if call is None:
        return None
    rows = wait_until(
        all_ready(server.app.state.engine, call.id, review=False),
        RECORDING_WAIT_S,
        "the call's track files",
    )
    times: list[float] = []
    for row in sorted(
        (r for r in rows if r.track == "buyer_video"), key=lambda r: r.start_offset_ms
    ):
        path = server.app.state.storage.local_path(row.storage_key)
        times += [row.start_offset_ms / 1000 + t for _, _, t in packets_of(path)]
    times.sort()
    steps = [(a, b - a) for a, b in zip(times, times[1:], strict=False)]
    gaps = [(at - times[0], step) for at, step in steps if step > RECORDING_GAP_S]
    return gaps, statistics.median(step for _, step in steps) if steps else 0.0


FEC_COUNTERS = ("fec_packets_received", "packets_recovered")


def fec_counters(url: str) -> dict[str, float]:
    """The relay's video FEC counters from /metrics (loopback may read it)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = dict.fromkeys(FEC_COUNTERS, 0.0)
    for line in text.splitlines():
        for name in FEC_COUNTERS:
            if line.startswith(f'showdesk_relay_{name}_total{{kind="video"}}'):
                found[name] = float(line.rsplit(" ", 1)[1])
    return found


def stats_of(stats: list[dict], type_: str, kind: str | None = "video") -> dict:
    for s in stats:
        if s.get("type") == type_ and (kind is None or s.get("kind") == kind):
            return s
    return {}


# ---------------------------------------------------------------------------- one call


def run_call(
    scenario: str,
    index: int,
    server: BenchServer,
    agent: Page,
    buyer_browser: Browser,
    seconds: float,
    problems: list[str],
) -> NetworkResult:
    result = NetworkResult(scenario=scenario, index=index)
    impairment = SCENARIOS[scenario][1]
    order_ref = f"NET-{scenario}-{index}-{os.getpid()}"
    link_url = server.make_link(order_ref)
    context = buyer_browser.new_context(
        base_url=server.url, viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US"
    )
    with ImpairmentProxy(seed=index) as proxy:
        try:
            context.set_default_timeout(PAGE_WAIT_MS)
            context.add_init_script(bench_marks_js())
            for script in buyer_js("canvas"):
                context.add_init_script(script)
            context.add_init_script(
                f"window.__bench.cameraSize = {list(CAMERA_SIZE)};"
                " window.__bench.cameraDetail = true;"
            )
            buyer = context.new_page()
            watch_page(buyer, "buyer", problems)
            if impairment is not None:
                proxy.set(impairment)
                proxy.attach(buyer)
            fec_before = fec_counters(server.url)
            buyer.goto(link_url)
            buyer.get_by_test_id("consent-accept").click()
            wait_attr(buyer, '[data-testid="call-state"]', "data-state", "waiting")
            agent.wait_for_function(
                "(ref) => [...document.querySelectorAll('[data-testid=\"queue-item\"]')].some("
                "(li) => li.textContent.includes(ref) && "
                "!li.querySelector('[data-testid=\"accept\"]').disabled)",
                arg=order_ref,
                timeout=PAGE_WAIT_MS,
                polling=20,
            )
            item = agent.locator('[data-testid="queue-item"]', has_text=order_ref)
            item.get_by_test_id("accept").click()
            wait_js(agent, "window.__bench.firstFrame", FIRST_FRAME_WAIT_MS)
            accepted_at = agent.evaluate("window.__bench.acceptWall")
            workers = server.relay_worker_pids()
            relay_before, wall_before = process_cpu_s(workers), time.monotonic()
            agent.evaluate("(ms) => window.__bench.startWatching(ms)", seconds * 1000)
            dark: tuple[float, float] | None = None
            if scenario == "blackout":
                agent.wait_for_timeout(seconds * 400)
                dark_from = time.time() * 1000
                proxy.blackout(BLACKOUT_S)
                dark = (dark_from, dark_from + BLACKOUT_S * 1000)
            wait_js(agent, "window.__bench.frames.done", int(seconds * 1000) + PAGE_WAIT_MS)
            relay_after, wall_after = process_cpu_s(workers), time.monotonic()
            if relay_before and relay_before.keys() == relay_after.keys():
                used = sum(relay_after.values()) - sum(relay_before.values())
                result.relay_cpu_pct = 100 * used / (wall_after - wall_before)
            frames = agent.evaluate("window.__bench.frames")
            agent_stats = agent.evaluate("window.__bench.stats()")
            buyer_stats = buyer.evaluate("window.__bench.stats()")
            summarise(result, frames, agent_stats, buyer_stats, accepted_at, dark)
            if impairment is not None:  # Chromium's own video round trip, through the proxy
                result.buyer_rtt_ms = buyer.evaluate(ROUND_TRIP_MS_JS)
            result.diagnostics["proxy"] = {
                direction: f"{s.forwarded} fwd, {s.lost} lost, {s.overflowed} overflowed,"
                f" queued {1000 * s.queued_s / max(s.forwarded, 1):.0f} ms mean"
                f" / {1000 * s.queued_max_s:.0f} ms max"
                for direction, s in proxy.stats().items()
            }
            agent.get_by_test_id("end-call").click()
            buyer.get_by_test_id("call-ended").wait_for(state="visible")
            wait_ready_for_calls(agent)
            fec_after = fec_counters(server.url)
            result.diagnostics["fec_in"] = round(
                fec_after["fec_packets_received"] - fec_before["fec_packets_received"]
            )
            result.diagnostics["rebuilt"] = round(
                fec_after["packets_recovered"] - fec_before["packets_recovered"]
            )
            gaps = recording_gaps(server, order_ref)
            if gaps is not None:
                pauses, frame_step_s = gaps
                result.recording_gaps = len(pauses)
                result.recording_gaps_s = sum(length for _, length in pauses)
                result.diagnostics["recording_pauses_s"] = " ".join(
                    f"{length:.2f}@{at:.1f}" for at, length in pauses
                )
                result.diagnostics["recorded_frame_step_ms"] = round(1000 * frame_step_s)
        except Exception as exc:  # noqa: BLE001  (one failed call must not stop the run)
            result.failures.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            recover_agent(agent)
        finally:
            with contextlib.suppress(Exception):
                context.close()
    return result


def summarise(
    result: NetworkResult,
    frames: dict[str, list],
    agent_stats: list[dict],
    buyer_stats: list[dict],
    accepted_at: float,
    dark: tuple[float, float] | None,
) -> None:
    pictures = new_pictures(frames)
    ages = [a for _, a, _, _ in pictures if a is not None]
    if not pictures:
        result.failures.append("no picture at the agent")
        return
    result.longest_stall_s = longest_stall_s(pictures)
    if ages:
        result.c2d_median_ms = statistics.median(ages)
        result.c2d_trend_ms = trend_ms(ages)
    _, _, width, height = pictures[-1]
    result.size_at_end = f"{width}x{height}"
    wide = [t for t, _, w, _ in pictures if w >= TARGET_WIDTH]
    if wide:
        result.reached_640_after_s = (wide[0] - accepted_at) / 1000
    if dark is not None:
        result.picture_back_s, result.latency_back_s = recovery(pictures, *dark)
    inbound = stats_of(agent_stats, "inbound-rtp")
    result.freezes = inbound.get("freezeCount")
    result.frozen_s = inbound.get("totalFreezesDuration")
    outbound = stats_of(buyer_stats, "outbound-rtp")
    pair = next(
        (
            s
            for s in buyer_stats
            if s.get("type") == "candidate-pair"
            and s.get("nominated")
            and s.get("state") == "succeeded"
        ),
        {},
    )
    if pair.get("currentRoundTripTime") is not None:
        result.buyer_rtt_ms = 1000 * pair["currentRoundTripTime"]
    result.diagnostics.update(
        {
            "agent_lost": inbound.get("packetsLost"),
            "agent_nacks": inbound.get("nackCount"),
            "agent_fps": inbound.get("framesPerSecond"),
            "agent_jitter_buffer_ms": _mean_ms(
                inbound.get("jitterBufferDelay"), inbound.get("jitterBufferEmittedCount")
            ),
            "agent_jitter_target_ms": _mean_ms(
                inbound.get("jitterBufferTargetDelay"), inbound.get("jitterBufferEmittedCount")
            ),
            "agent_jitter_minimum_ms": _mean_ms(
                inbound.get("jitterBufferMinimumDelay"), inbound.get("jitterBufferEmittedCount")
            ),
            "buyer_sent": f"{outbound.get('frameWidth')}x{outbound.get('frameHeight')}",
            "buyer_limit": outbound.get("qualityLimitationReason"),
            "buyer_target_kbps": round(outbound.get("targetBitrate", 0) / 1000),
            "buyer_nacks_in": outbound.get("nackCount"),
            "buyer_retransmitted": outbound.get("retransmittedPacketsSent"),
            "buyer_available_kbps": round(pair.get("availableOutgoingBitrate", 0) / 1000),
        }
    )


def _mean_ms(total_s: float | None, count: int | None) -> int | None:
    """The mean of a getStats total in seconds over its count, in ms (None without both)."""
    if total_s is None or not count:
        return None
    return round(1000 * total_s / count)


# ---------------------------------------------------------------------------- report


def print_report(results: list[NetworkResult], chromium: str, args: argparse.Namespace) -> None:
    print()
    print("Showdesk degraded-link bench (buyer through the impairment proxy)")
    for name, value in machine(chromium):
        print(f"  {name + ':':<9} {value}")
    print(f"  calls of {args.seconds:g} s, canvas camera {CAMERA_SIZE[0]}x{CAMERA_SIZE[1]}")
    print(f"  the console's playout target: {args.playout_target}")
    print()
    header = (
        f"{'scenario':<9} {'#':>2} {'freezes':>7} {'frozen s':>8} {'stall s':>7} "
        f"{'c2d ms':>6} {'trend':>6} {'size end':>9} {'640 at s':>8} {'rec gaps':>8} "
        f"{'gaps s':>6} {'back s':>6} {'lat s':>5} {'rtt':>5} {'relay%':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.scenario:<9} {r.index:>2} {fmt(r.freezes):>7} {fmt(r.frozen_s, 2):>8} "
            f"{fmt(r.longest_stall_s, 2):>7} {fmt(r.c2d_median_ms):>6} "
            f"{fmt(r.c2d_trend_ms):>6} {r.size_at_end or '-':>9} "
            f"{fmt(r.reached_640_after_s, 1):>8} {fmt(r.recording_gaps):>8} "
            f"{fmt(r.recording_gaps_s, 2):>6} {fmt(r.picture_back_s, 2):>6} "
            f"{fmt(r.latency_back_s, 1):>5} {fmt(r.buyer_rtt_ms):>5} {fmt(r.relay_cpu_pct, 1):>6}"
        )
    print()
    for r in results:
        detail = ", ".join(f"{k} {v}" for k, v in r.diagnostics.items())
        print(f"{r.scenario} {r.index}: {detail}")
        if r.failures:
            print(f"  FAILED: {'; '.join(r.failures)}")
    print(
        "\n(c2d: capture-to-display median; trend: last third's median minus the first's;"
        " rtt: the buyer's video round trip (remote-inbound-rtp) through the proxy;"
        " relay%: relay workers, % of one core)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="call length (default 40)")
    parser.add_argument("--calls", type=int, default=1, help="calls per scenario (default 1)")
    parser.add_argument(
        "--scenarios",
        default=",".join(s for s in SCENARIOS if s != "direct"),
        help=f"comma-separated, of {', '.join(SCENARIOS)} (default all but direct)",
    )
    parser.add_argument(
        "--playout-target",
        choices=("page", "browser"),
        default="page",
        help="page: the console sets its playout target (web/js/playout.js, as shipped); "
        "browser: that is switched off and Chromium keeps its own",
    )
    args = parser.parse_args()
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown or not chosen:
        parser.error(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")
    if args.seconds < 10:
        parser.error("--seconds must be at least 10")

    results: list[NetworkResult] = []
    chromium = "unknown"
    problems: list[str] = []
    with terminate_as_interrupt(), tempfile.TemporaryDirectory(prefix="showdesk-net-") as tmp:
        server = BenchServer(Path(tmp) / "data")
        server.start()
        try:
            server.add_agent()
            with sync_playwright() as playwright:
                agent_browser, buyer_browser = launch(playwright)
                try:
                    chromium = agent_browser.version
                    agent = open_agent(agent_browser, server.url, problems, args.playout_target)
                    for scenario in chosen:
                        for index in range(1, args.calls + 1):
                            r = run_call(
                                scenario,
                                index,
                                server,
                                agent,
                                buyer_browser,
                                args.seconds,
                                problems,
                            )
                            results.append(r)
                            print(
                                f"{scenario} {index}: freezes {fmt(r.freezes)}, stall "
                                f"{fmt(r.longest_stall_s, 2)} s, c2d {fmt(r.c2d_median_ms)} ms, "
                                f"end {r.size_at_end}"
                                + (f"; FAILED: {'; '.join(r.failures)}" if r.failures else ""),
                                flush=True,
                            )
                finally:
                    for browser in (agent_browser, buyer_browser):
                        with contextlib.suppress(Exception):
                            browser.close()
        except KeyboardInterrupt:
            print("interrupted; reporting what was measured")
        finally:
            server.stop()
    if problems:
        print("page problems:", *sorted(set(problems))[:10], sep="\n  ")
    if results:
        print_report(results, chromium, args)
    return 0 if results and not all(r.failures for r in results) else 1


if __name__ == "__main__":
    av.logging.set_level(av.logging.ERROR)
    sys.exit(main())
