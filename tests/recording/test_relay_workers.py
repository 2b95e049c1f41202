"""The media runs in relay worker processes: a worker that dies costs only its own calls
(ended ``relay_failed``, recordings kept up to the last flush) and is replaced; a worker
whose server is killed exits by itself, leaving its recordings readable; a worker still
starting when the relay stops is ended, not waited for."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from server.db import make_engine
from server.recording.names import track_key
from server.recording.probe import probe_file
from server.relay.interface import RelayError
from server.relay.pool import WorkerPool
from tests.helpers.calls import engine_cookies, live_call
from tests.helpers.recordings import all_ready, call_row, decoded_video, wait_recorded
from tests.helpers.servers import served
from tests.helpers.waiting import async_wait_until, wait_in_thread
from tests.helpers.ws import recv_type

ORPHAN_EXIT_DEADLINE_S = 10.0  # generous: a worker exits well within 2 s by design


def _frames(call) -> int:
    """Video frames the call's agent has received."""
    return len(call.agent.captures["video"].frames)


async def _more_frames(call, how_many: int, timeout_s: float, what: str) -> None:
    start = _frames(call)

    async def grew() -> bool:
        return _frames(call) >= start + how_many

    await async_wait_until(grew, timeout_s, what)


def _buyer_video(call_id: str) -> str:
    """The storage key of the call's first buyer video file."""
    return track_key(call_id, "buyer_video", 0, "webm")


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} is not in /metrics")


async def test_a_killed_relay_worker_ends_only_its_calls_relay_failed_and_is_replaced(
    server_factory,
):
    server = server_factory(relay_workers=2)
    engine = server.app.state.engine
    relay = server.app.state.calls.relay
    staff, buyer = engine_cookies(engine, server.url)
    async with (
        live_call(server.url, await staff("ana@shop.test"), await buyer("W-1")) as doomed,
        live_call(server.url, await staff("bo@shop.test"), await buyer("W-2")) as spared,
    ):
        killed_pid = relay.worker_of_call(doomed.session_id)
        spared_pid = relay.worker_of_call(spared.session_id)
        assert killed_pid and spared_pid and killed_pid != spared_pid, relay.workers()
        for call in (doomed, spared):
            await _more_frames(call, 30, 10, "the buyer's video at the agent")
        files = server.app.state.settings.data_dir / "files"  # seconds of recording to keep
        await wait_recorded(files / _buyer_video(doomed.session_id), 2000)

        os.kill(killed_pid, signal.SIGKILL)

        for ws in (doomed.buyer_ws, doomed.agent_ws):
            ended = await recv_type(ws, "call", 10, where=lambda m: m["state"] == "ended")
            assert ended["end_reason"] == "relay_failed"
        await _more_frames(spared, 60, 10, "the other call's video after the kill")
        assert call_row(engine, spared.session_id).state == "live"
        assert relay.worker_of_call(spared.session_id) == spared_pid

        async def replaced() -> list[int]:
            pids = [w["pid"] for w in relay.workers() if w["alive"]]
            return pids if len(pids) == 2 and killed_pid not in pids else []

        pids = await async_wait_until(replaced, 20, "a new worker in the killed one's place")
        (new_pid,) = set(pids) - {spared_pid}
        async with live_call(server.url, await staff("cy@shop.test"), await buyer("W-3")) as nxt:
            assert relay.worker_of_call(nxt.session_id) == new_pid
            await _more_frames(nxt, 30, 10, "video through the new worker")
            await nxt.end()
        await spared.end()

    row = call_row(engine, doomed.session_id)
    assert row.state == "ended" and row.end_reason == "relay_failed"
    rows = await wait_in_thread(
        all_ready(engine, doomed.session_id), 30, "killed call's files final"
    )
    video = next(r for r in rows if r.track == "buyer_video")
    assert video.duration_ms >= 1500, video  # kept up to the last flush
    spared_row = await wait_in_thread(
        lambda: (row := call_row(engine, spared.session_id)) and row.end_reason and row,
        10,
        "the other call's end stored",
    )
    assert spared_row.end_reason == "agent_ended"
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{server.url}/metrics")).text
    assert _metric(metrics, "showdesk_relay_worker_restarts_total") == 1.0
    assert _metric(metrics, "showdesk_relay_workers") == 2.0


async def test_a_stuck_relay_worker_is_killed_and_its_calls_end_relay_failed(server_factory):
    server = server_factory(relay_workers=1)
    relay = server.app.state.calls.relay
    staff, buyer = engine_cookies(server.app.state.engine, server.url)
    async with live_call(server.url, await staff("ana@shop.test"), await buyer("S-1")) as call:
        stuck_pid = relay.worker_of_call(call.session_id)
        await _more_frames(call, 30, 10, "the buyer's video at the agent")
        os.kill(stuck_pid, signal.SIGSTOP)  # alive, but answers nothing any more
        try:
            ended = await recv_type(
                call.buyer_ws, "call", 40, where=lambda m: m["state"] == "ended"
            )
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(stuck_pid, signal.SIGCONT)
        assert ended["end_reason"] == "relay_failed"

    async def replaced() -> bool:
        return any(w["alive"] and w["pid"] != stuck_pid for w in relay.workers())

    await async_wait_until(replaced, 20, "a new worker in the stuck one's place")
    assert not _running(stuck_pid), "the stuck worker was killed"


async def test_each_relay_worker_stays_on_a_core_of_its_own(server_factory):
    cores = sorted(os.sched_getaffinity(0))
    server = server_factory(relay_workers=len(cores))
    relay = server.app.state.calls.relay
    await server.arun(relay.wait_ready())
    pinned = [os.sched_getaffinity(w["pid"]) for w in relay.workers()]
    assert sorted(min(cpus) for cpus in pinned) == cores, pinned
    assert all(len(cpus) == 1 for cpus in pinned), pinned


async def test_workers_can_be_left_unpinned(server_factory):
    cores = os.sched_getaffinity(0)
    server = server_factory(relay_workers=1, relay_pin_cpus=False)
    relay = server.app.state.calls.relay
    await server.arun(relay.wait_ready())
    assert os.sched_getaffinity(relay.workers()[0]["pid"]) == cores


async def test_a_worker_still_starting_when_the_relay_stops_is_ended_not_waited_for(tmp_path):
    events: list[dict] = []
    pool = WorkerPool(
        events.append,
        workers=1,
        files_dir=tmp_path / "files",
        ice_servers=[],
        video_codecs=("VP8",),
        connect_timeout_s=5.0,
        pin_cpus=False,
    )
    await pool.start()  # the worker is spawned; it takes a while to import and start
    (worker,) = pool.workers()
    await pool.aclose()
    assert not _running(worker["pid"]), "the worker has exited and was reaped"
    assert pool.workers()[0]["alive"] is False
    with pytest.raises(RelayError, match="did not start"):
        await pool.wait_ready(1)  # it was ended before it ever started
    assert events == []  # nothing reported: no call was on it
    assert pool.restarts == 0


def _workers_of(server_pid: int) -> list[int]:
    """The relay worker processes whose parent is ``server_pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            if int(stat.rsplit(")", 1)[1].split()[1]) == server_pid and (
                b"server.relay.worker" in cmdline
            ):
                found.append(int(entry))
    return found


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (an exited child nobody reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_a_worker_whose_server_is_killed_exits_by_itself_and_leaves_readable_files(
    tmp_path,
):
    engine = make_engine(f"sqlite:///{(tmp_path / 'data' / 'showdesk.db').resolve()}")
    files = tmp_path / "data" / "files"
    with served(tmp_path) as server:
        staff, buyer = engine_cookies(engine, server.url)
        async with live_call(server.url, await staff("ana@shop.test"), await buyer("O-1")) as call:
            await _more_frames(call, 30, 10, "the buyer's video at the agent")
            await wait_recorded(files / _buyer_video(call.session_id), 3000)
            workers = _workers_of(server.proc.pid)
            assert workers, "the server runs relay workers"
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(timeout=5)
            killed_at = time.monotonic()

            async def all_exited() -> bool:
                return not any(_running(pid) for pid in workers)

            await async_wait_until(all_exited, ORPHAN_EXIT_DEADLINE_S, "orphaned workers gone")
            print(f"orphaned workers exited {time.monotonic() - killed_at:.2f} s after SIGKILL")
    video_path = files / _buyer_video(call.session_id)
    facts = await asyncio.to_thread(probe_file, video_path)
    assert facts.error is None and facts.duration_ms >= 2500, facts
    frames = await asyncio.to_thread(decoded_video, video_path)
    assert len(frames) >= 2.5 * 30 * 0.8, len(frames)
    audio = await asyncio.to_thread(
        probe_file, files / f"calls/{call.session_id}/tracks/buyer_audio-0.webm"
    )
    assert audio.error is None and audio.duration_ms >= 2500, audio
