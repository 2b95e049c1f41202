"""A product demo's outcomes in real Chromium: the console of a demo call offers the
demo's results (purchased, will decide later, ...) and none of the return reasons, and
the agent's "purchased" is the call's outcome; a damage check's console offers the return
reasons and no demo result."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import Session, select

from server.models import Call
from tests.helpers.browser_steps import available_agent
from tests.helpers.chromium import OpenParticipant
from tests.helpers.links import make_link
from tests.helpers.screens import SIZES, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import wait_until

DEMO_LABELS = [
    "Purchased",
    "Will decide later",
    "Not interested",
    "Question answered",
    "Referred",
]
OPTIONS_JS = """() => [...document.querySelector('[data-testid="outcome-select"]').options]
  .filter((o) => o.value !== '').map((o) => [o.value, o.textContent])"""


def _live_call(live_server, open_participant, agent, order_ref, purpose):
    _, link_url = make_link(live_server.app, order_ref, purpose, buyer_name="Dana")
    buyer = open_participant("buyer", phone=True)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    agent.page.get_by_test_id("accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    expect(agent.page.get_by_test_id("outcome-form")).to_be_visible()
    return buyer


def test_a_demo_calls_console_offers_the_demo_outcomes_and_saves_purchased(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    agent = available_agent(live_server, open_participant, "demo-out@shop.test", "Dee Agent")
    console = agent.page
    _live_call(live_server, open_participant, agent, "ORD-DEMO-OUT", "product_demo")
    options = console.evaluate(OPTIONS_JS)
    assert [label for _, label in options] == DEMO_LABELS, options
    assert "damage" not in {code for code, _ in options}
    console.get_by_test_id("outcome-select").select_option("purchased")
    console.get_by_test_id("outcome-save").click()
    expect(console.get_by_test_id("outcome-status")).to_contain_text("ORD-DEMO-OUT")
    shoot(console, "console-demo-outcomes", sizes={"desktop": SIZES["desktop"]})

    def stored() -> str | None:
        with Session(live_server.app.state.engine) as db:
            call = db.exec(select(Call).where(Call.order_ref == "ORD-DEMO-OUT")).one()
        return call.outcome

    wait_until(lambda: stored() == "purchased", 10, "the demo call's outcome stored")


def test_a_damage_calls_console_offers_no_demo_result(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    agent = available_agent(live_server, open_participant, "dmg-out@shop.test", "Dan Agent")
    _live_call(live_server, open_participant, agent, "ORD-DMG-OUT", "damage_verification")
    codes = {code for code, _ in agent.page.evaluate(OPTIONS_JS)}
    assert "damage" in codes and "defect" in codes
    assert not codes & {"purchased", "decide_later", "not_interested", "referred"}
