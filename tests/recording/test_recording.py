"""Calls recorded on a live server, held by real aiortc peers over the real protocol,
and the files checked with PyAV: per-track files as sent, the review file playable."""

from __future__ import annotations

import asyncio
import hashlib

import av
import httpx
import websockets

from server.relay.bitstream import is_keyframe
from tests.helpers.calls import engine_cookies, live_call
from tests.helpers.clips import VIDEO_FPS, VIDEO_SIZE, vp8_clip, vp8_clip_of
from tests.helpers.consent import consent_json
from tests.helpers.recordings import (
    all_ready,
    call_row,
    decoded_audio_samples,
    decoded_video,
    packets_of,
    recordings_of,
    runs_of_sent,
    sha256_file,
)
from tests.helpers.waiting import wait_in_thread
from tests.helpers.ws import HELLO, recv_type, ws_url

HOLD_S = 4.0


async def test_a_call_is_recorded_per_track_as_sent_and_gets_a_playable_review_file(live_server):
    engine, storage = live_server.app.state.engine, live_server.app.state.storage
    staff, buyer = engine_cookies(engine, live_server.url)
    agent = await staff("ana@shop.test")
    async with live_call(live_server.url, agent, await buyer("R-1")) as call:
        await asyncio.sleep(HOLD_S)
        # while the call is live the rows say so
        states = {r.track: r.state for r in recordings_of(engine, call.session_id)}
        assert states.get("buyer_video") == "recording", states
        await call.end()
    # taken once the buyer's connection is closed: the relay worker may still record a
    # frame or two after the buyer is told the call ended
    sent_video = list(call.buyer.tracks["video"].sent)
    rows = await wait_in_thread(all_ready(engine, call.session_id), 30, "tracks and review ready")
    tracks = {r.track: r for r in rows if r.kind == "track"}
    assert set(tracks) == {"buyer_video", "buyer_audio", "agent_audio"}, tracks
    for row in tracks.values():
        path = storage.local_path(row.storage_key)
        assert row.storage_key == f"calls/{call.session_id}/tracks/{row.track}-0.webm"
        assert row.size_bytes == path.stat().st_size and row.sha256 == sha256_file(path)
        assert row.duration_ms > 0.7 * HOLD_S * 1000, row
        assert row.segment == 0 and row.content_type.endswith("/webm")
        assert 0 < row.start_offset_ms < 60_000

    # the buyer's video: the frames that were sent, byte for byte, in order, from a
    # keyframe on; if the network lost a packet for good, it resumes at a keyframe
    video_path = storage.local_path(tracks["buyer_video"].storage_key)
    packets = packets_of(video_path)
    recorded = [data for data, _, _ in packets]
    runs = runs_of_sent(recorded, sent_video)  # every recorded frame was sent, in order
    for run in runs:
        assert packets[run.recorded_at][1] and is_keyframe("VP8", recorded[run.recorded_at]), run
    if await frames_lost(live_server) == 0:
        assert len(runs) == 1, runs  # nothing lost on the way: nothing left out
    assert len(recorded) >= 0.8 * VIDEO_FPS * (call.live_s - 1.0), (len(recorded), call.live_s)
    frames = decoded_video(video_path)
    assert len(frames) == len(recorded)
    assert {(w, h) for w, h, _ in frames} == {VIDEO_SIZE}
    for track in ("buyer_audio", "agent_audio"):
        samples = decoded_audio_samples(storage.local_path(tracks[track].storage_key))
        assert samples > 0.7 * HOLD_S * 48000, (track, samples)
    assert tracks["buyer_video"].codec == "vp8" and tracks["buyer_audio"].codec == "opus"

    # the review file, as the review API lists and serves it to the call's agent: one
    # video and one audio stream, the call's length, seekable
    async with httpx.AsyncClient(base_url=live_server.url, headers={"Cookie": agent}) as http:
        detail = (await http.get(f"/api/sessions/{call.session_id}")).json()
        served = await http.get(f"/api/sessions/{call.session_id}/recording")
    review = detail["review_recording"]
    assert review is not None and detail["recordings"][-1] == review, detail["recordings"]
    row = next(r for r in rows if r.kind == "review")
    assert review["id"] == row.id and review["url"] == f"/api/sessions/{call.session_id}/recording"
    assert row.storage_key == f"calls/{call.session_id}/review.webm"
    review_path = storage.local_path(row.storage_key)
    assert review["state"] == "ready" and review["progress"] == 100
    assert review["sha256"] == sha256_file(review_path)
    assert review["size_bytes"] == review_path.stat().st_size
    assert served.status_code == 200, served.text
    assert hashlib.sha256(served.content).hexdigest() == review["sha256"]
    assert abs(review["duration_ms"] / 1000 - call.live_s) <= 0.1 * call.live_s, (
        review["duration_ms"],
        call.live_s,
    )
    with av.open(str(review_path)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
        duration_s = container.duration / 1_000_000
        assert abs(duration_s - call.live_s) <= 0.1 * call.live_s
        assert sum(1 for _ in container.decode(video=0)) >= len(recorded) - 2
    with av.open(str(review_path)) as container:
        assert decoded_audio_samples_in(container) > 0.8 * call.live_s * 48000
    with av.open(str(review_path)) as container:
        middle = duration_s / 2
        container.seek(int(middle * 1_000_000), any_frame=False)
        frame = next(container.decode(video=0))
        assert abs(frame.time - middle) < 2.5, (frame.time, middle)  # keyframes every 2 s


async def frames_lost(server) -> int:
    """Video frames the relay gave up after packets were lost for good."""
    relay = server.app.state.calls.relay

    async def totals() -> dict:
        await relay.refresh_stats()
        return relay.stats()["totals"]

    counts = await server.arun(totals())
    return sum(n for (name, *_), n in counts.items() if name == "frames_lost")


def decoded_audio_samples_in(container) -> int:
    return sum(f.samples for f in container.decode(audio=0))


async def test_a_resolution_change_mid_call_keeps_the_recording_decodable(live_server):
    engine, storage = live_server.app.state.engine, live_server.app.state.storage
    staff, buyer = engine_cookies(engine, live_server.url)
    small = vp8_clip_of(240, 180)
    vp8_clip()  # both clips encoded before the call, not during it
    async with live_call(live_server.url, await staff("ana@shop.test"), await buyer("R-2")) as call:
        await asyncio.sleep(2.0)
        call.buyer.tracks["video"].switch(small)
        await asyncio.sleep(2.0)
        await call.end()
    rows = await wait_in_thread(all_ready(engine, call.session_id), 30, "tracks and review ready")
    video = next(r for r in rows if r.track == "buyer_video")
    frames = decoded_video(storage.local_path(video.storage_key))
    sizes = [(w, h) for w, h, _ in frames]
    assert sizes[0] == (320, 240) and sizes[-1] == (240, 180), sorted(set(sizes))
    assert len(frames) >= 0.8 * VIDEO_FPS * (call.live_s - 1.0)
    review = next(r for r in rows if r.kind == "review")
    review_frames = decoded_video(storage.local_path(review.storage_key))
    assert {(w, h) for w, h, _ in review_frames} == {(320, 240), (240, 180)}


async def test_a_declined_call_records_nothing(live_server):
    engine, storage = live_server.app.state.engine, live_server.app.state.storage
    _, buyer = engine_cookies(engine, live_server.url)

    async with websockets.connect(
        ws_url(live_server, "buyer"), additional_headers={"Cookie": await buyer("R-3")}
    ) as ws:
        await ws.send(HELLO)
        await ws.send(consent_json(False))
        ended = await recv_type(ws, "call")
        assert ended["end_reason"] == "buyer_declined"
    call_id = ended["session_id"]
    # once the call's end is stored, anything recorded for it would be stored too
    await wait_in_thread(
        lambda: (row := call_row(engine, call_id)) and row.state == "ended" and row,
        5,
        "the declined call stored as ended",
    )
    assert recordings_of(engine, call_id) == []
    assert not (storage.root / "calls" / call_id).exists()
