"""The staff pages read their words from GET /api/vocabulary, in real Chromium: every
select of a vocabulary list carries exactly its codes and labels, lists and details show
the labels, the buyer page keeps its own words, and a review row opens from the keyboard."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlmodel import Session

from server.models import Call
from signaling.vocabulary import (
    CallState,
    Decision,
    EndReason,
    Outcome,
    Purpose,
    label,
    vocabulary,
)
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import buyer_ends_call, go_available, sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import tag

WORDS = vocabulary()
_ids = itertools.count(1)

OPTIONS_JS = """(select) => [...select.options].map((o) => [o.value, o.textContent])"""


def options(page: Page, testid: str) -> list[list[str]]:
    return page.get_by_test_id(testid).evaluate(OPTIONS_JS)


# a product demo's results, after the return reasons (migration 0020's defaults)
DEMO_TERMS = [
    ["purchased", "Purchased"],
    ["decide_later", "Will decide later"],
    ["not_interested", "Not interested"],
    ["question_answered", "Question answered"],
    ["referred", "Referred"],
]


def terms(name: str) -> list[list[str]]:
    """The list `name`; "outcomes" is every purpose's (a list or a filter), and
    "return_reasons" the outcomes a damage check's verdict takes."""
    if name == "return_reasons":
        return terms("outcomes")[: -len(DEMO_TERMS)]
    found = [[term["code"], term["label"]] for term in WORDS[name]]
    return found + DEMO_TERMS if name == "outcomes" else found


def expect_select(page: Page, testid: str, name: str, placeholder: str | None = None) -> None:
    """The select shows exactly the list `name` after its placeholder (if any)."""
    expected = ([["", placeholder]] if placeholder is not None else []) + terms(name)
    expect(page.get_by_test_id(testid).locator("option")).to_have_count(len(expected))
    assert options(page, testid) == expected, testid


def ended_call(
    live_server: LiveServer, order_ref: str, agent_id: int, end_reason: EndReason
) -> str:
    """A stored, ended call answered by `agent_id` (no live call behind it)."""
    link, _ = make_link(live_server.app, order_ref)
    link_id = link.id
    now = live_server.app.state.clock.now()
    call_id = f"vocab{next(_ids):04d}"
    with Session(live_server.app.state.engine) as db:
        db.add(
            Call(
                id=call_id,
                link_id=link_id,
                order_ref=order_ref,
                purpose=Purpose.DAMAGE_VERIFICATION,
                state=CallState.ENDED,
                agent_id=agent_id,
                created_at=now - timedelta(minutes=3),
                answered_at=now - timedelta(minutes=3) + timedelta(seconds=5),
                ended_at=now - timedelta(minutes=1),
                end_reason=end_reason,
            )
        )
        db.commit()
    return call_id


def vocabulary_requests(page: Page) -> list[str]:
    """The vocabulary requests `page` makes from now on."""
    seen: list[str] = []
    page.on(
        "request", lambda request: "/api/vocabulary" in request.url and seen.append(request.url)
    )
    return seen


def test_console_selects_carry_exactly_the_vocabulary(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    agent = open_participant("agent")
    asked = vocabulary_requests(agent.page)
    sign_in(agent.page, "agent@shop.test")
    expect_select(agent.page, "outcome-select", "outcomes", "Choose…")
    expect_select(agent.page, "decision-select", "decisions", "Not decided")
    expect_select(agent.page, "new-link-purpose", "purposes")
    assert agent.page.get_by_test_id("new-link-purpose").input_value() == "damage_verification"
    # the top bar: an agent sees neither the review nor the admin link
    expect(agent.page.get_by_test_id("whoami")).to_have_text("Aggie Agent · agent")
    expect(agent.page.get_by_test_id("review-link")).to_be_hidden()
    expect(agent.page.get_by_test_id("admin-link")).to_be_hidden()
    assert len(asked) == 1, asked  # once per page
    agent.assert_clean()


def test_admin_link_purpose_select_and_links_table_use_the_vocabulary(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    make_link(live_server.app, "ORD-V-ADMIN", "remote_inspection")
    admin = open_participant("admin")
    sign_in(admin.page, "admin@shop.test", landing="/admin")
    expect_select(admin.page, "link-purpose", "purposes")
    row = admin.page.locator('[data-testid="link-row"][data-order-ref="ORD-V-ADMIN"]')
    expect(row.get_by_test_id("link-purpose-label")).to_have_text(label(Purpose.REMOTE_INSPECTION))
    # an admin made with the form: its purpose is a code of the vocabulary
    admin.page.get_by_test_id("link-order").fill("ORD-V-DEMO")
    admin.page.get_by_test_id("link-purpose").select_option(str(Purpose.PRODUCT_DEMO))
    admin.page.get_by_test_id("link-create").click()
    made = admin.page.locator('[data-testid="link-row"][data-order-ref="ORD-V-DEMO"]')
    expect(made.get_by_test_id("link-purpose-label")).to_have_text(label(Purpose.PRODUCT_DEMO))
    admin.assert_clean()


def test_review_selects_list_and_detail_show_the_vocabulary_labels(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    call_id = ended_call(live_server, "ORD-V-REVIEW", agent_id, EndReason.BUYER_LOST)
    tag(live_server, "agent@shop.test", call_id, "defect", "none")

    sup = open_participant("supervisor")
    asked = vocabulary_requests(sup.page)
    sign_in(sup.page, "sup@shop.test", landing="/review")
    page = sup.page
    expect_select(page, "filter-outcome", "outcomes", "Any")
    expect_select(page, "filter-decision", "decisions", "Any")
    expect_select(page, "filter-purpose", "purposes", "Any")
    expect_select(page, "override-outcome", "outcomes")
    expect_select(page, "override-decision", "decisions", "Not decided")
    expect(page.get_by_test_id("admin-link")).to_be_hidden()

    row = page.locator(f'[data-testid="session-row"][data-session-id="{call_id}"]')
    expect(row.get_by_test_id("session-row-outcome")).to_have_text(label(Outcome.DEFECT))
    expect(row.get_by_test_id("session-row-decision")).to_have_text(label(Decision.NONE))
    expect(row).to_contain_text(label(Purpose.DAMAGE_VERIFICATION))
    chip = page.locator('[data-testid="outcome-count"][data-outcome="defect"]')
    expect(chip).to_have_text(f"{label(Outcome.DEFECT)} 1")
    # the filter by a vocabulary code still finds the call
    page.get_by_test_id("filter-outcome").select_option("defect")
    expect(page.get_by_test_id("session-row")).to_have_count(1)

    row.click()
    expect(page.get_by_test_id("session-view")).to_be_visible()
    # a damage check's verdict is offered only the return reasons
    expect_select(page, "override-outcome", "return_reasons")
    expect(page.get_by_test_id("session-meta")).to_contain_text(
        f"ended: {label(EndReason.BUYER_LOST)}"
    )
    expect(page.get_by_test_id("session-meta")).to_contain_text(label(Purpose.DAMAGE_VERIFICATION))
    expect(page.get_by_test_id("session-outcome")).to_have_text(
        f"{label(Outcome.DEFECT)} · {label(Decision.NONE)}"
    )
    expect(page.get_by_test_id("override-outcome")).to_have_value("defect")
    expect(page.get_by_test_id("history-item")).to_contain_text(label(Outcome.DEFECT))
    assert len(asked) == 1, asked  # once per page, however many views
    sup.assert_clean()


def test_a_review_row_opens_with_the_keyboard(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    first = ended_call(live_server, "ORD-KEY-1", agent_id, EndReason.AGENT_ENDED)
    second = ended_call(live_server, "ORD-KEY-2", agent_id, EndReason.BUYER_ENDED)
    sup = open_participant("supervisor")
    sign_in(sup.page, "sup@shop.test", landing="/review")
    page = sup.page
    expect(page.get_by_test_id("session-row")).to_have_count(2)

    def tab_to_row(call_id: str) -> None:
        page.get_by_test_id("filter-apply").focus()
        for _ in range(30):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "() => { const row = document.activeElement.closest('[data-testid=session-row]');"
                " return row && row.dataset.sessionId; }"
            )
            if focused == call_id:
                return
        raise AssertionError(f"Tab never reached the row of {call_id}")

    # each row is a button to assistive technology, named by its order
    button = page.get_by_role("button", name=re.compile(r"^Open the call for order ORD-KEY-1\b"))
    expect(button).to_have_count(1)

    tab_to_row(first)
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("data-testid", "session-row-open")
    outline = focused.evaluate("node => getComputedStyle(node).outlineStyle")
    assert outline not in ("", "none"), outline  # the focus can be seen
    page.keyboard.press("Enter")
    view = page.get_by_test_id("session-view")
    expect(view).to_be_visible()
    expect(view).to_have_attribute("data-session-id", first)
    expect(page.get_by_test_id("session-order")).to_have_text("ORD-KEY-1")

    page.get_by_test_id("session-close").click()
    expect(page.get_by_test_id("list-view")).to_be_visible()
    tab_to_row(second)
    page.keyboard.press(" ")
    expect(view).to_have_attribute("data-session-id", second)
    expect(page.get_by_test_id("session-meta")).to_contain_text(
        f"ended: {label(EndReason.BUYER_ENDED)}"
    )
    sup.assert_clean()


def test_the_console_says_why_a_call_ended_in_the_vocabulary_and_the_buyer_keeps_its_words(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    _, url = make_link(live_server.app, "ORD-V-END", "remote_inspection")
    agent = open_participant("agent")
    sign_in(agent.page, "agent@shop.test")
    go_available(agent.page)
    buyer = open_participant("buyer", phone=True)
    buyer_asked = vocabulary_requests(buyer.page)
    buyer.page.goto(url)
    expect(buyer.page.get_by_test_id("consent-purpose")).to_have_text(
        "inspect goods before shipping"
    )
    buyer.page.get_by_test_id("consent-accept").click()
    agent.page.get_by_test_id("accept").click()
    expect(agent.page.get_by_test_id("call-state")).to_have_text(label(CallState.LIVE))
    expect(agent.page.get_by_test_id("call-purpose")).to_have_text(label(Purpose.REMOTE_INSPECTION))
    expect(buyer.page.get_by_test_id("call-state")).to_have_text("Live")
    buyer_ends_call(buyer.page)
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()
    expect(agent.page.get_by_test_id("wrap-up-reason")).to_have_text(
        f"{label(EndReason.BUYER_ENDED)}."
    )
    assert buyer_asked == []  # the buyer page never reads the staff labels
    agent.assert_clean()
    buyer.assert_clean()


def test_without_the_vocabulary_a_page_shows_its_error_notice_not_an_empty_form(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    admin = open_participant("admin")
    sign_in(admin.page, "admin@shop.test", landing="/admin")
    for path in ("/console", "/review", "/admin"):
        admin.page.route(
            "**/api/vocabulary",
            lambda route: route.fulfill(
                status=503,
                json={"error": {"code": "unavailable", "message": "the server is busy"}},
            ),
        )
        admin.page.goto(path)
        notice = admin.page.get_by_test_id("notice")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("The server is busy")
        for select in admin.page.locator("select[data-vocabulary]").all():
            expect(select).to_be_hidden()
        admin.page.unroute("**/api/vocabulary")
