"""Which leg feeds which: a buyer who reopens the call page feeds the agent from the
new connection; if that one goes, the agent falls back to the one still open."""

from __future__ import annotations

from server.relay.local import LocalRelay
from tests.helpers.peers import Client, events_of
from tests.helpers.waiting import poll_until


async def _join(relay: LocalRelay, client: Client, pid: str, role: str) -> None:
    await relay.open("call-1", pid, role)
    await client.accept(await relay.answer(pid, await client.offer()))


async def test_agent_follows_the_newest_buyer_connection(relay, clients, events):
    old_buyer, new_buyer, agent = Client(), Client(), Client()
    old_buyer.send("video")
    new_buyer.send("video")
    agent.receive("video")
    clients += [old_buyer, new_buyer, agent]
    await _join(relay, old_buyer, "buyer-old", "buyer")
    await _join(relay, agent, "agent-1", "agent")
    sink = relay.sinks("agent-1")[0]
    assert sink.source is relay.sources("buyer-old")[0]

    await _join(relay, new_buyer, "buyer-new", "buyer")
    assert sink.source is relay.sources("buyer-new")[0]
    capture = agent.captures["video"]
    switched_at = len(capture.frames)
    await poll_until(
        lambda: (
            len(capture.frames) > switched_at + 10
            and capture.payloads[-5:] == new_buyer.tracks["video"].sent[-5:]
        ),
        lambda: f"{len(capture.frames) - switched_at} frames since the switch",
    )

    await relay.close("buyer-new")
    assert sink.source is relay.sources("buyer-old")[0]
    assert events_of(events, "closed", "buyer-new")[0]["reason"] == "closed"


async def test_the_agents_phone_camera_feeds_the_buyers_video_while_it_sends(
    relay, clients, events
):
    buyer, agent, phone = Client(), Client(), Client()
    buyer.receive("audio")
    buyer.receive("video")
    agent.send("audio")
    agent.send("video")
    phone.send("video")
    clients += [buyer, agent, phone]
    await _join(relay, buyer, "buyer-1", "buyer")
    await _join(relay, agent, "agent-1", "agent")
    audio_sink, video_sink = relay.sinks("buyer-1")
    agent_audio, agent_video = relay.sources("agent-1")
    assert video_sink.source is agent_video

    await _join(relay, phone, "phone-1", "agent_camera")
    assert relay.sinks("phone-1") == []  # the phone only sends
    [phone_video] = relay.sources("phone-1")
    await poll_until(
        lambda: video_sink.source is phone_video,
        lambda: f"the buyer's video comes from {video_sink.source}",
    )
    assert audio_sink.source is agent_audio  # the console keeps the sound
    capture = buyer.captures["video"]
    switched_at = len(capture.frames)
    await poll_until(
        lambda: (
            len(capture.frames) > switched_at + 10
            and capture.payloads[-5:] == phone.tracks["video"].sent[-5:]
        ),
        lambda: f"{len(capture.frames) - switched_at} frames since the switch",
    )

    await relay.close("phone-1")
    assert video_sink.source is agent_video  # the console's camera again
    assert audio_sink.source is agent_audio
