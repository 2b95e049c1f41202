"""The agent's phone takes the inspection's photos, in real Chromium: in a remote
inspection the agent connects their phone by typing the short code into the /camera
page's form (the phone's fake camera plays the colour bars; the console's own camera is
Chromium's pattern). While the phone is live, "Photograph" on an item has the phone take
a full-resolution photo and upload it: the stored photo shows the bars and the item gets
it on the console. A phone whose upload fails says so and the console shows why; a
photo that never comes is given up after 20 s."""

from __future__ import annotations

import re

from PIL import Image
from playwright.sync_api import Page, Route, expect
from sqlmodel import Session, select

from server.models import Call, Photo
from tests.helpers.browser_steps import answered_call, available_agent
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import SIZES, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import page_pause, wait_until
from tests.helpers.y4m import image_bars

UPLOAD = "**/api/phone-camera/photos?*"


def item(page: Page, testid: str, key: str):
    return page.locator(f'[data-testid="{testid}"][data-item="{key}"]')


def test_the_live_phone_takes_the_items_photo_and_a_failed_upload_is_told(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser
) -> None:
    _, url = make_link(live_server.app, "ORD-PHONE-INSPECT", "remote_inspection")
    agent = available_agent(live_server, open_participant, "phoneinsp@shop.test", "Ina Agent")
    console = agent.page
    buyer = open_participant("buyer", phone=True)
    answered_call(agent, buyer, url)

    # the phone connects by the short code typed into its page's form
    console.get_by_test_id("phone-camera").click()
    shown = console.get_by_test_id("phone-camera-code")
    expect(shown).to_have_text(re.compile(r"^\s*[A-Z2-9]{8}\s*$"))
    code = shown.inner_text().strip()
    phone = open_participant("phone", phone=True, on=camera_browser)
    phone.page.goto("/camera")
    form = phone.page.get_by_test_id("camera-code-form")
    expect(form).to_be_visible()
    phone.page.get_by_test_id("camera-code-input").fill(f"{code[:4].lower()} {code[4:]}")
    phone.page.get_by_test_id("camera-code-submit").click()
    status = phone.page.get_by_test_id("camera-status")
    expect(status).to_have_attribute("data-state", "live", timeout=15_000)
    expect(form).to_be_hidden()
    expect(console.get_by_test_id("phone-camera-state")).to_be_visible(timeout=15_000)

    # the agent starts a one-item checklist
    picks = console.get_by_test_id("inspection-pick")
    expect(picks.first).to_be_visible()
    for box in picks.all():
        if box.get_attribute("data-item") != "shipping_label":
            box.uncheck()
    console.get_by_test_id("inspection-start").click()
    row = item(console, "inspection-item", "shipping_label")
    expect(row).to_have_attribute("data-state", "pending")

    # "Photograph": the phone takes it; its upload is held so both waiting states show
    held: list[Route] = []
    phone.page.route(UPLOAD, lambda route: held.append(route))
    row.get_by_test_id("inspection-shoot").click()
    expect(status).to_have_attribute("data-state", "photo")
    wait_until(lambda: held, 10, "the phone's upload", pause=page_pause(phone.page))
    button = row.get_by_test_id("inspection-shoot")
    expect(button).to_be_disabled()
    expect(button).to_have_text("Taking photo…")
    inspection_status = console.get_by_test_id("inspection-status")
    expect(inspection_status).to_have_attribute("data-state", "waiting")
    expect(inspection_status).to_contain_text("Taking the photo with your phone")
    shoot(phone.page, "camera-page-taking-photo")
    shoot(console, "inspection-console-waiting-for-phone")
    held[0].continue_()
    phone.page.unroute(UPLOAD)

    # the item gets the phone's photo on the console; the phone says it was sent
    expect(row).to_have_attribute("data-state", "shot", timeout=15_000)
    expect(row.get_by_test_id("inspection-photo")).to_have_count(1)
    expect(inspection_status).to_have_text("")
    expect(status).to_have_attribute("data-state", "photo_sent")
    expect(status).to_have_attribute("data-state", "live", timeout=10_000)

    # the stored photo is the phone's: the colour bars, at its camera's own size
    engine = live_server.app.state.engine
    with Session(engine) as db:
        call_id = db.exec(select(Call.id).where(Call.order_ref == "ORD-PHONE-INSPECT")).one()
        photos = db.exec(select(Photo).where(Photo.call_id == call_id)).all()
    assert len(photos) == 1, photos
    path = live_server.app.state.storage.local_path(photos[0].storage_key)
    with Image.open(path) as image:
        assert image_bars(image), "the phone's colour bars in the stored photo"
        assert image.width >= 320, image.size

    # an upload that fails: the phone tells, the console says why and may try again
    phone.page.route(UPLOAD, lambda route: route.abort())
    row.get_by_test_id("inspection-shoot").click()
    expect(inspection_status).to_have_attribute("data-state", "failed", timeout=15_000)
    expect(inspection_status).to_contain_text("could not send it")
    expect(status).to_have_attribute("data-state", "photo_failed")
    expect(row.get_by_test_id("inspection-shoot")).to_be_enabled()
    expect(row.get_by_test_id("inspection-photo")).to_have_count(1)
    shoot(phone.page, "camera-page-photo-failed")
    shoot(console, "inspection-console-phone-photo-failed")

    # a photo that never comes: the console gives up after 20 s and says so
    phone.page.unroute(UPLOAD)
    phone.page.route(UPLOAD, lambda route: None)  # held until the page closes
    row.get_by_test_id("inspection-shoot").click()
    expect(inspection_status).to_have_attribute("data-state", "waiting")
    expect(inspection_status).to_have_attribute("data-state", "failed", timeout=30_000)
    expect(inspection_status).to_contain_text("No photo came from your phone within 20 seconds")
    expect(row.get_by_test_id("inspection-shoot")).to_be_enabled()
    shoot(console, "inspection-console-phone-photo-timeout", sizes={"phone": SIZES["phone"]})
    for person in (agent, buyer):
        person.assert_clean()
