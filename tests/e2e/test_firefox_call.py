"""Calls between Firefox ESR (tests/helpers/firefox.py) and Chromium through the server's
relay, with VP8: a Firefox buyer with its default hidden host addresses and a Chromium
agent, a Chromium buyer and a Firefox agent, and a Firefox buyer who reloads mid-call.
Firefox's fake camera is one colour whose hue changes; Chromium's buyer shows the clip's
colour bars. Both pages' peer connections are read with getStats (page_js)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from server.models import Call, CallEvent
from server.models.evidence import Photo
from tests.helpers.browser_steps import (
    COUNT_FRAMES_JS,
    agent_sees_bars,
    available_agent,
    remote_video,
)
from tests.helpers.chromium import OpenParticipant, Participant
from tests.helpers.firefox import Firefox, FirefoxParticipant
from tests.helpers.firefox_steps import (
    available_firefox_agent,
    receives_audio,
    sees_firefox_camera,
)
from tests.helpers.links import make_link
from tests.helpers.page_js import LISTEN_JS, RTC_STATS_JS, TRACK_PEERS_INIT_JS
from tests.helpers.recordings import all_ready, decoded_audio_samples, decoded_video
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until

OpenFirefox = Callable[..., FirefoxParticipant]
FIREFOX_CAMERA = (1280, 720)  # what the page gets from Firefox's fake camera
CALL_VIDEO_MAX_W = 640  # the buyer page sends the call video scaled down to this
RECORDING_DEADLINE_S = 120  # the review file is made after the call, on a busy machine
RECONNECT_DEADLINE_S = 10


def call_id_of(live_server: LiveServer, order_ref: str) -> str:
    with Session(live_server.app.state.engine) as db:
        return db.exec(select(Call.id).where(Call.order_ref == order_ref)).one()


def stored_end_reason(live_server: LiveServer, order_ref: str) -> str | None:
    with Session(live_server.app.state.engine) as db:
        call = db.exec(select(Call).where(Call.order_ref == order_ref)).first()
        return call.end_reason if call else None


def firefox_buyer_in_call(
    live_server: LiveServer, open_firefox: OpenFirefox, agent: Participant, order_ref: str
) -> FirefoxParticipant:
    """A Firefox buyer (phone size, peer connections kept for getStats) who opens a
    damage-check link and consents; the Chromium ``agent`` accepts; both are live."""
    _, link_url = make_link(live_server.app, order_ref, "damage_verification", buyer_name="Fe")
    agent.page.evaluate(TRACK_PEERS_INIT_JS)  # before the console's connection is made
    buyer = open_firefox("buyer", phone=True)
    buyer.page.add_init_script(TRACK_PEERS_INIT_JS)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    buyer.page.get_by_test_id("call-state").wait_for_attribute("data-state", "waiting")
    agent.page.get_by_test_id("accept").click()
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    buyer.page.get_by_test_id("call-state").wait_for_attribute("data-state", "live")
    return buyer


def test_a_firefox_buyer_with_hidden_host_addresses_has_a_whole_call_with_a_chromium_agent(
    live_server: LiveServer, open_participant: OpenParticipant, open_firefox: OpenFirefox
) -> None:
    agent = available_agent(live_server, open_participant, "agent@shop.test", "Aggie Agent")
    buyer = firefox_buyer_in_call(live_server, open_firefox, agent, "ORD-FX-CALL")
    call_id = call_id_of(live_server, "ORD-FX-CALL")

    # Firefox's defaults hide its host addresses behind .local names: the only candidates
    # it has, yet the call connects
    candidates = buyer.page.evaluate(RTC_STATS_JS)["localCandidates"]
    assert candidates, "no local candidates in Firefox"
    assert all(c["address"].endswith(".local") for c in candidates), candidates

    # the agent sees the buyer's camera, presented frame after frame
    agent_video = remote_video(agent.page)
    sees_firefox_camera(agent.page, agent_video)
    agent.page.evaluate(COUNT_FRAMES_JS, agent_video)
    wait_until(
        lambda: agent.page.evaluate("window.__framesPresented") >= 60,
        15,
        "60 presented frames of the buyer's camera at the agent",
    )
    call_width = agent.page.evaluate(f"document.querySelector('{agent_video}').videoWidth")
    assert call_width <= CALL_VIDEO_MAX_W
    sent = buyer.page.evaluate(RTC_STATS_JS)["outbound"]["video"]
    assert sent["codecs"] == ["video/VP8"], sent

    # sound both ways, measured by each side's own getStats
    receives_audio(agent.page)
    receives_audio(buyer.page)
    buyer.page.get_by_test_id("remote-placeholder").wait_for_text("Aggie Agent")

    buyer.page.get_by_test_id("chat-input").fill("The corner is crushed.")
    buyer.page.get_by_test_id("chat-send").click()
    expect(agent.page.get_by_test_id("chat-log")).to_contain_text("The corner is crushed.")
    agent.page.get_by_test_id("chat-input").fill("Please turn the box over.")
    agent.page.get_by_test_id("chat-send").click()
    buyer.page.get_by_test_id("chat-log").wait_for_text("Please turn the box over.")

    # a photo without ImageCapture (Firefox has none): the camera's own resolution
    assert buyer.page.evaluate("typeof ImageCapture") == "undefined"
    agent.page.get_by_test_id("capture").click()
    expect(agent.page.get_by_test_id("evidence-item")).to_have_count(1, timeout=10_000)
    buyer.page.get_by_test_id("photo-notice").wait_for()
    with Session(live_server.app.state.engine) as db:
        photo = db.exec(select(Photo).where(Photo.call_id == call_id)).one()
    assert (photo.width, photo.height) == FIREFOX_CAMERA
    shoot(buyer.page, "firefox-buyer-live")

    agent.page.get_by_test_id("end-call").click()
    buyer.page.get_by_test_id("call-ended").wait_for()
    shoot(buyer.page, "firefox-buyer-ended")
    assert wait_until(lambda: stored_end_reason(live_server, "ORD-FX-CALL"), 5, "the end") == (
        "agent_ended"
    )

    # the recording decodes: the buyer's VP8 video, both voices, and the review file
    rows = wait_until(
        all_ready(live_server.app.state.engine, call_id), RECORDING_DEADLINE_S, "the recording"
    )
    storage = live_server.app.state.storage
    files = {r.track or r.kind: storage.local_path(r.storage_key) for r in rows}
    video = decoded_video(files["buyer_video"])
    assert len(video) >= 30 and all(w <= CALL_VIDEO_MAX_W for w, _, _ in video), video[:3]
    assert decoded_audio_samples(files["buyer_audio"]) > 0
    assert decoded_audio_samples(files["agent_audio"]) > 0
    assert len(decoded_video(files["review"])) >= 30
    agent.assert_clean()
    buyer.assert_clean()


def test_a_chromium_buyer_has_a_whole_call_with_a_firefox_agent(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    camera_browser: Browser,
    firefox: Firefox,
    open_firefox: OpenFirefox,  # closes the agent's page after the test
) -> None:
    agent = available_firefox_agent(live_server, firefox, "fox@shop.test", "Foxy Agent")
    agent.page.evaluate(TRACK_PEERS_INIT_JS)  # before the console's connection is made
    _, link_url = make_link(live_server.app, "ORD-FX-AGENT", "damage_verification")
    buyer = open_participant("buyer", phone=True, on=camera_browser)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    agent.page.get_by_test_id("accept").click()
    agent.page.get_by_test_id("call-state").wait_for_attribute("data-state", "live")
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")

    # the Firefox agent sees the buyer's colour bars, frame after frame, in VP8
    agent_sees_bars(agent, 15)  # type: ignore[arg-type]  # a Firefox page has the calls it makes
    agent_video = remote_video(agent.page)  # type: ignore[arg-type]
    agent.page.evaluate(COUNT_FRAMES_JS, agent_video)
    wait_until(
        lambda: agent.page.evaluate("window.__framesPresented") >= 60,
        15,
        "60 presented frames of the buyer's camera in Firefox",
    )
    got = agent.page.evaluate(RTC_STATS_JS)["inbound"]["video"]
    assert got["codecs"] == ["video/VP8"], got

    # the buyer hears Firefox's fake microphone (a tone); the agent receives the buyer's
    buyer_video = remote_video(buyer.page)
    wait_until(lambda: buyer.page.evaluate(LISTEN_JS, buyer_video), 10, "audio at the buyer")
    wait_until(lambda: buyer.page.evaluate("window.__loudest") > 0.05, 10, "audible agent")
    receives_audio(agent.page)

    agent.page.get_by_test_id("chat-input").fill("Please turn the box over.")
    agent.page.get_by_test_id("chat-send").click()
    expect(buyer.page.get_by_test_id("chat-log")).to_contain_text("Please turn the box over.")
    buyer.page.get_by_test_id("chat-input").fill("Here it is.")
    buyer.page.get_by_test_id("chat-send").click()
    agent.page.get_by_test_id("chat-log").wait_for_text("Here it is.")

    agent.page.get_by_test_id("capture").click()
    agent.page.wait_for_selector('[data-testid="evidence-item"] img', "visible", timeout=10_000)
    shoot(agent.page, "firefox-console-call")  # type: ignore[arg-type]

    agent.page.get_by_test_id("end-call").click()
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()
    agent.page.get_by_test_id("wrap-up").wait_for()
    assert wait_until(lambda: stored_end_reason(live_server, "ORD-FX-AGENT"), 5, "the end") == (
        "agent_ended"
    )
    agent.assert_clean()
    buyer.assert_clean()


def test_a_firefox_buyer_reloading_mid_call_keeps_the_call(
    live_server: LiveServer, open_participant: OpenParticipant, open_firefox: OpenFirefox
) -> None:
    agent = available_agent(live_server, open_participant, "agent@shop.test", "Aggie Agent")
    buyer = firefox_buyer_in_call(live_server, open_firefox, agent, "ORD-FX-RELOAD")
    agent_video = remote_video(agent.page)
    sees_firefox_camera(agent.page, agent_video)

    buyer.page.reload()
    buyer.page.get_by_test_id("call-state").wait_for_attribute(
        "data-state", "live", timeout=RECONNECT_DEADLINE_S * 1000
    )
    # the picture comes again from the reloaded page: new frames, still changing colour
    agent.page.evaluate(COUNT_FRAMES_JS, agent_video)
    wait_until(
        lambda: agent.page.evaluate("window.__framesPresented") >= 30,
        RECONNECT_DEADLINE_S,
        "the buyer's picture at the agent after the reload",
    )
    sees_firefox_camera(agent.page, agent_video)
    receives_audio(buyer.page)
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    shoot(buyer.page, "firefox-buyer-after-reload")

    call_id = call_id_of(live_server, "ORD-FX-RELOAD")
    with Session(live_server.app.state.engine) as db:
        kinds = [e.kind for e in db.exec(select(CallEvent).where(CallEvent.call_id == call_id))]
        calls = db.exec(select(Call).where(Call.order_ref == "ORD-FX-RELOAD")).all()
    assert len(calls) == 1 and calls[0].state == "live"
    assert {"reconnecting", "resumed"} <= set(kinds), kinds
    agent.assert_clean()
    buyer.assert_clean()
