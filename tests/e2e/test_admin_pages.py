"""The admin page in real Chromium: risky actions (a role change, disabling an account)
ask first and Cancel changes nothing; a refused link says why in a sentence, and the
link made before does not stay under that error; a used link reads how many of its calls
it has started and whether it can start more (a declined consent counts);
the audit's call column names the order and opens the call. Screenshots and axe-core
for each state."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect
from sqlmodel import Session

from server.models import Call, Link, User
from signaling.vocabulary import EndReason
from tests.helpers.accounts import add_user, login
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import store_call
from tests.helpers.waiting import page_pause, wait_until


def role_of(live_server: LiveServer, user_id: int) -> tuple[str, bool]:
    with Session(live_server.app.state.engine) as db:
        user = db.get(User, user_id)
        return str(user.role), bool(user.disabled)


def test_admin_actions_ask_first_and_say_what_went_wrong_in_words(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    call_id = store_call(
        live_server.app, "ORD-AUD-1", agent_id=agent_id, chat=(("buyer", "Hello"),)
    )
    # a link allowed one call, which the buyer declined: it can start no more
    declined_id = store_call(
        live_server.app, "ORD-AUD-2", agent_id=None, end_reason=EndReason.BUYER_DECLINED
    )
    with Session(live_server.app.state.engine) as db:
        link = db.get(Link, db.get(Call, declined_id).link_id)
        link.max_calls = 1
        db.add(link)
        db.commit()
    with httpx.Client(base_url=live_server.url) as sup:  # a supervisor reads its chat
        login(sup, "sup@shop.test")
        assert sup.get(f"/api/sessions/{call_id}").status_code == 200

    admin = open_participant("admin")
    page = admin.page
    sign_in(page, "admin@shop.test", landing="/admin")
    shoot(page, "admin-page")
    assert_no_serious_violations(page, "the admin page")

    # a role change asks; Cancel puts the select back and changes nothing
    row = page.locator('[data-testid="user-row"][data-email="agent@shop.test"]')
    row.get_by_test_id("user-role-select").select_option("admin")
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Aggie Agent (agent@shop.test) becomes an admin")
    page.get_by_test_id("confirm-no").click()
    expect(dialog).to_be_hidden()
    expect(row.get_by_test_id("user-role-select")).to_have_value("agent")
    assert role_of(live_server, agent_id) == ("agent", False)
    row.get_by_test_id("user-role-select").select_option("supervisor")
    page.get_by_test_id("confirm-yes").click()
    expect(row.get_by_test_id("user-role-select")).to_have_value("supervisor")
    # the select shows the choice at once; the change is stored when its request is done
    wait_until(
        lambda: role_of(live_server, agent_id) == ("supervisor", False),
        5,
        "the role change to be stored",
        pause=page_pause(page),
    )

    # disabling asks too
    row.get_by_test_id("user-toggle-disabled").click()
    expect(dialog).to_contain_text("cannot sign in until enabled again")
    shoot(page, "admin-confirm-disable")
    assert_no_serious_violations(page, "the admin's disable question")
    page.keyboard.press("Escape")  # closing the question is a no
    expect(dialog).to_be_hidden()
    expect(row.get_by_test_id("user-status")).to_have_text("active")
    row.get_by_test_id("user-toggle-disabled").click()
    page.get_by_test_id("confirm-yes").click()
    expect(row.get_by_test_id("user-status")).to_have_text("disabled")
    assert role_of(live_server, agent_id) == ("supervisor", True)

    # a link made, then a refused one: the sentence, and no success box under it
    page.get_by_test_id("link-order").fill("ORD-ADM-1")
    page.get_by_test_id("link-create").click()
    expect(page.get_by_test_id("link-result")).to_be_visible()
    page.get_by_test_id("link-order").fill("ORD-ADM-2")
    page.get_by_test_id("link-locale").fill("not a language!")
    page.get_by_test_id("link-create").click()
    error = page.get_by_test_id("link-error")
    expect(error).to_have_text("The buyer's language must be a language code such as de or pt-BR.")
    expect(page.get_by_test_id("link-result")).to_be_hidden()
    shoot(page, "admin-link-refused")

    # used links by their calls (the server's default is 3 a link), and the audit's call
    # column
    page.reload()
    over = page.locator('[data-testid="link-row"][data-order-ref="ORD-AUD-1"]')
    expect(over.get_by_test_id("link-status")).to_have_text("used: 1 of 3 calls, can start 2 more")
    used_up = page.locator('[data-testid="link-row"][data-order-ref="ORD-AUD-2"]')
    expect(used_up.get_by_test_id("link-status")).to_have_text(
        "used up: it can start no more calls (1 made)"
    )
    fresh = page.locator('[data-testid="link-row"][data-order-ref="ORD-ADM-1"]')
    expect(fresh.get_by_test_id("link-status")).to_have_text("active, not used yet")
    audit_link = page.locator('[data-testid="audit-row"][data-action="view_chat"]').get_by_test_id(
        "audit-call-link"
    )
    expect(audit_link).to_have_text("Order ORD-AUD-1")
    shoot(page, "admin-links-and-audit")
    audit_link.click()
    page.wait_for_url(f"**/review?session={call_id}")
    expect(page.get_by_test_id("session-order")).to_have_text("ORD-AUD-1")
    # the refused link's 422 is the browser's own log line, expected here
    admin.problems[:] = [p for p in admin.problems if not ("422" in p and "/api/links" in p)]
    admin.assert_clean()
