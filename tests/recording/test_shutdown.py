"""A normal shutdown mid-call: the call ends ``server_shutdown`` and its recordings are
final before the server has stopped; the review file is made by the next start at the
latest."""

from __future__ import annotations

import asyncio

from tests.helpers.calls import engine_cookies, live_call
from tests.helpers.recordings import all_ready, call_row, recordings_of
from tests.helpers.servers import start_live_server
from tests.helpers.waiting import wait_in_thread


async def test_shutdown_mid_call_finalizes_the_recordings_before_it_returns(tmp_path):
    live, server, thread = start_live_server(tmp_path / "data")
    engine = live.app.state.engine
    try:
        staff, buyer = engine_cookies(engine, live.url)
        async with live_call(live.url, await staff("ana@shop.test"), await buyer("S-1")) as call:
            await asyncio.sleep(2.0)
            server.should_exit = True
            await asyncio.to_thread(thread.join, 30)
            assert not thread.is_alive()
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)
    ended = call_row(engine, call.session_id)
    assert ended.state == "ended" and ended.end_reason == "server_shutdown"
    tracks = [r for r in recordings_of(engine, call.session_id) if r.kind == "track"]
    assert {r.track for r in tracks} == {"buyer_video", "buyer_audio", "agent_audio"}
    assert {r.state for r in tracks} == {"ready"}, [(r.track, r.state, r.error) for r in tracks]
    assert all(r.sha256 and r.duration_ms and r.duration_ms > 1000 for r in tracks)

    again, server, thread = start_live_server(tmp_path / "data")
    try:
        rows = await wait_in_thread(
            all_ready(again.app.state.engine, call.session_id), 30, "the review file"
        )
        assert next(r for r in rows if r.kind == "review").duration_ms > 1000
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)
