"""Ended calls with orders, written straight into a server's database as the call store
writes them (the order copied with its filter keys and SKUs)."""

from __future__ import annotations

from sqlmodel import Session

from server.models import Call, CallSku
from server.models.order import order_keys
from tests.helpers.stored_calls import store_call


def with_order(app, call_id: str, order: dict) -> None:
    keys = order_keys(order)
    with Session(app.state.engine) as db:
        call = db.get(Call, call_id)
        call.order = order
        call.carrier_key, call.channel_key = keys.carrier_key, keys.channel_key
        call.buyer_country = keys.buyer_country
        db.add(call)
        for sku in keys.skus:
            db.add(CallSku(call_id=call_id, sku_key=sku))
        db.commit()


def stored_orders(app) -> dict[str, str]:
    """Four calls with different orders (and one without); their ids by a short name."""
    line = {"name": "Mug", "quantity": 1, "lot": None}
    orders = {
        "dhl_de_mug": {
            "lines": [{**line, "sku": "MUG-01"}],
            "carrier": "DHL Express",
            "channel": "amazon.de",
            "buyer_country": "DE",
        },
        "ups_fr_mug_plate": {
            "lines": [{**line, "sku": "MUG-01"}, {**line, "sku": "PLT-07"}],
            "carrier": "UPS",
            "channel": "shop",
            "buyer_country": "FR",
        },
        "dhl_fr_plate": {
            "lines": [{**line, "sku": "PLT-07"}],
            "carrier": "dhl  express",
            "channel": "Shop",
            "buyer_country": "FR",
        },
    }
    ids = {}
    for name, order in orders.items():
        ids[name] = store_call(app, f"ORD-{name}", agent_id=None)
        with_order(app, ids[name], order)
    ids["none"] = store_call(app, "ORD-none", agent_id=None)
    return ids


def assert_filters_pick_exactly_the_matching_calls(client, ids: dict[str, str]) -> None:
    cases = [
        ({"sku": "MUG-01"}, {"dhl_de_mug", "ups_fr_mug_plate"}),
        ({"sku": " plt-07 "}, {"ups_fr_mug_plate", "dhl_fr_plate"}),
        ({"carrier": "DHL express"}, {"dhl_de_mug", "dhl_fr_plate"}),
        ({"channel": "shop"}, {"ups_fr_mug_plate", "dhl_fr_plate"}),
        ({"buyer_country": "fr"}, {"ups_fr_mug_plate", "dhl_fr_plate"}),
        ({"buyer_country": "FR", "sku": "MUG-01"}, {"ups_fr_mug_plate"}),
        ({"carrier": "UPS", "channel": "amazon.de"}, set()),
        ({"sku": "NOPE"}, set()),
    ]
    for params, names in cases:
        answer = client.get("/api/sessions", params=params)
        assert answer.status_code == 200, answer.text
        got = {item["id"] for item in answer.json()["items"]}
        assert got == {ids[n] for n in names}, params
        assert answer.json()["total"] == len(names), params
