"""End to end: an admin makes an API key on /admin, sees it once, the key works, and
revoking it on the page stops it (real Chromium, a real server)."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.e2e.test_screenshots import shoot
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.servers import LiveServer

LINK = {"order_ref": "ORD-9001", "purpose": "remote_inspection"}


def test_admin_creates_an_api_key_sees_it_once_and_revokes_it(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    admin = open_participant("admin")
    page = admin.page
    sign_in(page, "admin@shop.test", landing="/admin")
    expect(page.get_by_test_id("apikey-empty")).to_be_visible()

    page.get_by_test_id("apikey-name").fill("Order system")
    page.get_by_test_id("apikey-scope-links-read").uncheck()
    page.get_by_test_id("apikey-scope-calls-chat").check()
    page.get_by_test_id("apikey-create").click()
    expect(page.get_by_test_id("apikey-key")).to_contain_text("sdk_")
    key = page.get_by_test_id("apikey-key").inner_text().strip()
    row = page.locator('[data-testid="apikey-row"][data-name="Order system"]')
    expect(row.get_by_test_id("apikey-status")).to_have_text("active")
    expect(row.get_by_test_id("apikey-row-scopes")).to_have_text(
        "links:write calls:read calls:chat"
    )
    expect(row.get_by_test_id("apikey-last-used")).to_have_text("never")
    shoot(page, "admin-apikey-created")

    with httpx.Client(base_url=live_server.url) as api:
        auth = {"Authorization": f"Bearer {key}"}
        assert api.post("/api/links", json=LINK, headers=auth).status_code == 201
        assert api.get("/api/links", headers=auth).status_code == 403  # no links:read

        page.reload()
        expect(row.get_by_test_id("apikey-status")).to_have_text("active")
        expect(page.get_by_test_id("apikey-result")).to_be_hidden()
        assert key not in page.content()  # shown once: only its prefix stays
        expect(row.get_by_test_id("apikey-last-used")).not_to_have_text("never")

        row.get_by_test_id("apikey-revoke").click()
        expect(row.get_by_test_id("apikey-status")).to_have_text("revoked")
        expect(row.get_by_test_id("apikey-revoke")).to_have_count(0)
        expect(page.get_by_test_id("notice")).to_contain_text("revoked")
        assert api.post("/api/links", json=LINK, headers=auth).status_code == 401
    shoot(page, "admin-apikey-revoked")

    page.get_by_test_id("apikey-name").fill("Nothing allowed")
    for box in ("links-write", "links-read", "calls-read"):
        page.get_by_test_id(f"apikey-scope-{box}").uncheck()
    page.get_by_test_id("apikey-create").click()
    expect(page.get_by_test_id("apikey-error")).to_contain_text("at least one")
    admin.assert_clean()
