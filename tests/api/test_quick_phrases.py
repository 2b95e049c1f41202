"""Quick phrases: admins edit the set and its translations; every agent reads the active
ones."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import add_user, login


@pytest.fixture
def admin(app, client):
    add_user(app, "root@shop.test", "admin", "Root")
    return {"X-CSRF-Token": login(client, "root@shop.test")}


def test_the_shipped_phrases_are_there_in_order_in_every_language(client, admin):
    items = client.get("/api/quick-phrases").json()["items"]
    assert [i["position"] for i in items] == list(range(8))
    assert items[0]["texts"]["en"] == "Please turn the box over."
    assert items[0]["texts"]["ja"] == "箱を裏返してください。"
    assert all(len(i["texts"]) == 14 and i["active"] for i in items)


def test_an_admin_adds_changes_and_deletes_a_phrase_and_each_change_is_audited(client, admin):
    made = client.post(
        "/api/quick-phrases",
        json={"texts": {"en": "Show me the charger.", "de": "Zeigen Sie mir das Ladegerät."}},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    phrase = made.json()
    assert phrase["position"] == 8 and phrase["active"] is True
    changed = client.patch(
        f"/api/quick-phrases/{phrase['id']}",
        json={"texts": {"en": "Show me the cable.", "fr": "Montrez-moi le câble."}, "position": 0},
        headers=admin,
    )
    assert changed.status_code == 200
    assert changed.json()["texts"] == {"en": "Show me the cable.", "fr": "Montrez-moi le câble."}
    order = [i["id"] for i in client.get("/api/quick-phrases").json()["items"]]
    assert order[1] == phrase["id"]  # position 0: after the older phrase at 0, by id
    assert client.delete(f"/api/quick-phrases/{phrase['id']}", headers=admin).status_code == 204
    assert client.delete(f"/api/quick-phrases/{phrase['id']}", headers=admin).status_code == 404
    assert len(client.get("/api/quick-phrases").json()["items"]) == 8
    audit = client.get("/api/audit", params={"action": "phrases_changed"}).json()["items"]
    assert len(audit) == 3


@pytest.mark.parametrize(
    "body",
    [
        {"texts": {"de": "Hallo"}},  # no English
        {"texts": {"en": "Hi", "sv": "Hej"}},  # not a locale of Showdesk
        {"texts": {"en": ""}},
        {"texts": {"en": "   "}},
        {"texts": {"en": "x" * 201}},
        {"texts": {"en": "two\nlines"}},
        {"texts": {"en": "Hi"}, "position": -1},
        {"texts": {"en": "Hi"}, "active": "yes"},
        {"texts": {"en": "Hi"}, "colour": "red"},
        {"texts": "Hi"},
    ],
)
def test_a_bad_phrase_is_refused_with_422_and_stores_nothing(client, admin, body):
    answer = client.post("/api/quick-phrases", json=body, headers=admin)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "validation_error"
    assert len(client.get("/api/quick-phrases").json()["items"]) == 8


def test_agents_read_the_active_phrases_and_may_not_edit_them(app, client, admin):
    items = client.get("/api/quick-phrases").json()["items"]
    off = client.patch(
        f"/api/quick-phrases/{items[0]['id']}", json={"active": False}, headers=admin
    )
    assert off.status_code == 200 and off.json()["active"] is False
    add_user(app, "ana@shop.test", "agent", "Ana")
    agent = {"X-CSRF-Token": login(client, "ana@shop.test")}
    seen = client.get("/api/quick-phrases").json()["items"]
    assert [i["id"] for i in seen] == [i["id"] for i in items[1:]]
    refused = client.post("/api/quick-phrases", json={"texts": {"en": "Hi"}}, headers=agent)
    assert refused.status_code == 403
    assert client.delete(f"/api/quick-phrases/{items[1]['id']}", headers=agent).status_code == 403
