"""Buyer -> relay -> agent with real aiortc peers: what the agent gets is what the
buyer sent, byte for byte, and keyframe requests travel back to the buyer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from server.relay.forwarding import GOP_CACHE_MAX_FRAMES
from server.relay.local import LocalRelay
from server.relay.receiver_tap import KEYFRAME_REQUEST_MIN_INTERVAL_S
from tests.helpers.clips import vp8_clip
from tests.helpers.peers import Client, events_of
from tests.helpers.waiting import poll_until

FRAMES_COMPARED = 30
PLI_PACING_S = 0.02  # how often the test agent asks for a keyframe


def _find_run(sent: list[bytes], received: list[bytes]) -> int | None:
    """Index in ``sent`` where ``received`` occurs as a contiguous run, if it does."""
    for start in range(len(sent) - len(received) + 1):
        if sent[start : start + len(received)] == received:
            return start
    return None


async def _connect(relay: LocalRelay, client: Client, call_id: str, pid: str, role: str) -> None:
    await relay.open(call_id, pid, role)
    await client.accept(await relay.answer(pid, await client.offer()))


async def _buyer_and_agent(
    relay: LocalRelay, clients: list[Client], events: list[dict[str, Any]]
) -> tuple[Client, Client]:
    buyer = Client()
    buyer.send("video")
    buyer.send("audio", receive=True)
    agent = Client()
    agent.receive("video")
    agent.send("audio", receive=True)
    clients += [buyer, agent]
    await _connect(relay, buyer, "call-1", "buyer-1", "buyer")
    # The buyer's media flows before any agent exists (waiting in the queue).
    await poll_until(
        lambda: len(events_of(events, "first_frame", "buyer-1")) == 2,
        lambda: f"buyer events: {[e for e in events if e['participant_id'] == 'buyer-1']}",
    )
    await _connect(relay, agent, "call-1", "agent-1", "agent")
    return buyer, agent


async def test_agent_receives_buyer_video_and_audio_byte_identical(relay, clients, events):
    buyer, agent = await _buyer_and_agent(relay, clients, events)
    video, audio = agent.captures["video"], agent.captures["audio"]
    await poll_until(
        lambda: len(video.frames) >= FRAMES_COMPARED + 2 and len(audio.frames) >= FRAMES_COMPARED,
        lambda: f"agent got {len(video.frames)} video, {len(audio.frames)} audio frames",
    )

    assert video.frames[0].is_keyframe, "a late joiner must start at a keyframe"
    received_video = video.payloads[:FRAMES_COMPARED]
    assert _find_run(buyer.tracks["video"].sent, received_video) is not None, (
        "the agent's VP8 frames are not a byte-identical run of the buyer's"
    )
    received_audio = audio.payloads[:FRAMES_COMPARED]
    assert _find_run(buyer.tracks["audio"].sent, received_audio) is not None, (
        "the agent's Opus frames are not a byte-identical run of the buyer's"
    )
    assert all(f.clock_rate == 48000 for f in audio.frames)
    assert all(f.codec_name == "VP8" for f in video.frames)
    assert [e["type"] for e in events_of(events, "connected", "agent-1")] == ["connected"]


async def test_buyer_receives_agent_audio_byte_identical(relay, clients, events):
    buyer, agent = await _buyer_and_agent(relay, clients, events)
    capture = buyer.captures["audio"]
    await poll_until(
        lambda: len(capture.frames) >= FRAMES_COMPARED,
        lambda: f"buyer got {len(capture.frames)} audio frames from the agent",
    )
    assert _find_run(agent.tracks["audio"].sent, capture.payloads[:FRAMES_COMPARED]) is not None


async def test_agent_joining_a_running_call_requests_a_keyframe_upstream(relay, clients, events):
    buyer = Client()
    buyer.send("video")
    agent = Client()
    agent.receive("video")
    clients += [buyer, agent]
    await _connect(relay, buyer, "call-1", "buyer-1", "buyer")
    track = buyer.tracks["video"]
    # Let the buyer get far past its clip's keyframe, as a browser would (the relay keeps
    # only GOP_CACHE_MAX_FRAMES after a keyframe for newcomers; the clip has 60 frames).
    await poll_until(
        lambda: len(track.sent) > GOP_CACHE_MAX_FRAMES + 2,
        lambda: f"buyer sent {len(track.sent)}",
    )
    requests_before = buyer.spies["video"].count

    started = time.monotonic()
    await _connect(relay, agent, "call-1", "agent-1", "agent")
    await poll_until(
        lambda: buyer.spies["video"].count > requests_before,
        lambda: f"keyframe requests at the buyer: {buyer.spies['video'].count}",
    )
    capture = agent.captures["video"]
    await poll_until(lambda: bool(capture.frames), lambda: "the agent got no video frame")
    first_frame_ms = (capture.arrivals[0] - started) * 1000
    assert capture.frames[0].is_keyframe
    assert first_frame_ms < 1000, f"agent's first frame took {first_frame_ms:.0f} ms"


async def test_agent_joining_just_after_a_keyframe_starts_from_it_without_asking(
    relay, clients, events
):
    buyer = Client()
    buyer.send("video")
    agent = Client()
    agent.receive("video")
    clients += [buyer, agent]
    await _connect(relay, buyer, "call-1", "buyer-1", "buyer")
    track = buyer.tracks["video"]
    await poll_until(lambda: len(track.sent) > 5, lambda: f"buyer sent {len(track.sent)}")
    requests_before = buyer.spies["video"].count
    await _connect(relay, agent, "call-1", "agent-1", "agent")
    capture = agent.captures["video"]
    await poll_until(lambda: len(capture.frames) > 3, lambda: "the agent got no video frame")
    assert capture.frames[0].is_keyframe
    assert capture.payloads[:3] == list(vp8_clip()[:3])  # replayed from the clip's start
    assert buyer.spies["video"].count == requests_before  # no round trip to the buyer


async def test_agent_keyframe_request_reaches_buyer_rate_limited(relay, clients, events):
    buyer, agent = await _buyer_and_agent(relay, clients, events)
    capture = agent.captures["video"]
    await poll_until(lambda: len(capture.frames) > 5, lambda: f"{len(capture.frames)} frames")
    spy = buyer.spies["video"]
    receiver = agent.transceivers["video"].receiver
    ssrc = capture.tap.media_ssrc
    assert ssrc is not None

    # The agent asks every 20 ms for a second; the buyer hears at most one per 300 ms.
    baseline = spy.count
    asked = 0
    started = time.monotonic()
    while time.monotonic() - started < 1.0:
        await receiver._send_rtcp_pli(ssrc)
        asked += 1
        await asyncio.sleep(PLI_PACING_S)
    sink = relay.sinks("agent-1")[0]
    await poll_until(
        lambda: sink.keyframe_requests_received >= asked,
        lambda: f"relay got {sink.keyframe_requests_received} of {asked} requests",
    )
    await poll_until(
        lambda: spy.count > baseline, lambda: f"buyer saw {spy.count - baseline} requests"
    )
    heard = spy.count - baseline
    elapsed_s = time.monotonic() - started
    assert asked >= 20
    assert heard <= int(elapsed_s / KEYFRAME_REQUEST_MIN_INTERVAL_S) + 1, (
        f"{asked} asked, {heard} reached the buyer in {elapsed_s:.2f} s"
    )
