"""/admin's recording steps in real Chromium against a real server: an admin edits a
damage check's steps (a changed prompt with its German text, one moved up, one removed,
a new photo-only step) and a German buyer who records instead sees exactly those steps,
in German where given, English where not, with the buttons each step asks for."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import Session, select

from server.models import AuditEntry
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import signed_in_admin
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer


def test_an_admin_edits_the_steps_and_the_buyer_records_those(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    app = live_server.app
    admin = signed_in_admin(live_server, open_participant)
    page = admin.page
    panel = page.get_by_test_id("steps-panel")
    expect(panel.get_by_test_id("steps-purpose")).to_have_value("damage_verification")
    expect(panel.get_by_test_id("steps-origin")).to_have_text("The shipped steps")
    items = panel.get_by_test_id("steps-item")
    expect(items).to_have_count(4)
    expect(items.first.get_by_test_id("step-prompt-en")).to_have_value(
        "The outer box, from all sides"
    )
    # the label first; the box's prompt changed, in German too; the item step removed
    items.nth(1).get_by_test_id("step-up").click()
    expect(items.first.get_by_test_id("step-prompt-en")).to_have_value("The shipping label")
    box = items.nth(1)
    box.get_by_test_id("step-prompt-en").fill("The parcel, every side and the tape")
    box.locator("details summary").click()
    box.locator('[data-testid="step-prompt"][data-locale="de"]').fill(
        "Das Paket, jede Seite und das Klebeband"
    )
    items.nth(3).get_by_test_id("step-remove").click()
    expect(items).to_have_count(3)
    # a new step that asks for photos only, in English only
    panel.get_by_test_id("steps-add").click()
    expect(items).to_have_count(4)
    new = items.nth(3)
    new.get_by_test_id("step-prompt-en").fill("The serial number plate")
    new.get_by_test_id("step-clip").uncheck()
    shoot(page, "admin-case-steps-editing")
    assert_no_serious_violations(page, "admin editing the recording steps")
    panel.get_by_test_id("steps-save").click()
    expect(panel.get_by_test_id("steps-status")).to_have_text(
        "Steps saved. Buyers who open a link now get them."
    )
    expect(panel.get_by_test_id("steps-origin")).to_have_text("The shop's own steps")
    expect(items.nth(3)).to_have_attribute("data-key", "the_serial_number_plate")
    with Session(app.state.engine) as db:
        assert db.exec(select(AuditEntry).where(AuditEntry.action == "case_steps_changed")).all()
    admin.assert_clean()

    _, url = make_link(app, "ORD-STEPS", locale="de")
    buyer = open_participant("buyer", phone=True, locale="de-DE")
    bpage = buyer.page
    bpage.goto(url)
    bpage.get_by_test_id("record-instead").click()
    steps = bpage.get_by_test_id("record-step")
    expect(steps).to_have_count(4)
    prompts = bpage.locator('[data-testid="record-step"] .record-prompt')
    expect(prompts).to_have_text(
        [
            "Das Versandetikett",
            "Das Paket, jede Seite und das Klebeband",
            "Die beschädigte Stelle aus der Nähe",
            "The serial number plate",
        ]
    )
    plate = bpage.locator('[data-testid="record-step"][data-step="the_serial_number_plate"]')
    expect(plate.get_by_test_id("record-start")).to_be_hidden()
    expect(plate.get_by_test_id("step-photo")).to_be_visible()
    plate.get_by_test_id("step-photo").click()
    expect(plate.locator("img.step-photo-thumb")).to_have_count(1)
    shoot(bpage, "case-buyer-shop-steps")
    buyer.assert_clean()
