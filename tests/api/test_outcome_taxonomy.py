"""The shop's outcome taxonomy: shipped codes in their default categories; admins add,
rename, move and retire codes and categories; a new verdict takes an active shop code
only; a retired or renamed code stays on old calls and in their history."""

from __future__ import annotations

from tests.helpers.accounts import add_user, login
from tests.helpers.stored_calls import store_call


def _headers(client, email):
    client.cookies.clear()
    return {"X-CSRF-Token": login(client, email)}


def test_the_shipped_codes_start_in_their_categories(client, app):
    add_user(app, "ana@shop.test", "agent", "Ana")
    _headers(client, "ana@shop.test")
    body = client.get("/api/outcome-taxonomy").json()
    damage = [c["code"] for c in body["categories"] if c["purpose"] == "damage_verification"]
    assert damage == ["product", "logistics", "buyer", "no_fault_found", "inconclusive"]
    demo = [c["code"] for c in body["categories"] if c["purpose"] == "product_demo"]
    assert demo == ["demo_result"]
    category = {c["code"]: c["category"] for c in body["codes"]}
    assert category["damage"] == "logistics" and category["defect"] == "product"
    assert category["misuse"] == "buyer" and category["wrong_size"] == "product"
    assert all(c["retired_at"] is None for c in body["codes"])


def test_only_admins_change_the_taxonomy(client, app):
    add_user(app, "sue@shop.test", "supervisor", "Sue")
    headers = _headers(client, "sue@shop.test")
    answer = client.post(
        "/api/outcome-codes",
        json={"code": "scratched", "label": "Scratched", "category": "logistics"},
        headers=headers,
    )
    assert answer.status_code == 403


def test_a_new_code_is_usable_a_retired_one_refused_and_old_calls_keep_theirs(client, app):
    ana = add_user(app, "ana@shop.test", "agent", "Ana")
    add_user(app, "root@shop.test", "admin", "Root")
    old = store_call(app, "ORD-1", agent_id=ana)
    new = store_call(app, "ORD-2", agent_id=ana)
    agent = _headers(client, "ana@shop.test")
    assert (
        client.put(
            f"/api/sessions/{old}/outcome", json={"outcome": "damage"}, headers=agent
        ).status_code
        == 200
    )
    unknown = client.put(
        f"/api/sessions/{new}/outcome", json={"outcome": "scratched"}, headers=agent
    )
    assert unknown.status_code == 422
    assert "not one of the shop's outcome codes" in unknown.json()["error"]["message"]

    admin = _headers(client, "root@shop.test")
    made = client.post(
        "/api/outcome-codes",
        json={"code": "scratched", "label": "Scratched in transit", "category": "logistics"},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    again = client.post(
        "/api/outcome-codes",
        json={"code": "scratched", "label": "Again", "category": "logistics"},
        headers=admin,
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "outcome_exists"
    renamed = client.patch(
        "/api/outcome-codes/damage",
        json={"label": "Broken on the way", "retired": True},
        headers=admin,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["retired_at"] is not None

    agent = _headers(client, "ana@shop.test")
    assert (
        client.put(
            f"/api/sessions/{new}/outcome", json={"outcome": "scratched"}, headers=agent
        ).status_code
        == 200
    )
    retired = client.put(f"/api/sessions/{new}/outcome", json={"outcome": "damage"}, headers=agent)
    assert retired.status_code == 422
    assert "retired" in retired.json()["error"]["message"]

    client.cookies.clear()
    login(client, "root@shop.test")
    detail = client.get(f"/api/sessions/{old}").json()
    assert detail["outcome"] == "damage"
    assert [h["outcome"] for h in detail["outcome_history"]] == ["damage"]
    vocabulary = client.get("/api/vocabulary").json()
    assert "damage" not in {t["code"] for t in vocabulary["outcomes"]}
    assert {
        "code": "damage",
        "label": "Broken on the way",
        "category": "logistics",
        "purposes": ["damage_verification", "remote_inspection"],
        "shipped": False,
    } in vocabulary["retired_outcomes"]
    assert "scratched" in {t["code"] for t in vocabulary["outcomes"]}
    listed = client.get("/api/sessions", params={"outcome": "damage"}).json()
    assert [c["id"] for c in listed["items"]] == [old]
    assert listed["counts"]["damage"] == 1 and listed["counts"]["scratched"] == 1
    assert client.get("/api/sessions", params={"category": "logistics"}).json()["total"] == 2


def test_categories_are_added_renamed_and_retired(client, app):
    add_user(app, "root@shop.test", "admin", "Root")
    admin = _headers(client, "root@shop.test")
    made = client.post(
        "/api/outcome-categories", json={"code": "service", "label": "Service"}, headers=admin
    )
    assert made.status_code == 201, made.text
    moved = client.patch(
        "/api/outcome-codes/changed_mind", json={"category": "service"}, headers=admin
    )
    assert moved.json()["category"] == "service"
    assert (
        client.patch(
            "/api/outcome-categories/service",
            json={"label": "Customer service", "retired": True},
            headers=admin,
        ).json()["label"]
        == "Customer service"
    )
    refused = client.post(
        "/api/outcome-codes",
        json={"code": "rude", "label": "Rude", "category": "service"},
        headers=admin,
    )
    assert refused.status_code == 422 and "retired" in refused.json()["error"]["message"]
    vocabulary = client.get("/api/vocabulary").json()
    assert "changed_mind" in {t["code"] for t in vocabulary["retired_outcomes"]}
    bad = client.post(
        "/api/outcome-categories", json={"code": "Bad Code", "label": "x"}, headers=admin
    )
    assert bad.status_code == 422
