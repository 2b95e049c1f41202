"""End to end: an admin makes an API key on /admin, sees it once, the key works, and
revoking it on the page stops it (real Chromium, a real server)."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect
from sqlmodel import Session

from server.models import Call
from server.models.evidence import Recording
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer

LINK = {"order_ref": "ORD-9001", "purpose": "remote_inspection"}


def _call_with_recording(live_server: LiveServer) -> tuple[str, int]:
    """An ended call with one stored recording file (its bytes need not decode)."""
    app = live_server.app
    link, _ = make_link(app, "ORD-9002")
    now = app.state.clock.now()
    app.state.storage.path_for_writing("calls/e2e/track.webm").write_bytes(b"0" * 64)
    app.state.storage.commit("calls/e2e/track.webm")
    with Session(app.state.engine) as db:
        db.add(
            Call(
                id="calle2e",
                link_id=link.id,
                order_ref="ORD-9002",
                purpose="damage_verification",
                state="ended",
                created_at=now,
                ended_at=now,
                end_reason="agent_ended",
            )
        )
        db.commit()
        rec = Recording(
            call_id="calle2e",
            kind="track",
            track="buyer_video",
            storage_key="calls/e2e/track.webm",
            content_type="video/webm",
            codec="vp8",
            state="ready",
            progress=100,
            size_bytes=64,
            created_at=now,
        )
        db.add(rec)
        db.commit()
        return "calle2e", rec.id


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
        page.get_by_test_id("confirm-yes").click()
        expect(row.get_by_test_id("apikey-status")).to_have_text("revoked")
        expect(row.get_by_test_id("apikey-revoke")).to_have_count(0)
        expect(page.get_by_test_id("notice")).to_contain_text("revoked")
        assert api.post("/api/links", json=LINK, headers=auth).status_code == 401
    shoot(page, "admin-apikey-revoked")

    # a key with recordings:read opens a recording; the audit names the key
    page.get_by_test_id("apikey-name").fill("Archive")
    page.get_by_test_id("apikey-scope-recordings-read").check()
    page.get_by_test_id("apikey-create").click()
    expect(page.get_by_test_id("apikey-result")).to_contain_text("Archive:")
    archive = page.get_by_test_id("apikey-key").inner_text().strip()
    call_id, rec_id = _call_with_recording(live_server)
    with httpx.Client(base_url=live_server.url) as api:
        path = f"/api/sessions/{call_id}/recordings/{rec_id}"
        assert api.get(path, headers={"Authorization": f"Bearer {archive}"}).status_code == 200
    page.get_by_test_id("audit-refresh").click()
    # the key's creations are in the log too; the recording views are the key's own
    expect(
        page.get_by_test_id("audit-row").filter(has_text="created API key Archive")
    ).to_have_count(1)
    page.get_by_test_id("audit-action").select_option("view_recording")
    expect(page.get_by_test_id("audit-row")).to_have_count(1)
    expect(page.get_by_test_id("audit-row")).to_contain_text("API key Archive")
    shoot(page, "admin-apikey-audit")

    page.get_by_test_id("apikey-name").fill("Nothing allowed")
    for box in ("links-write", "links-read", "calls-read", "calls-chat", "recordings-read"):
        page.get_by_test_id(f"apikey-scope-{box}").uncheck()
    page.get_by_test_id("apikey-create").click()
    expect(page.get_by_test_id("apikey-error")).to_contain_text("at least one")
    admin.assert_clean()
