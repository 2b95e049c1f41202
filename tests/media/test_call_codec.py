"""The video codec of a call, chosen by the relay from the offers: the first leg's offer
fixes it (the first of the server's order it offers), the other leg is answered in it,
and a leg whose offer lacks it is answered without video but with its audio. The offer
check: which of an offer's video codecs the relay can take."""

from __future__ import annotations

import logging

import pytest
from aiortc import RTCRtpSender
from aiortc import sdp as aiortc_sdp

from server.relay import RelayError
from server.relay.local import LocalRelay, offered_video_codecs
from tests.helpers.peers import Client, events_of
from tests.helpers.waiting import poll_until


def only(client: Client, *names: str) -> None:
    """Make ``client``'s video transceiver offer only the codecs ``names`` (as a device
    whose browser has only those)."""
    wanted = {f"video/{name}".lower() for name in names}
    client.transceivers["video"].setCodecPreferences(
        [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType.lower() in wanted]
    )


def video_section(sdp: str) -> str:
    return sdp[sdp.index("m=video") :]


@pytest.fixture
async def relay_both(events):
    """A relay that prefers VP8 and also takes H.264 (the default order)."""
    relay = LocalRelay(
        on_event=events.append, ice_servers=[], connect_timeout_s=5.0, video_codecs=("VP8", "H264")
    )
    yield relay
    await relay.aclose()


async def test_a_buyer_offering_only_h264_fixes_h264_and_the_agent_is_answered_in_it(
    relay_both, clients, events
):
    buyer, agent = Client(), Client()
    buyer.send("audio", receive=True)
    buyer.send("video")
    only(buyer, "H264")
    agent.receive("audio", capture=False)
    agent.receive("video", capture=False)  # offers VP8 and H.264, VP8 first
    clients += [buyer, agent]
    await relay_both.open("call-1", "buyer-1", "buyer")
    buyer_answer = await relay_both.answer("buyer-1", await buyer.offer())
    await relay_both.open("call-1", "agent-1", "agent")
    agent_answer = await relay_both.answer("agent-1", await agent.offer())

    assert "H264/90000" in video_section(buyer_answer)
    assert "H264/90000" in video_section(agent_answer)
    assert "VP8/90000" not in video_section(agent_answer)
    assert relay_both.call_video_codec("call-1") == "H264"
    assert relay_both.video_codec_of("agent-1") == "H264"
    assert [e["codec"] for e in events_of(events, "video_codec", "buyer-1")] == ["H264"]
    assert [e["codec"] for e in events_of(events, "video_codec", "agent-1")] == ["H264"]


async def test_a_buyer_offering_both_gets_the_servers_first_choice(relay_both, clients, events):
    buyer = Client()
    buyer.send("video")
    only(buyer, "H264", "VP8")  # the browser's own order puts H.264 first
    clients.append(buyer)
    await relay_both.open("call-1", "buyer-1", "buyer")
    answer = await relay_both.answer("buyer-1", await buyer.offer())
    assert "VP8/90000" in video_section(answer)
    assert "H264/90000" not in video_section(answer)
    assert relay_both.call_video_codec("call-1") == "VP8"


async def test_a_leg_without_the_calls_codec_keeps_its_audio_and_is_reported(
    relay_both, clients, events, caplog
):
    buyer, agent = Client(), Client()
    buyer.send("audio", receive=True)
    buyer.send("video")
    only(buyer, "H264")
    agent.send("audio", receive=True)
    agent.receive("video", capture=False)
    only(agent, "VP8")  # like Firefox without OpenH264
    clients += [buyer, agent]
    await relay_both.open("call-1", "buyer-1", "buyer")
    await buyer.accept(await relay_both.answer("buyer-1", await buyer.offer()))
    await relay_both.open("call-1", "agent-1", "agent")
    with caplog.at_level(logging.INFO, logger="server.relay.local"):
        answer = await relay_both.answer("agent-1", await agent.offer())
    await agent.accept(answer)

    assert "a=inactive" in video_section(answer)
    assert relay_both.video_codec_of("agent-1") is None
    (event,) = events_of(events, "no_common_codec", "agent-1")
    assert event["video_codec"] == "H264"
    assert "VP8" in event["offered"]
    assert "offered VP8" in caplog.text
    # the audio flows both ways all the same
    await poll_until(
        lambda: agent.received_count("audio") > 10 and buyer.received_count("audio") > 10,
        lambda: (
            f"audio at the agent {agent.received_count('audio')}, "
            f"at the buyer {buyer.received_count('audio')}"
        ),
    )


async def test_a_first_leg_without_any_of_the_servers_codecs_keeps_its_audio(clients, events):
    relay = LocalRelay(
        on_event=events.append, ice_servers=[], connect_timeout_s=5.0, video_codecs=("H264",)
    )
    buyer = Client()
    buyer.send("audio")
    buyer.send("video")
    only(buyer, "VP8")
    clients.append(buyer)
    try:
        await relay.open("call-1", "buyer-1", "buyer")
        answer = await relay.answer("buyer-1", await buyer.offer())
    finally:
        await relay.aclose()
    assert "a=inactive" in video_section(answer)
    assert "opus/48000" in answer[: answer.index("m=video")]
    (event,) = events_of(events, "no_common_codec", "buyer-1")
    assert event["video_codec"] is None
    assert relay.call_video_codec("call-1") is None


async def test_a_refused_description_is_logged_with_aiortcs_reason(relay, clients, caplog):
    buyer = Client()
    buyer.send("audio")
    clients.append(buyer)
    offer = await buyer.offer()
    # an audio section whose only codec aiortc cannot take (a made-up one)
    offer = offer.replace("opus/48000/2", "x-made-up/48000/2")
    await relay.open("call-1", "buyer-1", "buyer")
    with caplog.at_level(logging.WARNING, logger="server.relay.local"):
        with pytest.raises(RelayError, match=r"offer refused \(OperationError\)") as refused:
            await relay.answer("buyer-1", offer)
    assert "Failed to set remote audio description send parameters" in caplog.text
    assert "Failed to set" not in str(refused.value), "aiortc's words stay in the log"


def offer_with_video(*lines: str) -> aiortc_sdp.MediaDescription:
    """The video section of a minimal offer whose codec lines are ``lines``."""
    payloads = " ".join(line.split(":", 1)[1].split()[0] for line in lines if "rtpmap" in line)
    text = "\r\n".join(
        [
            "v=0",
            "o=- 1 1 IN IP4 0.0.0.0",
            "s=-",
            "t=0 0",
            f"m=video 9 UDP/TLS/RTP/SAVPF {payloads}",
            "c=IN IP4 0.0.0.0",
            "a=mid:0",
            *lines,
            "",
        ]
    )
    return aiortc_sdp.SessionDescription.parse(text).media[0]


CHROMIUM_LIKE = (
    "a=rtpmap:96 VP8/90000",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rtpmap:98 VP9/90000",
    "a=rtpmap:45 AV1/90000",
    "a=rtpmap:102 H264/90000",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f",
    "a=rtpmap:127 H264/90000",
    "a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
)


def test_the_offer_check_names_the_video_codecs_the_relay_can_take_in_offer_order():
    assert offered_video_codecs(offer_with_video(*CHROMIUM_LIKE)) == ["VP8", "H264"]
    firefox = CHROMIUM_LIKE[:5]  # VP8 (and its rtx), VP9, AV1: no H.264
    assert offered_video_codecs(offer_with_video(*firefox)) == ["VP8"]
    # H.264 in High profile only: no profile aiortc has, so no codec at all
    high_only = offer_with_video(CHROMIUM_LIKE[5], CHROMIUM_LIKE[6])
    assert offered_video_codecs(high_only) == []


async def test_an_offer_whose_video_has_no_codec_the_relay_knows_is_refused_and_reported(
    relay, clients, events
):
    buyer = Client()
    buyer.send("audio")
    buyer.send("video")
    clients.append(buyer)
    offer = await buyer.offer()
    offer = offer.replace("VP8/90000", "x-made-up/90000").replace("H264/90000", "x-other/90000")
    await relay.open("call-1", "buyer-1", "buyer")
    with pytest.raises(RelayError, match="no video codec the server can take"):
        await relay.answer("buyer-1", offer)
    (event,) = events_of(events, "no_common_codec", "buyer-1")
    assert event["video_codec"] is None
