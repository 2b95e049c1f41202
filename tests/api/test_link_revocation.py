"""Who may revoke a link: its creator or an admin (revoking also ends the call on it)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers.accounts import add_user, login

LINK = {"order_ref": "ORD-2001", "purpose": "damage_verification"}


def _signed_in(app, email: str, role: str) -> tuple[TestClient, dict[str, str]]:
    add_user(app, email, role)
    client = TestClient(app, base_url=app.state.settings.public_url)
    return client, {"X-CSRF-Token": login(client, email)}


def test_an_agent_cannot_revoke_another_agents_link(app):
    ana, ana_csrf = _signed_in(app, "ana@shop.test", "agent")
    ben, ben_csrf = _signed_in(app, "ben@shop.test", "agent")
    link_id = ana.post("/api/links", json=LINK, headers=ana_csrf).json()["id"]

    refused = ben.delete(f"/api/links/{link_id}", headers=ben_csrf)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    listed = {item["id"]: item for item in ana.get("/api/links").json()["items"]}
    assert listed[link_id]["status"] == "active"


def test_the_creator_and_an_admin_can_revoke_a_link(app):
    ana, ana_csrf = _signed_in(app, "ana@shop.test", "agent")
    root, root_csrf = _signed_in(app, "root@shop.test", "admin")
    own = ana.post("/api/links", json=LINK, headers=ana_csrf).json()["id"]
    other = ana.post("/api/links", json=LINK, headers=ana_csrf).json()["id"]

    assert ana.delete(f"/api/links/{own}", headers=ana_csrf).status_code == 204
    assert root.delete(f"/api/links/{other}", headers=root_csrf).status_code == 204
    statuses = {item["id"]: item["status"] for item in root.get("/api/links").json()["items"]}
    assert statuses[own] == statuses[other] == "revoked"


def test_a_link_can_carry_its_own_maximum_of_calls(app):
    ana, ana_csrf = _signed_in(app, "ana@shop.test", "agent")
    made = ana.post("/api/links", json={**LINK, "max_calls": 1}, headers=ana_csrf)
    assert made.status_code == 201
    listed = {item["id"]: item for item in ana.get("/api/links").json()["items"]}
    assert listed[made.json()["id"]]["max_calls"] == 1
    refused = ana.post("/api/links", json={**LINK, "max_calls": 0}, headers=ana_csrf)
    assert refused.status_code == 422
