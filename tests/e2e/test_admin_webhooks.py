"""End to end: an admin adds a webhook endpoint on /admin, puts the secret shown once
into a real receiver, a verdict set through the API reaches it verified, the delivery
log shows the attempt, and "Send again" delivers the same event a second time (real
Chromium, a real server, the ``standardwebhooks`` library in the receiver)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import store_call, tag
from tests.helpers.waiting import page_pause, wait_until
from tests.helpers.webhook_receiver import Receiver


@pytest.fixture
def live_server(server_factory: Callable[..., LiveServer]) -> LiveServer:
    """The server, allowed to deliver to the receiver on loopback, retrying fast."""
    return server_factory(webhooks_allow_private=True, webhooks_poll_s=0.1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def test_admin_adds_an_endpoint_sees_the_delivery_log_and_replays(
    live_server: LiveServer, open_participant: OpenParticipant, receiver: Receiver
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    admin = open_participant("admin")
    page = admin.page
    sign_in(page, "admin@shop.test", landing="/admin")
    expect(page.get_by_test_id("webhook-empty")).to_be_visible()

    page.get_by_test_id("webhook-url").fill(receiver.url)
    page.get_by_test_id("webhook-event-photo.added").uncheck()
    page.get_by_test_id("webhook-create").click()
    expect(page.get_by_test_id("webhook-secret")).to_contain_text("whsec_")
    secret = page.get_by_test_id("webhook-secret").inner_text().strip()
    receiver.secrets = [secret]
    row = page.get_by_test_id("webhook-row")
    expect(row.get_by_test_id("webhook-state")).to_have_text("enabled")
    expect(row.get_by_test_id("webhook-row-events")).not_to_contain_text("photo.added")
    expect(row.get_by_test_id("webhook-row-events")).to_contain_text("case.submitted")
    shoot(page, "admin-webhook-created")

    agent_id = add_user(live_server.app, "ana@shop.test", "agent", "Ana")
    call_id = store_call(live_server.app, "ORD-4711", agent_id=agent_id)
    tag(live_server, "ana@shop.test", call_id, "damage", "refund")
    pause = page_pause(page)
    wait_until(lambda: receiver.verified("outcome.set"), 10, "outcome.set verified", pause)

    row.get_by_test_id("webhook-log-open").click()
    attempt = page.get_by_test_id("webhook-attempt")
    expect(attempt).to_have_count(1)
    expect(attempt.get_by_test_id("webhook-delivery-state")).to_have_text("delivered")
    expect(attempt.get_by_test_id("webhook-attempt-status")).to_have_text("204")
    expect(attempt.get_by_test_id("webhook-attempt-ms")).to_contain_text("ms")
    shoot(page, "admin-webhook-log")
    assert_no_serious_violations(page, "/admin with a webhook's delivery log")

    attempt.get_by_test_id("webhook-replay").click()
    expect(page.get_by_test_id("notice")).to_contain_text("outcome.set")
    events = wait_until(lambda: receiver.verified("outcome.set")[1:], 10, "the replay", pause)
    assert events[0]["id"] == receiver.verified("outcome.set")[0]["id"]
    page.get_by_test_id("webhook-log-refresh").click()
    expect(page.locator('[data-testid="webhook-attempt"][data-state="delivered"]')).to_have_count(2)
    # the replay's own reload of the log may still be under way: a reload would cut it off
    page.wait_for_load_state("networkidle")
    page.reload()
    expect(page.get_by_test_id("webhook-result")).to_be_hidden()
    assert secret not in page.content()  # shown once

    row.get_by_test_id("webhook-disable").click()
    expect(row.get_by_test_id("webhook-state")).to_contain_text("disabled")
    expect(row.get_by_test_id("webhook-state")).to_contain_text("administrator")
    row.get_by_test_id("webhook-log-open").click()
    expect(page.get_by_test_id("webhook-attempt")).to_have_count(2)
    shoot(page, "admin-webhook-disabled")
    admin.assert_clean()
