"""Buyer -> relay -> agent with ``forwarding="packets"`` and real aiortc peers: the
buyer's video packets reach the agent renumbered for its leg, a packet lost on the
relay -> agent hop is retransmitted from the relay's history when the agent NACKs it,
and the agent's keyframe requests reach the buyer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.relay.local import LocalRelay
from server.relay.packet_forwarding import PacketForwarder
from server.relay.receiver_tap import KEYFRAME_REQUEST_MIN_INTERVAL_S
from tests.helpers.peers import Client, UplinkLoss, events_of
from tests.helpers.waiting import poll_until

FRAMES_COMPARED = 30


@pytest.fixture
async def relay(events: list[dict[str, Any]]) -> AsyncIterator[LocalRelay]:
    relay = LocalRelay(
        on_event=events.append,
        ice_servers=[],
        connect_timeout_s=5.0,
        video_codecs=("VP8",),
        forwarding="packets",
    )
    yield relay
    await relay.aclose()


def _find_run(sent: list[bytes], received: list[bytes]) -> int | None:
    for start in range(len(sent) - len(received) + 1):
        if sent[start : start + len(received)] == received:
            return start
    return None


async def _connect(relay: LocalRelay, client: Client, pid: str, role: str) -> None:
    await relay.open("call-1", pid, role)
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
    await _connect(relay, buyer, "buyer-1", "buyer")
    await poll_until(
        lambda: len(events_of(events, "first_frame", "buyer-1")) == 2,
        lambda: f"buyer events: {[e for e in events if e['participant_id'] == 'buyer-1']}",
    )
    await _connect(relay, agent, "agent-1", "agent")
    return buyer, agent


def _agent_forwarder(relay: LocalRelay) -> PacketForwarder:
    forwarders = relay._legs["agent-1"].packet_forwarders
    assert len(forwarders) == 1, "the agent's one video m-line forwards packets"
    return forwarders[0]


def test_forwarding_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="forwarding must be one of"):
        LocalRelay(
            on_event=lambda event: None,
            ice_servers=[],
            connect_timeout_s=5.0,
            video_codecs=("VP8",),
            forwarding="bytes",
        )


async def test_agent_gets_the_buyers_video_packets_on_its_own_leg(relay, clients, events):
    buyer, agent = await _buyer_and_agent(relay, clients, events)
    video, audio = agent.captures["video"], agent.captures["audio"]
    await poll_until(
        lambda: len(video.frames) >= FRAMES_COMPARED + 2 and len(audio.frames) >= 10,
        lambda: f"agent got {len(video.frames)} video, {len(audio.frames)} audio frames",
    )
    forwarder = _agent_forwarder(relay)
    received = video.payloads[2 : FRAMES_COMPARED + 2]
    assert _find_run(buyer.tracks["video"].sent, received) is not None, (
        "the agent's VP8 frames are not a byte-identical run of the buyer's"
    )
    assert forwarder.packets_forwarded >= len(received)
    agent_video = agent.transceivers["video"].receiver
    sender = relay._legs["agent-1"].pc.getTransceivers()[0].sender
    assert sender.kind == "video"
    stats = await agent_video.getStats()
    inbound = [s for s in stats.values() if s.type == "inbound-rtp"]
    assert [s.ssrc for s in inbound] == [sender._ssrc], "the agent sees the leg's SSRC"
    buyer_ssrc = buyer.transceivers["video"].sender._ssrc
    assert buyer_ssrc != sender._ssrc


async def test_a_packet_lost_to_the_agent_is_resent_from_the_relays_history(relay, clients, events):
    buyer, agent = await _buyer_and_agent(relay, clients, events)
    video = agent.captures["video"]
    await poll_until(lambda: len(video.frames) >= 5, lambda: f"{len(video.frames)} frames")
    forwarder = _agent_forwarder(relay)
    sender = relay._legs["agent-1"].pc.getTransceivers()[0].sender
    loss = UplinkLoss(sender, nth=20)
    await poll_until(
        lambda: forwarder.packets_retransmitted >= 1,
        lambda: f"lost {loss.lost_sequence_number}, resent {forwarder.packets_retransmitted}",
    )
    got = len(video.frames)
    await poll_until(lambda: len(video.frames) >= got + 10, lambda: f"{len(video.frames)}")
    assert forwarder.history.get(loss.lost_sequence_number) is not None
    assert video.tap.frames_lost == 0, "the agent never gave up on a frame"
    received = video.payloads[2:]
    assert _find_run(buyer.tracks["video"].sent, received) is not None, (
        "the agent's frames around the loss are not the buyer's, in order"
    )


async def test_the_agents_keyframe_request_reaches_the_buyer(relay, clients, events):
    buyer, agent = await _buyer_and_agent(relay, clients, events)
    video = agent.captures["video"]
    await poll_until(lambda: len(video.frames) >= 5, lambda: f"{len(video.frames)} frames")
    await asyncio.sleep(KEYFRAME_REQUEST_MIN_INTERVAL_S + 0.1)
    before = buyer.keyframe_requests
    sender = relay._legs["agent-1"].pc.getTransceivers()[0].sender
    await agent.transceivers["video"].receiver._send_rtcp_pli(sender._ssrc)
    await poll_until(
        lambda: buyer.keyframe_requests > before,
        lambda: f"buyer keyframe requests: {buyer.keyframe_requests} (before {before})",
    )
