"""The video codec of a call, per call, in real Chromium on both pages: a buyer whose
browser has only H.264 gets an H.264 call (the agent answered in it, the recording and
the review file H.264, and the review page plays it in Chromium and in Firefox); a buyer
whose browser has none of the call's codecs is told in their language, the agent too,
they talk meanwhile and the call ends ``no_common_codec``. Devices with fewer codecs are
emulated (tests/helpers/codec_devices.py); Firefox ESR (no H.264) is the real thing: a
VP8 call where the server prefers H.264, and the message and the end where it takes only
H.264."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import av
import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from server.models import Call
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import (
    COUNT_FRAMES_JS,
    SAMPLE_VIDEO_JS,
    agent_sees_bars,
    available_agent,
    bar_points,
    colours_match,
    remote_video,
    sign_in,
)
from tests.helpers.catalogues import I18N
from tests.helpers.chromium import OpenParticipant, Participant
from tests.helpers.codec_devices import FIREFOX_LIKE, only_video_codecs_js
from tests.helpers.firefox import FirefoxParticipant
from tests.helpers.firefox_steps import receives_audio, sees_firefox_camera
from tests.helpers.links import make_link
from tests.helpers.page_js import RTC_STATS_JS, TRACK_PEERS_INIT_JS
from tests.helpers.recordings import all_ready, decoded_video
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until

RECORDING_DEADLINE_S = 120  # the review file is made after the call, on a busy machine
GRACE_S = 40.0  # long enough to accept the call and hear both sides before it ends
REVIEW_VIDEO = '[data-testid="review-video"]'


@pytest.fixture
def server_settings() -> dict[str, Any]:
    """Setting overrides of this module's server (a test parametrizes them)."""
    return {}


@pytest.fixture
def live_server(server_factory, server_settings: dict[str, Any]) -> LiveServer:
    return server_factory(**server_settings)


def stored_call(live_server: LiveServer, order_ref: str) -> Call | None:
    with Session(live_server.app.state.engine, expire_on_commit=False) as db:
        return db.exec(select(Call).where(Call.order_ref == order_ref)).first()


def buyer_on_device(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    camera_browser: Browser,
    order_ref: str,
    codecs: tuple[str, ...],
    locale: str = "en",
) -> Participant:
    """A buyer on a phone whose browser offers only the video ``codecs`` (its camera shows
    the colour bars; its peer connections are kept for getStats), who opens a damage-check
    link in ``locale`` and consents."""
    _, link_url = make_link(live_server.app, order_ref, "damage_verification", locale=locale)
    buyer = open_participant("buyer", phone=True, on=camera_browser, locale=locale)
    buyer.context.add_init_script(only_video_codecs_js(codecs))
    buyer.context.add_init_script(TRACK_PEERS_INIT_JS)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    return buyer


def agent_accepts(agent: Participant, buyer: Participant) -> None:
    agent.page.evaluate(TRACK_PEERS_INIT_JS)  # before the console makes its connection
    agent.page.get_by_test_id("accept").click()
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")


def video_codecs_used(page: Any) -> dict[str, list[str]]:
    stats = page.evaluate(RTC_STATS_JS)
    return {
        side: stats[side].get("video", {}).get("codecs", []) for side in ("inbound", "outbound")
    }


def test_a_buyer_whose_browser_has_only_h264_gets_an_h264_call_recorded_and_reviewed(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    camera_browser: Browser,
    open_firefox: Callable[..., FirefoxParticipant],
) -> None:
    agent = available_agent(live_server, open_participant, "agent@shop.test", "Aggie Agent")
    buyer = buyer_on_device(live_server, open_participant, camera_browser, "ORD-H264", ("H264",))
    offered = buyer.page.evaluate("RTCRtpReceiver.getCapabilities('video').codecs")
    companions = {"video/rtx", "video/red", "video/ulpfec", "video/flexfec-03"}
    assert {c["mimeType"] for c in offered} - companions == {"video/H264"}, offered
    agent_accepts(agent, buyer)

    # the agent (Chromium, with every codec) is answered in H.264 and sees the bars
    agent_sees_bars(agent, timeout_s=15)
    wait_until(
        lambda: video_codecs_used(agent.page)["inbound"] == ["video/H264"] or None,
        10,
        "H.264 arriving at the agent",
    )
    assert video_codecs_used(buyer.page)["outbound"] == ["video/H264"]
    call = stored_call(live_server, "ORD-H264")
    assert call is not None
    shoot(buyer.page, "codec-h264-buyer-live")
    shoot(agent.page, "codec-h264-agent-live")
    # a couple of seconds of picture presented at the agent, for the recording
    agent.page.evaluate(COUNT_FRAMES_JS, remote_video(agent.page))
    wait_until(
        lambda: agent.page.evaluate("window.__framesPresented") >= 60,
        15,
        "60 presented frames of the buyer's camera at the agent",
    )
    agent.page.get_by_test_id("end-call").click()
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()

    # the recording and the review file are H.264; the review file is an MP4 whose codec
    # configuration is the buyer's own stream's
    rows = wait_until(
        all_ready(live_server.app.state.engine, call.id), RECORDING_DEADLINE_S, "the recording"
    )
    by_name = {r.track or r.kind: r for r in rows}
    assert by_name["buyer_video"].codec == "h264"
    review = by_name["review"]
    assert (review.content_type, review.codec) == ("video/mp4", "h264,aac")
    path = live_server.app.state.storage.local_path(review.storage_key)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        avcc = bytes(stream.codec_context.extradata or b"")
        assert stream.codec_tag == "avc1" and avcc[:1] == b"\x01", avcc[:8].hex()
        assert avcc[1] == 0x42, f"constrained baseline, as Chromium sends it: {avcc[:4].hex()}"
    assert len(decoded_video(path)) >= 30

    # the review page plays it in the browser, with the buyer's picture
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    sup = open_participant("supervisor")
    sign_in(sup.page, "sup@shop.test", landing="/review")
    support = sup.page.evaluate(
        """() => [document.createElement('video').canPlayType('video/mp4; codecs="avc1.42E01E"'),
                  MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"')]"""
    )
    assert support == ["probably", True], f"Debian's Chromium plays H.264 in MP4: {support}"
    row = sup.page.get_by_test_id("session-row")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-session-id", call.id)
    row.click()
    video = sup.page.get_by_test_id("review-video")
    expect(video).to_be_visible()
    video.evaluate("v => { v.muted = true; return v.play(); }")
    wait_until(
        lambda: video.evaluate("v => v.readyState >= 3 && v.currentTime > 1.0 && !v.error"),
        15,
        "the H.264 review video playing",
    )
    wait_until(
        lambda: colours_match(sup.page.evaluate(SAMPLE_VIDEO_JS, [REVIEW_VIDEO, bar_points()])),
        10,
        "the buyer's colour bars in the review video",
    )
    shoot(sup.page, "codec-h264-review")
    # the video element drops its first request of the file for range requests
    sup.problems[:] = [p for p in sup.problems if not p.endswith("/recording: net::ERR_ABORTED")]
    for person in (agent, buyer, sup):
        person.assert_clean()

    # and in Firefox, which plays H.264 files though it cannot send H.264 in a call
    fox = open_firefox("supervisor")
    sign_in(fox.page, "sup@shop.test", landing="/review")  # type: ignore[arg-type]
    fox.page.get_by_test_id("session-row").click()
    fox.page.get_by_test_id("review-video").wait_for()
    fox.page.evaluate(
        f"() => {{ const v = document.querySelector('{REVIEW_VIDEO}'); v.muted = true; v.play(); }}"
    )
    wait_until(
        lambda: fox.page.evaluate(
            f"() => {{ const v = document.querySelector('{REVIEW_VIDEO}');"
            " return v.readyState >= 3 && v.currentTime > 1.0 && !v.error; }"
        ),
        15,
        "the H.264 review video playing in Firefox",
    )
    wait_until(
        lambda: colours_match(fox.page.evaluate(SAMPLE_VIDEO_JS, [REVIEW_VIDEO, bar_points()])),
        10,
        "the buyer's colour bars in the review video in Firefox",
    )
    fox.problems[:] = [p for p in fox.problems if "/recording" not in p or "abort" not in p.lower()]
    fox.assert_clean()


@pytest.mark.parametrize(
    "server_settings", [{"video_codecs": ("H264",), "no_common_codec_grace_s": GRACE_S}]
)
def test_a_buyer_without_the_calls_codec_is_told_talks_meanwhile_and_the_call_ends_so(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    german = json.loads((I18N / "de.json").read_text(encoding="utf-8"))
    agent = available_agent(live_server, open_participant, "agent@shop.test", "Aggie Agent")
    buyer = buyer_on_device(
        live_server, open_participant, camera_browser, "ORD-NOCODEC", FIREFOX_LIKE, locale="de"
    )

    # told in their language while still waiting, with no stack or code in it
    notice = buyer.page.get_by_test_id("notice")
    expect(notice).to_contain_text(german["error.no_common_codec"])
    agent_accepts(agent, buyer)
    expect(agent.page.get_by_test_id("notice")).to_contain_text(
        "The buyer's browser cannot send or show video"
    )
    expect(notice).to_contain_text(german["error.no_common_codec"])  # the buyer is told still

    # meanwhile they talk: audio arrives both ways, by each side's own getStats
    receives_audio(agent.page)
    receives_audio(buyer.page)
    assert video_codecs_used(agent.page)["inbound"] == [], "no video arrives at the agent"
    expect(agent.page.get_by_test_id("remote-placeholder")).to_contain_text("No video in this call")
    shoot(buyer.page, "codec-none-buyer-told")
    shoot(agent.page, "codec-none-agent-told")

    # then the call ends with its own reason, and the buyer's page says why
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible(timeout=GRACE_S * 1000 + 10_000)
    expect(buyer.page.get_by_test_id("call-ended-text")).to_contain_text(
        german["ended.reason.no_common_codec"]
    )
    expect(notice).to_be_hidden()  # its "will end in a moment" is the ended screen's now
    ended = wait_until(lambda: stored_call(live_server, "ORD-NOCODEC"), 5, "the stored call")
    assert ended.end_reason == "no_common_codec"
    expect(agent.page.get_by_test_id("call-view")).to_be_hidden()
    shoot(buyer.page, "codec-none-buyer-ended")
    for person in (agent, buyer):
        person.assert_clean()


# ------------------------------------------------------------------ Firefox (no H.264)


def firefox_buyer_waits(
    live_server: LiveServer, open_firefox: Callable[..., FirefoxParticipant], order_ref: str
) -> FirefoxParticipant:
    """A Firefox buyer (phone size, peer connections kept for getStats) who opens a
    damage-check link and consents: waiting."""
    _, link_url = make_link(live_server.app, order_ref, "damage_verification", buyer_name="Fe")
    buyer = open_firefox("buyer", phone=True)
    buyer.page.add_init_script(TRACK_PEERS_INIT_JS)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    buyer.page.get_by_test_id("call-state").wait_for_attribute("data-state", "waiting")
    return buyer


@pytest.mark.parametrize("server_settings", [{"video_codecs": ("H264", "VP8")}])
def test_a_firefox_buyer_gets_a_vp8_call_where_the_server_prefers_h264(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    open_firefox: Callable[..., FirefoxParticipant],
) -> None:
    agent = available_agent(live_server, open_participant, "agent@shop.test", "Aggie Agent")
    buyer = firefox_buyer_waits(live_server, open_firefox, "ORD-FX-VP8")
    agent.page.evaluate(TRACK_PEERS_INIT_JS)
    agent.page.get_by_test_id("accept").click()
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    buyer.page.get_by_test_id("call-state").wait_for_attribute("data-state", "live")

    # the agent sees the buyer's changing camera colour, in VP8 (the Chromium agent was
    # answered in the call's codec though it prefers nothing and the server H.264)
    sees_firefox_camera(agent.page, remote_video(agent.page))
    assert video_codecs_used(agent.page)["inbound"] == ["video/VP8"]
    assert buyer.page.evaluate(RTC_STATS_JS)["outbound"]["video"]["codecs"] == ["video/VP8"]
    receives_audio(buyer.page)
    call = stored_call(live_server, "ORD-FX-VP8")
    assert call is not None and call.state == "live"
    shoot(buyer.page, "codec-firefox-vp8-buyer")
    agent.page.get_by_test_id("end-call").click()
    buyer.page.get_by_test_id("call-ended").wait_for()
    agent.assert_clean()
    buyer.assert_clean()


@pytest.mark.parametrize("server_settings", [{"video_codecs": ("H264",)}])
def test_a_firefox_buyer_where_the_server_takes_only_h264_is_told_and_the_call_ends_so(
    live_server: LiveServer, open_firefox: Callable[..., FirefoxParticipant]
) -> None:
    english = json.loads((I18N / "en.json").read_text(encoding="utf-8"))
    buyer = firefox_buyer_waits(live_server, open_firefox, "ORD-FX-H264")
    buyer.page.get_by_test_id("notice").wait_for_text(english["error.no_common_codec"])
    shoot(buyer.page, "codec-firefox-none-buyer-told")
    buyer.page.get_by_test_id("call-ended").wait_for(timeout=30_000)  # after the grace
    buyer.page.get_by_test_id("call-ended-text").wait_for_text(
        english["ended.reason.no_common_codec"]
    )
    ended = wait_until(lambda: stored_call(live_server, "ORD-FX-H264"), 5, "the stored call")
    assert ended.end_reason == "no_common_codec"
    shoot(buyer.page, "codec-firefox-none-buyer-ended")
    buyer.assert_clean()
