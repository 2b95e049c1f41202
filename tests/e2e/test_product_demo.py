"""A product demo in real Chromium browsers: the agent's camera (a known test pattern) is
the buyer's main picture and the buyer hears the agent, the buyer's own camera starts off
and can be turned on; the buyer keeps a snapshot of the agent's picture; the agent shares
a product card the buyer opens in a new tab; the agent's camera is recorded as its own
track, is in the review file, on the review page (in a corner, swappable) and in the
evidence bundle."""

from __future__ import annotations

import io
import json
import zipfile

import av
from PIL import Image
from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from server.models import Call, Recording
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import (
    SAMPLE_VIDEO_JS,
    available_agent,
    bar_points,
    buyer_ends_call,
    colours_match,
    frames_presented,
    remote_video,
    sign_in,
)
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.page_js import LISTEN_JS
from tests.helpers.screens import SIZES, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until
from tests.helpers.y4m import image_bars

REVIEW_FILE_DEADLINE_S = 120
PHONE = {"phone": SIZES["phone"]}
DESKTOP = {"desktop": SIZES["desktop"]}


def test_a_product_demo_shows_the_agents_camera_shares_a_card_and_records_the_agents_track(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    camera_browser: Browser,
    tmp_path,
) -> None:
    _, link_url = make_link(live_server.app, "ORD-DEMO-CAM", "product_demo", buyer_name="Dana")
    agent = available_agent(
        live_server, open_participant, "demo-cam@shop.test", "Dee Agent", on=camera_browser
    )
    buyer = open_participant("buyer", phone=True)
    page = buyer.page
    page.goto(link_url)
    page.get_by_test_id("consent-accept").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    agent.page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")

    # the agent's camera is on by default in a demo; the buyer's is off
    expect(agent.page.get_by_test_id("camera-toggle")).to_have_text("Stop camera")
    expect(agent.page.get_by_test_id("local-video")).to_be_visible()
    expect(page.get_by_test_id("live")).to_have_attribute("data-main", "remote")
    expect(page.get_by_test_id("local-video")).to_be_hidden()
    expect(page.get_by_test_id("camera-toggle")).to_have_text("Start camera")

    # the buyer's main picture is the agent's camera: the colour bars, by pixels
    selector = remote_video(page)
    assert 'data-testid="agent-video"' in selector
    points = bar_points()
    last: dict = {}

    def bars_at_buyer() -> bool:
        last["sample"] = page.evaluate(SAMPLE_VIDEO_JS, [selector, points])
        return colours_match(last["sample"])

    try:
        wait_until(bars_at_buyer, 15, "the agent's colour bars on the buyer's page")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last sample {last.get('sample')}") from None
    box = page.get_by_test_id("agent-video").bounding_box()
    assert box is not None and box["width"] * box["height"] >= 0.5 * 390 * 844, box
    # ... and hears the agent (Chromium's fake microphone beeps every second)
    wait_until(lambda: page.evaluate(LISTEN_JS, selector), 10, "an audio track at the buyer")
    wait_until(lambda: page.evaluate("window.__loudest") > 0.05, 10, "audible agent audio")
    shoot(page, "buyer-demo-agent-camera", sizes=PHONE)

    # a snapshot of the agent's picture is saved on the buyer's device
    snapshot = page.get_by_test_id("snapshot")
    expect(snapshot).to_be_visible()
    with page.expect_download() as download_info:
        snapshot.click()
    download = download_info.value
    assert download.suggested_filename.startswith("showdesk-ORD-DEMO-CAM-")
    assert download.suggested_filename.endswith(".jpg")
    saved = tmp_path / "snapshot.jpg"
    download.save_as(saved)
    with Image.open(saved) as image:
        assert image.format == "JPEG" and image.width >= 320
        assert image_bars(image), "the snapshot shows the agent's colour bars"
    expect(page.get_by_test_id("snapshot-status")).to_have_text("Snapshot saved on this device.")

    # the agent shares a product card; a link that is not http(s) is refused at once
    product_url = f"{live_server.url}/static/favicon.svg?sku=TR2-42-BLK"
    console = agent.page
    console.get_by_test_id("product-card-toggle").click()
    console.get_by_test_id("product-card-name-input").fill("Trail Runner 2")
    console.get_by_test_id("product-card-sku-input").fill("TR2-42-BLK")
    console.get_by_test_id("product-card-price-input").fill("EUR 129.00")
    console.get_by_test_id("product-card-url-input").fill("javascript:alert(1)")
    console.get_by_test_id("product-card-send").click()
    expect(console.get_by_test_id("product-card-error")).to_contain_text("http://")
    shoot(console, "console-product-card-dialog", sizes=DESKTOP)
    console.get_by_test_id("product-card-url-input").fill(product_url)
    console.get_by_test_id("product-card-send").click()
    expect(console.get_by_test_id("product-card-error")).to_be_hidden()
    expect(console.get_by_test_id("chat-log").get_by_test_id("product-card")).to_have_count(1)

    card = page.get_by_test_id("chat-log").get_by_test_id("product-card")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("product-card-name")).to_have_text("Trail Runner 2")
    expect(card.get_by_test_id("product-card-sku")).to_have_text("SKU TR2-42-BLK")
    expect(card.get_by_test_id("product-card-price")).to_have_text("EUR 129.00")
    opener = card.get_by_test_id("product-card-open")
    expect(opener).to_have_attribute("target", "_blank")
    assert "noopener" in (opener.get_attribute("rel") or "").split()
    shoot(page, "buyer-demo-product-card", sizes=PHONE)
    shoot(console, "console-demo-product-card", sizes=DESKTOP)
    with buyer.context.expect_page() as opened:
        opener.click()
    product_page = opened.value
    product_page.wait_for_load_state()
    assert product_page.url == product_url
    assert product_page.evaluate("window.opener === null")
    product_page.close()
    expect(page.get_by_test_id("live")).to_be_visible()  # the call page stays

    # the agent's first stretch of camera, which the recording's first segment holds
    frames_presented(page, selector, 90)

    # the agent turns the camera off and on: the buyer is told, then sees the bars again
    console.get_by_test_id("camera-toggle").click()
    expect(console.get_by_test_id("camera-toggle")).to_have_text("Start camera")
    expect(page.get_by_test_id("remote-placeholder")).to_be_visible()
    expect(snapshot).to_be_hidden()
    console.get_by_test_id("camera-toggle").click()
    expect(console.get_by_test_id("camera-toggle")).to_have_text("Stop camera")
    expect(page.get_by_test_id("remote-placeholder")).to_be_hidden()
    wait_until(bars_at_buyer, 15, "the agent's colour bars again")

    # the buyer may turn their own camera on: it shows small, the agent's stays large
    page.get_by_test_id("camera-toggle").click()
    expect(page.get_by_test_id("local-video")).to_be_visible()
    local = page.get_by_test_id("local-video").bounding_box()
    assert local is not None and local["width"] * local["height"] < 0.2 * 390 * 844, local
    wait_until(
        lambda: console.evaluate(
            f"document.querySelector('{remote_video(console)}').videoWidth > 0"
        ),
        15,
        "the buyer's picture at the agent",
    )
    shoot(page, "buyer-demo-own-camera-on", sizes=PHONE)
    buyer_ends_call(page)
    expect(page.get_by_test_id("call-ended")).to_be_visible()

    # the agent's camera is a track of its own in the recording, and in the review file
    engine = live_server.app.state.engine
    storage = live_server.app.state.storage
    with Session(engine) as db:
        call = db.exec(select(Call).where(Call.order_ref == "ORD-DEMO-CAM")).one()

    def all_ready() -> list[Recording] | None:
        with Session(engine) as db:
            rows = db.exec(select(Recording).where(Recording.call_id == call.id)).all()
        failed = [r for r in rows if r.state == "failed"]
        assert not failed, [(r.track, r.error) for r in failed]
        review = [r for r in rows if r.kind == "review" and r.state == "ready"]
        tracks = [r for r in rows if r.kind == "track"]
        if review and tracks and all(r.state == "ready" for r in tracks):
            return rows
        return None

    rows = wait_until(all_ready, REVIEW_FILE_DEADLINE_S, "the tracks and the review file")
    tracks = {r.track: r for r in rows if r.kind == "track" and r.segment == 0}
    assert {"agent_video", "agent_audio", "buyer_audio", "buyer_video"} <= set(tracks), tracks
    agent_track = storage.local_path(tracks["agent_video"].storage_key)
    with av.open(str(agent_track)) as container:
        frames = [f.to_image() for _, f in zip(range(400), container.decode(video=0), strict=False)]
    assert len(frames) >= 60, len(frames)
    assert image_bars(frames[-1]), "the agent's track shows the colour bars"
    review = next(r for r in rows if r.kind == "review")
    with av.open(str(storage.local_path(review.storage_key))) as container:
        kinds = [s.type for s in container.streams]
        assert kinds.count("video") == 2 and kinds.count("audio") == 1, kinds
        agent_stream = container.streams.video[1]
        agent_frames = [f for _, f in zip(range(400), container.decode(agent_stream), strict=False)]
    assert len(agent_frames) >= 60 and image_bars(agent_frames[-1].to_image())

    # the review page shows the agent's camera in a corner and can swap the pictures
    add_user(live_server.app, "demo-sup@shop.test", "supervisor", "Sue Visor")
    sup = open_participant("supervisor")
    sign_in(sup.page, "demo-sup@shop.test", landing="/review")
    sup.page.get_by_test_id("session-row").first.click()
    video = sup.page.get_by_test_id("review-video")
    expect(video).to_be_visible()
    expect(sup.page.get_by_test_id("review-agent-pip")).to_be_visible()
    video.evaluate("v => { v.muted = true; return v.play(); }")
    pip = sup.page.get_by_test_id("review-agent-video")
    wait_until(lambda: pip.evaluate("v => v.videoWidth > 0 && !v.paused"), 15, "the agent's camera")
    wait_until(
        lambda: colours_match(
            sup.page.evaluate(SAMPLE_VIDEO_JS, ['[data-testid="review-agent-video"]', points])
        ),
        15,
        "the agent's colour bars on the review page",
    )
    expect(sup.page.get_by_test_id("review-video-label")).to_have_text("Buyer's camera")
    shoot(sup.page, "review-demo-agent-corner", sizes=DESKTOP)
    sup.page.get_by_test_id("review-video-swap").click()
    expect(sup.page.get_by_test_id("player")).to_have_class("player swapped")
    expect(sup.page.get_by_test_id("review-video-label")).to_have_text("Agent's camera")
    pip_box, main_box = pip.bounding_box(), video.bounding_box()
    assert pip_box and main_box and pip_box["width"] > 2 * main_box["width"], (pip_box, main_box)
    shoot(sup.page, "review-demo-agent-swapped", sizes=DESKTOP)
    video.evaluate("v => v.pause()")

    # ... and the evidence bundle holds the agent's track and the card in the chat
    answer = sup.page.request.get(f"/api/sessions/{call.id}/bundle")
    assert answer.status == 200, answer.text()
    with zipfile.ZipFile(io.BytesIO(answer.body())) as archive:
        names = archive.namelist()
        chat = json.loads(archive.read("chat.json"))
    agent_name = f"tracks/{tracks['agent_video'].id}-agent_video-0.webm"
    assert agent_name in names, names
    [card_line] = [line for line in chat if line.get("card")]
    assert card_line["card"] == {
        "name": "Trail Runner 2",
        "sku": "TR2-42-BLK",
        "price": "EUR 129.00",
        "url": product_url,
    }
    agent.assert_clean()
    buyer.assert_clean()
    sup.assert_clean()
