"""The API docs render in a real browser under the Content-Security-Policy, with no CDN."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.chromium import OpenParticipant


def test_api_docs_render_without_csp_violations(open_participant: OpenParticipant) -> None:
    reader = open_participant("reader")
    reader.page.goto("/docs")
    expect(reader.page.locator(".swagger-ui .title")).to_contain_text("Showdesk")
    expect(reader.page.locator(".opblock-summary-path").first).to_be_visible()
    reader.assert_clean()
