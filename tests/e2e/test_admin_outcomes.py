"""/admin's outcomes in real Chromium: an admin adds an outcome code, renames one and
retires it; the retired code stays on the call that has it, under its new label, and
is no longer offered for a verdict."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import store_call, tag


def test_an_admin_adds_renames_and_retires_an_outcome_and_old_calls_keep_it(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    app = live_server.app
    ana = add_user(app, "ana@shop.test", "agent", "Ana")
    add_user(app, "root@shop.test", "admin", "Root Admin")
    call = store_call(app, "ORD-77", agent_id=ana)
    tag(live_server, "ana@shop.test", call, "damage", "refund")
    page = open_participant("admin").page
    sign_in(page, "root@shop.test", landing="/admin")
    panel = page.get_by_test_id("outcomes-panel")
    expect(panel.get_by_test_id("outcome-category")).to_have_count(6)  # a demo's, too

    page.get_by_test_id("outcome-new-code").fill("scratched")
    page.get_by_test_id("outcome-new-label").fill("Scratched in transit")
    page.get_by_test_id("outcome-new-category").select_option("logistics")
    page.get_by_test_id("outcome-add").click()
    logistics = panel.locator('[data-testid="outcome-category"][data-code="logistics"]')
    expect(logistics.get_by_test_id("outcome-name")).to_contain_text(["Scratched in transit"])

    damage = panel.locator('[data-testid="outcome-code"][data-code="damage"]')
    damage.get_by_test_id("outcome-rename").click()
    damage.get_by_test_id("outcome-label").fill("Broken on the way")
    damage.get_by_test_id("outcome-save").click()
    damage = panel.locator('[data-testid="outcome-code"][data-code="damage"]')
    expect(damage.get_by_test_id("outcome-name")).to_have_text("Broken on the way")
    damage.get_by_test_id("outcome-retire").click()
    page.get_by_test_id("confirm-yes").click()
    expect(panel.locator('[data-testid="outcome-code"][data-code="damage"]')).to_have_attribute(
        "data-retired", "true"
    )
    shoot(page, "admin-outcomes")

    page.goto(f"/review?session={call}")
    expect(page.get_by_test_id("session-outcome")).to_contain_text("Broken on the way")
    options = page.locator('[data-testid="override-outcome"] option')
    values = [o.get_attribute("value") for o in options.all()]
    assert "damage" not in values and "scratched" in values
