"""The review page in real Chromium, for a supervisor moving from call to call: each
call's page starts clean (no notice, typed reason, history or chat of the call before);
an untagged call is given an outcome without a reason; calls that never reached an agent
are their own status and count; the order search matches a prefix; a supervisor's
confirm is not a mark on the video. Every state is screenshot and checked by axe-core."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from signaling.vocabulary import EndReason
from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import store_call, tag


def open_call(page: Page, order_ref: str) -> None:
    page.get_by_role("button", name=f"Open the call for order {order_ref}", exact=False).click()
    expect(page.get_by_test_id("session-order")).to_have_text(order_ref)


def back_to_list(page: Page) -> None:
    page.get_by_test_id("session-close").click()
    expect(page.get_by_test_id("list-view")).to_be_visible()


def test_a_supervisor_moving_from_call_to_call_sees_only_the_call_in_front_of_them(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    tagged = store_call(
        live_server.app,
        "ORD-RV-100",
        agent_id=agent_id,
        chat=(("buyer", "The lid is cracked."),),
        age_s=400,
    )
    tag(live_server, "agent@shop.test", tagged, "damage", "refund")
    store_call(live_server.app, "ORD-RV-200", agent_id=agent_id, age_s=300)
    store_call(
        live_server.app,
        "ORD-XX-300",
        agent_id=None,
        end_reason=EndReason.BUYER_DECLINED,
        age_s=200,
    )

    sup = open_participant("supervisor")
    sign_in(sup.page, "sup@shop.test", landing="/review")
    page = sup.page
    expect(page.get_by_test_id("session-row")).to_have_count(3)
    not_reached = page.locator('[data-testid="outcome-count"][data-outcome="not_reached"]')
    expect(not_reached).to_have_attribute("data-count", "1")
    expect(not_reached).to_contain_text("Never reached an agent 1")
    untagged = page.locator('[data-testid="outcome-count"][data-outcome="untagged"]')
    expect(untagged).to_have_attribute("data-count", "1")
    declined_row = page.locator('[data-testid="session-row"]', has_text="ORD-XX-300")
    expect(declined_row.get_by_test_id("session-row-outcome")).to_have_text(
        "Not reached: Buyer declined"
    )
    shoot(page, "review-list-statuses")
    assert_no_serious_violations(page, "the review list")

    # the order search matches a prefix
    page.get_by_test_id("filter-order").fill("ORD-RV")
    expect(page.get_by_test_id("session-row")).to_have_count(2)
    page.get_by_test_id("filter-order").fill("")
    expect(page.get_by_test_id("session-row")).to_have_count(3)
    page.get_by_test_id("filter-not-reached").check()
    expect(page.get_by_test_id("session-row")).to_have_count(1)
    expect(page.get_by_test_id("session-row")).to_contain_text("ORD-XX-300")
    page.get_by_test_id("filter-not-reached").uncheck()
    expect(page.get_by_test_id("session-row")).to_have_count(3)

    # the tagged call: confirmed, with a reason typed into the override and left there
    open_call(page, "ORD-RV-100")
    expect(page.get_by_test_id("chat-transcript").locator("li")).to_have_count(1)
    page.get_by_test_id("review-confirm").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Outcome confirmed.")
    expect(page.get_by_test_id("history-item")).to_have_count(2)
    page.get_by_test_id("override-reason").fill("Half a thought about ORD-RV-100")
    # a supervisor's confirm is in the history, not a mark on the video
    expect(page.locator('[data-testid="timeline-marker"][data-kind="outcome"]')).to_have_count(0)
    expect(page.get_by_test_id("timeline-list")).not_to_contain_text("confirm")
    expect(page.get_by_test_id("timeline-key")).to_contain_text("Chat message")
    shoot(page, "review-call-confirmed")
    assert_no_serious_violations(page, "a confirmed call")

    # the next call shows nothing of it
    back_to_list(page)
    open_call(page, "ORD-RV-200")
    expect(page.get_by_test_id("notice")).to_be_hidden()
    expect(page.get_by_test_id("history-item")).to_have_count(0)
    expect(page.get_by_test_id("chat-transcript").locator("li")).to_have_count(0)
    expect(page.get_by_test_id("chat-empty")).to_be_visible()
    expect(page.get_by_test_id("session-view")).not_to_contain_text("ORD-RV-100")
    expect(page.get_by_test_id("session-view")).not_to_contain_text("lid is cracked")
    expect(page.get_by_test_id("override-form")).to_be_hidden()
    expect(page.get_by_test_id("review-confirm")).to_be_hidden()
    assert page.get_by_test_id("override-reason").input_value() == ""
    # untagged: an outcome is set, no reason asked
    set_form = page.get_by_test_id("set-form")
    expect(set_form).to_be_visible()
    expect(page.get_by_test_id("review-set")).to_have_text("Set outcome")
    assert page.get_by_test_id("set-note").input_value() == ""
    shoot(page, "review-call-untagged")
    assert_no_serious_violations(page, "an untagged call")
    page.get_by_test_id("set-outcome").select_option("defect")
    page.get_by_test_id("review-set").click()
    outcome = page.get_by_test_id("session-outcome")
    expect(outcome).to_have_attribute("data-outcome", "defect")
    expect(page.get_by_test_id("history-item")).to_have_count(1)
    expect(set_form).to_be_hidden()

    # a call nobody answered: nothing to set or review
    back_to_list(page)
    open_call(page, "ORD-XX-300")
    expect(page.get_by_test_id("notice")).to_be_hidden()
    expect(outcome).to_contain_text("Never reached an agent")
    for testid in ("set-form", "override-form", "review-confirm"):
        expect(page.get_by_test_id(testid)).to_be_hidden()
    shoot(page, "review-call-not-reached")
    assert_no_serious_violations(page, "a call that never reached an agent")
    sup.assert_clean()
