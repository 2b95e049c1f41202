"""The inspection's checklist picked by the order's product category, in real Chromium:
the shop has templates per category; a link's order (sent by the shop's order system)
names each line's category, which the agent sees in the call's order box. Starting the
inspection, the console preselects the template of the first line whose category has
one (trimmed, any case); a call whose order names no known category gets the first."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect
from sqlmodel import Session

from server.accounts.apikeys import create_api_key
from server.inspections import templates
from tests.helpers.browser_steps import answered_call, available_agent
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer


def template(key: str, category: str, name: str, items: list[str]) -> dict:
    return {
        "key": key,
        "category": category,
        "name": {"en": name},
        "items": [
            {"key": i, "label": {"en": i.replace("_", " ").title()}, "photos": 1} for i in items
        ],
    }


TEMPLATES = [
    template("general", "General", "Any goods", ["outer_box", "shipping_label"]),
    template("laptops", "Laptops", "Laptop", ["screen", "keyboard", "charger"]),
    template("cameras", "Cameras", "Camera", ["lens", "sensor", "battery"]),
]


def shop_link(live_server: LiveServer, order_ref: str, lines: list[dict]) -> str:
    """A remote inspection link made by the shop's order system with ``lines``."""
    with Session(live_server.app.state.engine) as db:
        _, key = create_api_key(db, f"orders-{order_ref}", live_server.app.state.clock.now())
    with httpx.Client(base_url=live_server.url) as shop:
        made = shop.post(
            "/api/links",
            json={
                "order_ref": order_ref,
                "purpose": "remote_inspection",
                "order": {"lines": lines},
            },
            headers={"Authorization": f"Bearer {key}"},
        )
    assert made.status_code == 201, made.text
    return made.json()["url"]


def shop_templates(live_server: LiveServer) -> None:
    with Session(live_server.app.state.engine) as db:
        templates.set_templates(db, TEMPLATES, live_server.app.state.clock.now(), by_user_id=None)
        db.commit()


def test_the_console_preselects_the_checklist_of_the_orders_product_category(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    shop_templates(live_server)
    url = shop_link(
        live_server,
        "ORD-CAT-1",
        [
            {"sku": "BK-1", "name": "Field guide", "quantity": 1, "category": "Books"},
            {"sku": "CAM-7", "name": "Mirrorless camera", "quantity": 1, "category": " cAMERAS "},
            {"sku": "LAP-2", "name": "Laptop 14", "quantity": 1, "category": "Laptops"},
        ],
    )
    agent = available_agent(live_server, open_participant, "cat@shop.test", "Cat Agent")
    buyer = open_participant("buyer", phone=True)
    answered_call(agent, buyer, url)
    console = agent.page

    # the order box shows each line's category beside its SKU (stored trimmed)
    box = console.get_by_test_id("call-order-details")
    box.get_by_test_id("call-order-details-summary").click()
    expect(box.get_by_test_id("call-order-details-category")).to_have_text(
        [" · category Books", " · category cAMERAS", " · category Laptops"]
    )

    # Books has no template: the camera line's (any case) is chosen, not the first
    select = console.get_by_test_id("inspection-template")
    expect(select).to_have_value("cameras")
    picks = console.get_by_test_id("inspection-pick")
    expect(picks).to_have_count(3)
    assert [p.get_attribute("data-item") for p in picks.all()] == ["lens", "sensor", "battery"]
    shoot(console, "inspection-console-category-template")
    console.get_by_test_id("inspection-start").click()
    expect(console.get_by_test_id("inspection-item")).to_have_count(3)
    expect(console.get_by_test_id("inspection-item").first).to_have_attribute("data-item", "lens")
    for person in (agent, buyer):
        person.assert_clean()


def test_an_order_without_a_known_category_starts_with_the_first_checklist(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    shop_templates(live_server)
    url = shop_link(
        live_server,
        "ORD-CAT-2",
        [
            {"sku": "BK-1", "name": "Field guide", "quantity": 1, "category": "Books"},
            {"sku": "MUG-1", "name": "Mug", "quantity": 2},
        ],
    )
    agent = available_agent(live_server, open_participant, "cat2@shop.test", "Cy Agent")
    buyer = open_participant("buyer", phone=True)
    answered_call(agent, buyer, url)
    expect(agent.page.get_by_test_id("inspection-template")).to_have_value("general")
    for person in (agent, buyer):
        person.assert_clean()
