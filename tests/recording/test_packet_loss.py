"""A video packet lost for good on the buyer's uplink (its retransmission lost too):
the relay gives up on it after a moment, asks for a keyframe, and both the agent's
picture and the recording resume there. Before, the relay held every later frame until
512 packets had arrived: the rest of a short call, frozen."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from server.relay.bitstream import is_keyframe
from tests.helpers.calls import engine_cookies, live_call
from tests.helpers.clips import VIDEO_FPS
from tests.helpers.peers import UplinkLoss
from tests.helpers.recordings import all_ready, decoded_video, packets_of, runs_of_sent
from tests.helpers.waiting import NotYet, async_wait_until, wait_in_thread

HOLD_AFTER_LOSS_S = 5.0  # the call lasts until the agent has had this long after the loss
LOST_PACKET = 60  # about two seconds into the call at this clip's size


def _sample(metrics: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    raise AssertionError(f"{name} {labels} is not in /metrics")


async def test_a_packet_lost_for_good_costs_a_moment_of_video_not_the_rest_of_the_call(
    live_server,
):
    engine, storage = live_server.app.state.engine, live_server.app.state.storage
    staff, buyer = engine_cookies(engine, live_server.url)
    async with live_call(live_server.url, await staff("ana@shop.test"), await buyer("L-1")) as call:
        loss = UplinkLoss(call.buyer.transceivers["video"].sender, nth=LOST_PACKET)
        keyframe_requests = call.buyer.spies["video"]

        async def lost() -> tuple[int] | None:
            return (keyframe_requests.count,) if loss.lost_at is not None else None

        (requests_before,) = await async_wait_until(lost, 20, "the packet to be lost")
        arrivals = call.agent.captures["video"].arrivals

        async def seconds_of_video_after_the_loss() -> bool | NotYet:
            after = sum(1 for t in arrivals if t > loss.lost_at + 2.0)
            wanted = VIDEO_FPS * (HOLD_AFTER_LOSS_S - 2.0)
            return after >= wanted or NotYet(f"{after} of {wanted} frames 2 s after the loss")

        await async_wait_until(seconds_of_video_after_the_loss, 30, "video after the loss")
        arrivals = list(arrivals)
        await call.end()
    sent = list(call.buyer.tracks["video"].sent)  # the buyer's connection is closed
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{live_server.url}/metrics")).text
    assert loss.retransmissions_lost >= 1, "the relay asked for the packet again (NACK)"
    assert keyframe_requests.count > requests_before, "then the relay asked for a keyframe"

    # the agent's picture came back: frames kept arriving after the loss
    after = [t for t in arrivals if t > loss.lost_at + 2.0]
    assert len(after) >= VIDEO_FPS, (len(after), len(arrivals))

    # the recording: sent frames in order; the frames after the loss start at a keyframe
    rows = await wait_in_thread(all_ready(engine, call.session_id), 30, "tracks and review ready")
    video = next(r for r in rows if r.track == "buyer_video")
    path = storage.local_path(video.storage_key)
    packets = packets_of(path)
    recorded = [data for data, _, _ in packets]
    runs = runs_of_sent(recorded, sent)  # every recorded frame was sent, in order
    assert len(runs) >= 2, "the lost frame and those that depend on it are not recorded"
    for run in runs:
        assert is_keyframe("VP8", recorded[run.recorded_at]) and packets[run.recorded_at][1], run
    assert sum(run.length for run in runs[1:]) >= VIDEO_FPS * (HOLD_AFTER_LOSS_S - 2.0)
    assert len(decoded_video(path)) == len(recorded), "every recorded frame decodes"

    assert _sample(metrics, "showdesk_relay_frames_lost_total", kind="video") >= 1
    assert _sample(metrics, "showdesk_relay_keyframe_requests_sent_total") >= 1


async def test_a_packet_whose_retransmissions_are_lost_twice_is_asked_for_again_and_nothing_is_lost(
    live_server,
):
    engine, storage = live_server.app.state.engine, live_server.app.state.storage
    staff, buyer = engine_cookies(engine, live_server.url)
    async with live_call(live_server.url, await staff("ana@shop.test"), await buyer("L-2")) as call:
        loss = UplinkLoss(
            call.buyer.transceivers["video"].sender, nth=LOST_PACKET, retransmissions_to_lose=2
        )

        async def asked_three_times() -> bool | NotYet:
            # the third request's retransmission gets through; then a moment of video
            return loss.retransmissions_lost == 2 or NotYet(f"{loss.retransmissions_lost} lost")

        await async_wait_until(asked_three_times, 20, "two retransmissions lost")
        arrivals = call.agent.captures["video"].arrivals

        async def video_after_the_loss() -> bool | NotYet:
            after = sum(1 for t in arrivals if t > loss.lost_at + 2.0)
            return after >= VIDEO_FPS or NotYet(f"{after} frames 2 s after the loss")

        await async_wait_until(video_after_the_loss, 30, "video after the loss")
        await call.end()
    sent = list(call.buyer.tracks["video"].sent)
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{live_server.url}/metrics")).text

    rows = await wait_in_thread(all_ready(engine, call.session_id), 30, "tracks and review ready")
    video = next(r for r in rows if r.track == "buyer_video")
    recorded = [data for data, _, _ in packets_of(storage.local_path(video.storage_key))]
    runs = runs_of_sent(recorded, sent)
    assert len(runs) == 1, f"the recording has a hole: {runs}"
    assert runs[0].length == len(recorded) >= LOST_PACKET // 2
    assert _sample(metrics, "showdesk_relay_frames_lost_total", kind="video") == 0
