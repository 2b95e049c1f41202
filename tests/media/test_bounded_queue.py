"""A consumer that stops reading never holds more than its bound, and resumes at a
keyframe that the relay asked the buyer for."""

from __future__ import annotations

from server.relay.forwarding import VIDEO_QUEUE_MAX_FRAMES
from tests.helpers.peers import Client
from tests.helpers.waiting import poll_until


async def test_paused_video_consumer_stays_bounded_and_resumes_at_a_keyframe(relay, clients):
    buyer = Client()
    buyer.send("video")
    clients.append(buyer)
    await relay.open("call-1", "buyer-1", "buyer")
    await buyer.accept(await relay.answer("buyer-1", await buyer.offer()))
    source = relay.sources("buyer-1")[0]
    await poll_until(lambda: source.frames_received > 0, lambda: "no frame from the buyer")

    paused = relay.subscribe("buyer-1", "video")
    received_at_pause = source.frames_received
    requests_at_pause = buyer.spies["video"].count
    # Nobody reads `paused` while the buyer sends well past the bound (~3 s).
    await poll_until(
        lambda: source.frames_received - received_at_pause > VIDEO_QUEUE_MAX_FRAMES + 25,
        lambda: f"{source.frames_received - received_at_pause} frames since the pause",
        timeout_s=6.0,
    )

    assert paused.max_queue_length <= VIDEO_QUEUE_MAX_FRAMES
    assert paused.queue_length <= VIDEO_QUEUE_MAX_FRAMES
    assert paused.frames_dropped > 0
    assert buyer.spies["video"].count > requests_at_pause, "no keyframe asked for on overflow"

    packet = await paused.recv()
    assert bytes(packet)[0] & 1 == 0, "the first frame after resuming is not a keyframe"


async def test_paused_audio_consumer_keeps_only_the_newest_frames(relay, clients):
    buyer = Client()
    buyer.send("audio")
    clients.append(buyer)
    await relay.open("call-1", "buyer-1", "buyer")
    await buyer.accept(await relay.answer("buyer-1", await buyer.offer()))
    source = relay.sources("buyer-1")[0]
    paused = relay.subscribe("buyer-1", "audio", max_queued_frames=10)
    await poll_until(
        lambda: source.frames_received > 25,
        lambda: f"{source.frames_received} audio frames from the buyer",
    )
    assert paused.max_queue_length == 10
    assert paused.frames_dropped >= source.frames_received - 10 - 1
