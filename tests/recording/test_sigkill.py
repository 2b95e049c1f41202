"""A server process killed with SIGKILL mid-call keeps its recording up to the last
second; the next start ends the call ``server_restart``, finalizes its files and makes
its review file; a further start changes nothing."""

from __future__ import annotations

import asyncio
import signal
import time

from sqlmodel import Session, select

from server.db import make_engine
from server.models import CallEvent
from server.recording.probe import probe_file
from tests.helpers.calls import engine_cookies, live_call
from tests.helpers.recordings import all_ready, call_row, decoded_video, recordings_of
from tests.helpers.servers import served
from tests.helpers.waiting import wait_in_thread
from tests.helpers.ws import recv_type

KILL_AFTER_S = 8.0


def _ended_events(engine, call_id: str) -> list[CallEvent]:
    with Session(engine) as db:
        return list(
            db.exec(
                select(CallEvent).where(CallEvent.call_id == call_id, CallEvent.kind == "ended")
            )
        )


async def test_sigkill_mid_call_keeps_the_recording_and_the_next_start_finishes_it(tmp_path):
    engine = make_engine(f"sqlite:///{(tmp_path / 'data' / 'showdesk.db').resolve()}")
    files = tmp_path / "data" / "files"
    with served(tmp_path, log_name="first.log") as server:
        url, proc = server.url, server.proc
        staff, buyer = engine_cookies(engine, url)
        async with live_call(url, await staff("ana@shop.test"), await buyer("K-1")) as call:
            await asyncio.sleep(KILL_AFTER_S)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=5)
            killed_after_s = time.monotonic() - call.live_at
    call_id = call.session_id
    assert call_row(engine, call_id).state == "live"
    rows = recordings_of(engine, call_id)
    assert {r.state for r in rows} == {"recording"}, [(r.track, r.state) for r in rows]
    video_path = files / f"calls/{call_id}/tracks/buyer_video-0.webm"
    facts = await asyncio.to_thread(probe_file, video_path)
    assert facts.error is None and facts.duration_ms >= 7000, (facts, killed_after_s)
    frames = await asyncio.to_thread(decoded_video, video_path)
    assert frames[-1][2] >= 7.0 - 0.1 and len(frames) >= 7 * 30 * 0.8, (len(frames), frames[-1])

    with served(tmp_path, log_name="second.log"):
        ended = call_row(engine, call_id)
        assert ended.state == "ended" and ended.end_reason == "server_restart"
        assert ended.ended_at is not None
        assert len(_ended_events(engine, call_id)) == 1
        rows = await wait_in_thread(all_ready(engine, call_id), 30, "tracks and review ready")
    video = next(r for r in rows if r.track == "buyer_video")
    assert video.duration_ms >= 7000 and video.size_bytes == video_path.stat().st_size
    review = next(r for r in rows if r.kind == "review")
    assert review.duration_ms >= 7000
    assert (files / review.storage_key).stat().st_size == review.size_bytes

    # a further start finds nothing left to do
    before = sorted((r.id, r.state, r.sha256, r.finished_at) for r in rows)
    with served(tmp_path, log_name="third.log"):
        await asyncio.sleep(0.5)
        after = sorted(
            (r.id, r.state, r.sha256, r.finished_at) for r in recordings_of(engine, call_id)
        )
        assert after == before
        assert len(_ended_events(engine, call_id)) == 1


SHUTDOWN_DEADLINE_S = 10  # SIGTERM: participants told, connections closed, files final


async def test_sigterm_mid_call_tells_both_sides_and_finalizes_within_10_s(tmp_path):
    engine = make_engine(f"sqlite:///{(tmp_path / 'data' / 'showdesk.db').resolve()}")
    with served(tmp_path) as server:
        url, proc = server.url, server.proc
        staff, buyer = engine_cookies(engine, url)
        async with live_call(url, await staff("ana@shop.test"), await buyer("T-1")) as call:
            await asyncio.sleep(2.0)
            stopped_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            for ws in (call.buyer_ws, call.agent_ws):
                told = await recv_type(
                    ws, "call", timeout_s=SHUTDOWN_DEADLINE_S, where=lambda m: m["state"] == "ended"
                )
                assert told["end_reason"] == "server_shutdown"
            await asyncio.to_thread(proc.wait, SHUTDOWN_DEADLINE_S)
            assert time.monotonic() - stopped_at < SHUTDOWN_DEADLINE_S
            assert proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    ended = call_row(engine, call.session_id)
    assert (ended.state, ended.end_reason) == ("ended", "server_shutdown")
    tracks = [r for r in recordings_of(engine, call.session_id) if r.kind == "track"]
    assert tracks and {r.state for r in tracks} == {"ready"}
    video = next(r for r in tracks if r.track == "buyer_video")
    facts = await asyncio.to_thread(probe_file, tmp_path / "data" / "files" / video.storage_key)
    assert facts.error is None and facts.duration_ms >= 1500
