"""/admin's inspection checklists in real Chromium against a real server: an admin moves
an item of the shipped checklist and adds one for phones with an item that needs two
photos (its label in German too) and one that needs a clip of the call and no photo; a
save with an item left without its English label is refused and the server's reason
shows beside the form, nothing stored; once saved, an agent starts the phones checklist
in a live call on the console and the German buyer's phone lists its items in German;
back to the shipped ones after, the started inspection keeping its items."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import Session, select

from server.models import AuditEntry, Call
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import answered_call, available_agent, signed_in_admin
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import SIZES, shoot
from tests.helpers.servers import LiveServer

SET = "/api/inspection-template-set"
REFUSED = "Checklist 2 (Phones before shipping), item 2 needs the label in English"


def test_an_admin_adds_a_checklist_and_an_inspection_started_after_has_its_items(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    app = live_server.app
    admin = signed_in_admin(live_server, open_participant)
    page = admin.page
    panel = page.get_by_test_id("tmpl-panel")
    expect(panel.get_by_test_id("tmpl-origin")).to_have_text("The shipped checklists")
    expect(panel.get_by_test_id("tmpl-name")).to_have_value("Before shipping")
    expect(panel.get_by_test_id("tmpl-reset")).to_be_disabled()
    items = panel.get_by_test_id("tmpl-item")
    expect(items).to_have_count(6)
    expect(items.first.get_by_test_id("tmpl-item-photos")).to_have_value("6")
    expect(items.first.get_by_test_id("tmpl-item-clip")).not_to_be_checked()
    # the shipped item "powered on" is filmed: a clip and no photo
    powered = panel.locator('[data-testid="tmpl-item"][data-key="powered_on"]')
    expect(powered.get_by_test_id("tmpl-item-clip")).to_be_checked()
    expect(powered.get_by_test_id("tmpl-item-photos")).to_have_value("0")
    # the shipped checklist: the serial number first
    items.nth(2).get_by_test_id("tmpl-item-up").click()
    items.nth(1).get_by_test_id("tmpl-item-up").click()
    expect(items.first).to_have_attribute("data-key", "serial_number")

    # a checklist for phones: two items, the first with two photos and a German label
    panel.get_by_test_id("tmpl-add").click()
    expect(items).to_have_count(1)
    panel.get_by_test_id("tmpl-name").fill("Phones before shipping")
    panel.get_by_test_id("tmpl-category").fill("Phones")
    imei = items.first
    imei.get_by_test_id("tmpl-item-label-en").fill("IMEI on the box")
    imei.get_by_test_id("tmpl-item-photos").fill("2")
    imei.locator("details summary").click()
    imei.locator('[data-testid="tmpl-item-label"][data-locale="de"]').fill("IMEI auf dem Karton")
    panel.get_by_test_id("tmpl-item-add").click()
    expect(items).to_have_count(2)
    expect(items.nth(1).get_by_test_id("tmpl-item-label-en")).to_be_focused()
    expect(panel.get_by_test_id("tmpl-pick").locator("option")).to_have_text(
        ["Before shipping (general)", "Phones before shipping (Phones)"]
    )

    # the second item has no label yet: the server refuses and says why, beside the form
    panel.get_by_test_id("tmpl-save").click()
    error = panel.get_by_test_id("tmpl-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(REFUSED)
    expect(panel.get_by_test_id("tmpl-status")).to_have_text("")
    expect(items).to_have_count(2)  # the edits are still there to fix
    assert not page.request.get(SET).json()["customized"]
    panel.scroll_into_view_if_needed()
    shoot(page, "admin-inspection-templates-refused")

    items.nth(1).get_by_test_id("tmpl-item-label-en").fill("Screen powered on")
    items.nth(1).get_by_test_id("tmpl-item-clip").check()
    items.nth(1).get_by_test_id("tmpl-item-photos").fill("0")
    shoot(page, "admin-inspection-templates-editing")
    assert_no_serious_violations(page, "admin editing the inspection checklists")
    panel.get_by_test_id("tmpl-save").click()
    expect(panel.get_by_test_id("tmpl-status")).to_have_text(
        "Checklists saved. Inspections started from now on use them."
    )
    expect(error).to_be_hidden()
    expect(panel.get_by_test_id("tmpl-origin")).to_have_text("The shop's own checklists")
    expect(panel.get_by_test_id("tmpl-name")).to_have_value("Phones before shipping")
    expect(items.first).to_have_attribute("data-key", "imei_on_the_box")
    with Session(app.state.engine) as db:
        assert db.exec(
            select(AuditEntry).where(AuditEntry.action == "inspection_templates_changed")
        ).all()
    stored = {t["key"]: t for t in page.request.get(SET).json()["templates"]}
    assert list(stored) == ["default", "phones_before_shipping"]
    assert stored["default"]["items"][0]["key"] == "serial_number"
    assert [
        (i["key"], i["photos"], i["clip_required"])
        for i in stored["phones_before_shipping"]["items"]
    ] == [("imei_on_the_box", 2, False), ("screen_powered_on", 0, True)]

    # an inspection started now, on the console, has the phones checklist's items
    _, url = make_link(app, "ORD-PHONE", "remote_inspection", locale="de")
    agent = available_agent(live_server, open_participant, "ann@shop.test", "Ann Agent")
    buyer = open_participant("buyer", phone=True, locale="de-DE")
    answered_call(agent, buyer, url)
    console = agent.page.get_by_test_id("console-inspection")
    console.get_by_test_id("inspection-template").select_option("phones_before_shipping")
    picks = console.get_by_test_id("inspection-pick")
    expect(picks).to_have_count(2)
    expect(console.get_by_test_id("inspection-picks")).to_contain_text("IMEI on the box")
    shoot(agent.page, "inspection-console-shop-checklist", sizes={"desktop": SIZES["desktop"]})
    console.get_by_test_id("inspection-start").click()
    expect(console.get_by_test_id("inspection-item")).to_have_count(2)
    rows = buyer.page.get_by_test_id("checklist-item")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-item", "imei_on_the_box")
    expect(rows.first.locator(".checklist-label")).to_have_text("IMEI auf dem Karton")
    expect(rows.nth(1).locator(".checklist-label")).to_have_text("Screen powered on")
    shoot(buyer.page, "inspection-buyer-shop-checklist", sizes={"phone": SIZES["phone"]})
    with Session(app.state.engine) as db:
        session_id = db.exec(select(Call.id).where(Call.order_ref == "ORD-PHONE")).one()

    def started_items() -> list[tuple[str, int, bool]]:
        answer = agent.page.request.get(f"/api/sessions/{session_id}/inspection")
        assert answer.ok, answer.text()
        return [
            (i["key"], i["photos_required"], i["clip_required"]) for i in answer.json()["items"]
        ]

    wanted = [("imei_on_the_box", 2, False), ("screen_powered_on", 0, True)]
    assert started_items() == wanted
    # the console offers the clip on that item, and the buyer's phone waits for it
    expect(
        console.locator(
            '[data-testid="inspection-item"][data-item="screen_powered_on"]'
        ).get_by_test_id("inspection-clip-record")
    ).to_be_visible()
    expect(rows.nth(1).get_by_test_id("checklist-clip")).to_have_attribute("data-state", "missing")

    # back to the shipped checklists: the started inspection keeps its items
    panel.get_by_test_id("tmpl-reset").click()
    page.get_by_test_id("confirm-yes").click()
    expect(panel.get_by_test_id("tmpl-status")).to_have_text("The shipped checklists are back.")
    expect(panel.get_by_test_id("tmpl-origin")).to_have_text("The shipped checklists")
    expect(panel.get_by_test_id("tmpl-pick").locator("option")).to_have_count(1)
    assert [t["key"] for t in page.request.get(SET).json()["templates"]] == ["default"]
    assert started_items() == wanted
    refused = [p for p in admin.problems if "422" in p and SET in p]
    assert len(refused) == 1 and len(admin.problems) == 1, admin.problems  # the bad save
    for person in (agent, buyer):
        person.assert_clean()
