"""The relay's control surface: answers, candidates, closing, events, codecs."""

from __future__ import annotations

import pytest
from aiortc.mediastreams import MediaStreamError

from server.relay import RelayError, UnknownParticipantError
from server.relay.local import LocalRelay
from tests.helpers.peers import Client, events_of
from tests.helpers.waiting import poll_until


async def _connected_buyer(relay: LocalRelay, clients: list[Client], events) -> Client:
    buyer = Client()
    buyer.send("video")
    clients.append(buyer)
    await relay.open("call-1", "buyer-1", "buyer")
    await buyer.accept(await relay.answer("buyer-1", await buyer.offer()))
    await poll_until(
        lambda: bool(events_of(events, "connected", "buyer-1")), lambda: f"events: {events}"
    )
    return buyer


async def test_offer_with_local_candidates_and_end_of_candidates_still_connects(
    relay, clients, events
):
    buyer = Client()
    buyer.send("video")
    clients.append(buyer)
    offer = await buyer.offer()
    browser_like = offer.replace(
        "a=ice-ufrag",
        "a=candidate:9 1 udp 2122252543 9b36eaac-bb2e-49bb-bb78-21c41c499900.local 50000 typ host"
        "\r\na=end-of-candidates\r\na=ice-ufrag",
    )
    assert browser_like != offer
    await relay.open("call-1", "buyer-1", "buyer")
    answer = await relay.answer("buyer-1", browser_like)
    assert "a=candidate:" in answer, "the answer must carry the relay's candidates"
    await buyer.accept(answer)
    await poll_until(
        lambda: bool(events_of(events, "connected", "buyer-1")), lambda: f"events: {events}"
    )


async def test_events_track_connected_first_frame_leg_quality_then_closed(relay, clients, events):
    await _connected_buyer(relay, clients, events)
    await poll_until(
        lambda: bool(events_of(events, "first_frame", "buyer-1")), lambda: f"events: {events}"
    )
    await relay.close("buyer-1")
    await relay.close("buyer-1")  # idempotent
    mine = [e for e in events if e["participant_id"] == "buyer-1"]
    assert mine[0] == {
        "type": "track",
        "call_id": "call-1",
        "participant_id": "buyer-1",
        "kind": "video",
    }
    assert [e["type"] for e in mine] == [
        "track",
        "video_codec",
        "connected",
        "first_frame",
        "leg_quality",
        "closed",
    ]
    assert mine[1]["codec"] == "VP8"
    assert mine[-1]["reason"] == "closed"


async def test_closing_a_leg_ends_its_subscriptions(relay, clients, events):
    await _connected_buyer(relay, clients, events)
    track = relay.subscribe("buyer-1", "video")
    await relay.close_call("call-1")
    with pytest.raises(MediaStreamError):
        await track.recv()
    assert events_of(events, "closed", "buyer-1")[0]["reason"] == "call_closed"


async def test_aclose_closes_every_leg_and_refuses_new_ones(events):
    relay = LocalRelay(
        on_event=events.append, ice_servers=[], connect_timeout_s=5.0, video_codecs=("VP8",)
    )
    await relay.open("call-1", "buyer-1", "buyer")
    await relay.open("call-1", "agent-1", "agent")
    await relay.aclose()
    assert {e["participant_id"] for e in events if e["type"] == "closed"} == {
        "buyer-1",
        "agent-1",
    }
    assert all(e["reason"] == "relay_closed" for e in events if e["type"] == "closed")
    with pytest.raises(RelayError, match="relay is closed"):
        await relay.open("call-2", "buyer-2", "buyer")


async def test_refused_requests_say_why(relay):
    with pytest.raises(UnknownParticipantError, match='"nobody" is not open'):
        await relay.answer("nobody", "v=0\r\n")
    await relay.open("call-1", "buyer-1", "buyer")
    with pytest.raises(RelayError, match="already open"):
        await relay.open("call-1", "buyer-1", "buyer")
    with pytest.raises(RelayError, match="role must be one of"):
        await relay.open("call-1", "x", "supervisor")
    with pytest.raises(RelayError, match="candidate is malformed"):
        await relay.add_candidate("buyer-1", {"candidate": "candidate:1 1 udp", "sdpMid": "0"})


async def test_end_of_candidates_and_local_candidates_are_not_passed_on(relay, clients, events):
    buyer = Client()
    buyer.send("video")
    clients.append(buyer)
    offer = await buyer.offer()
    # An address of this machine (from the client's own candidates): checks stay local.
    own_address = next(
        line.split()[4] for line in offer.splitlines() if line.startswith("a=candidate:")
    )
    await relay.open("call-1", "buyer-1", "buyer")
    # Trickled before the offer: kept until the offer is set.
    await relay.add_candidate("buyer-1", None)
    await relay.add_candidate("buyer-1", {"candidate": "", "sdpMid": "0", "sdpMLineIndex": 0})
    await relay.add_candidate(
        "buyer-1",
        {
            "candidate": "candidate:9 1 udp 2122252543 abc.local 50000 typ host",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
        },
    )
    await relay.add_candidate(
        "buyer-1",
        {
            "candidate": f"candidate:8 1 udp 2122187007 {own_address} 9 typ host",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
        },
    )
    await buyer.accept(await relay.answer("buyer-1", offer))
    await poll_until(
        lambda: bool(events_of(events, "connected", "buyer-1")), lambda: f"events: {events}"
    )
    remote_sdp = relay._legs["buyer-1"].pc.remoteDescription.sdp
    assert ".local" not in remote_sdp
    assert "end-of-candidates" not in remote_sdp
    assert f"{own_address} 9 typ host" in remote_sdp, "the trickled candidate was not applied"


async def test_h264_setting_negotiates_only_h264(events, clients):
    relay = LocalRelay(
        on_event=events.append, ice_servers=[], connect_timeout_s=5.0, video_codecs=("H264",)
    )
    agent = Client()
    agent.receive("video", capture=False)
    clients.append(agent)
    try:
        await relay.open("call-1", "agent-1", "agent")
        answer = await relay.answer("agent-1", await agent.offer())
    finally:
        await relay.aclose()
    video_section = answer[answer.index("m=video") :]
    assert "H264/90000" in video_section
    assert "VP8/90000" not in video_section


def test_unknown_video_codec_is_refused():
    with pytest.raises(ValueError, match="video_codecs"):
        LocalRelay(
            on_event=lambda event: None,
            ice_servers=[],
            connect_timeout_s=5.0,
            video_codecs=("AV1",),
        )


async def test_browser_closing_its_connection_closes_the_leg(relay, clients, events):
    buyer = await _connected_buyer(relay, clients, events)
    await buyer.close()
    await poll_until(
        lambda: bool(events_of(events, "closed", "buyer-1")), lambda: f"events: {events}"
    )
    assert events_of(events, "closed", "buyer-1")[0]["reason"] == "peer_closed"
    assert not events_of(events, "failed", "buyer-1")
    with pytest.raises(UnknownParticipantError):
        relay.sinks("buyer-1")
