"""The private aiortc attributes the relay relies on still exist (aiortc is pinned
to 1.16.x; an upgrade that moves them must fail here, not in a call), and tapping
one receiver leaves every other peer connection in the process decoding."""

from __future__ import annotations

import av
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from server.relay.ice_checks import check_ice_seams, ice_connections
from server.relay.receiver_tap import ReceiverSeamError, check_receiver_seams
from tests.helpers.clips import VIDEO_SIZE
from tests.helpers.peers import Client, events_of
from tests.helpers.waiting import poll_until


async def test_receiver_and_sender_still_have_the_seams():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        transceiver = pc.addTransceiver("video", "recvonly")
        check_receiver_seams(transceiver.receiver)
        assert callable(transceiver.sender._send_keyframe)
    finally:
        await pc.close()


async def test_the_ice_connection_of_a_peer_connection_still_has_the_seams():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio", "sendrecv")
        pc.addTransceiver("video", "sendrecv")
        [connection] = ice_connections(pc)[:1]
        check_ice_seams(connection)
    finally:
        await pc.close()


async def test_a_started_receiver_is_refused():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        receiver = pc.addTransceiver("video", "recvonly").receiver
        receiver._RTCRtpReceiver__decoder_thread = object()
        with pytest.raises(ReceiverSeamError, match="already started"):
            check_receiver_seams(receiver)
        receiver._RTCRtpReceiver__decoder_thread = None
    finally:
        await pc.close()


async def test_other_peer_connections_in_the_process_still_decode(relay, clients, events):
    buyer = Client()
    buyer.send("video")
    agent = Client()
    agent.receive("video", capture=False)  # a plain aiortc receiver: decodes
    clients += [buyer, agent]
    for client, pid, role in ((buyer, "buyer-1", "buyer"), (agent, "agent-1", "agent")):
        await relay.open("call-1", pid, role)
        await client.accept(await relay.answer(pid, await client.offer()))
    await poll_until(
        lambda: bool(events_of(events, "connected", "agent-1")), lambda: f"events: {events}"
    )
    frame = await agent.transceivers["video"].receiver.track.recv()
    assert isinstance(frame, av.VideoFrame)
    assert (frame.width, frame.height) == VIDEO_SIZE
