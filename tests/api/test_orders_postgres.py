"""The order filters of the review list on PostgreSQL: the same calls as on SQLite."""

from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from tests.helpers.accounts import add_user, login
from tests.helpers.orders import assert_filters_pick_exactly_the_matching_calls, stored_orders
from tests.helpers.postgres import fresh_database
from tests.helpers.servers import make_settings

_names = itertools.count(1)


@pytest.fixture
def pg_url(postgres_admin_url: str) -> str:
    return fresh_database(postgres_admin_url, f"showdesk_orders_{next(_names)}")


def test_review_filters_by_the_order_pick_exactly_the_matching_calls_on_postgresql(
    tmp_path, pg_url, clock
):
    settings = make_settings(tmp_path, database_url=pg_url)
    app = create_app(settings, clock=clock)
    with TestClient(app, base_url=settings.public_url) as client:
        add_user(app, "sue@shop.test", "supervisor")
        login(client, "sue@shop.test")
        link = client.post(
            "/api/links",
            json={
                "order_ref": "ORD-PG",
                "purpose": "damage_verification",
                "order": {"lines": [{"sku": "A-1", "name": "Kettle", "quantity": 1}]},
            },
            headers={"X-CSRF-Token": client.cookies["csrf_token"]},
        )
        assert link.status_code == 201, link.text
        assert client.get("/api/links").json()["items"][0]["order"]["lines"][0]["sku"] == "A-1"
        assert_filters_pick_exactly_the_matching_calls(client, stored_orders(app))
