"""Account management by admins."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import PASSWORD, add_user, login


@pytest.fixture
def admin(app, client):
    add_user(app, "admin@shop.test", "admin", "Ada")
    return {"X-CSRF-Token": login(client, "admin@shop.test")}


def test_email_is_checked_normalised_and_local_and_test_domains_are_kept(client, admin):
    for email, stored in (
        ("admin2@showdesk.local", "admin2@showdesk.local"),
        (" Ana@Shop.TEST ", "ana@shop.test"),
        ("Zoë@Bücher.example", "zoë@bücher.example"),
    ):
        made = client.post("/api/users", json={"email": email, "role": "agent"}, headers=admin)
        assert made.status_code == 201, made.text
        assert made.json()["email"] == stored
    body = {"email": "nul\u0000x\u0007@example.test", "role": "agent"}
    refused = client.post("/api/users", json=body, headers=admin)
    assert refused.status_code == 422
    message = refused.json()["error"]["message"]
    assert "not an email address" in message and "U+0000" in message
    assert "\x00" not in message and "\x07" not in message  # shown escaped, never raw


def test_admin_creates_lists_and_renames_users(client, admin):
    made = client.post(
        "/api/users",
        json={
            "email": "ana@shop.test",
            "role": "agent",
            "name": "Ana",
            "password": "ana's password",
        },
        headers=admin,
    )
    assert made.status_code == 201
    assert made.json()["one_time_password"] is None
    user_id = made.json()["id"]
    renamed = client.patch(f"/api/users/{user_id}", json={"name": "Ana B."}, headers=admin)
    assert renamed.json()["name"] == "Ana B."
    emails = [u["email"] for u in client.get("/api/users").json()["items"]]
    assert emails == ["admin@shop.test", "ana@shop.test"]
    assert "password_hash" not in client.get("/api/users").text


def test_duplicate_email_is_a_409(client, admin):
    body = {"email": "ana@shop.test", "role": "agent"}
    assert client.post("/api/users", json=body, headers=admin).status_code == 201
    again = client.post("/api/users", json={**body, "email": "ANA@shop.test"}, headers=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    "body",
    [
        {"role": "agent"},
        {"email": "not-an-email", "role": "agent"},
        {"email": "x@shop.test", "role": "boss"},
        {"email": "x@shop.test", "role": "agent", "name": "n" * 101},
        {"email": "x@shop.test", "role": "agent", "password": "short"},
        {"email": "x@shop.test", "role": "agent", "surprise": 1},
        {"email": 5, "role": "agent"},
        {"email": "nul\u0000x\u0007@example.test", "role": "agent"},  # control characters
        {"email": "tab\tx@shop.test", "role": "agent"},
        {"email": "x@shop", "role": "agent"},  # no dot in the domain
        {"email": "x@[127.0.0.1]", "role": "agent"},
        {"email": '"x y"@shop.test', "role": "agent"},
        {"email": "x@y.onion", "role": "agent"},
        {"email": "x@shop.test", "role": "agent", "name": "bell\u0007"},
    ],
)
def test_bad_user_input_is_a_422_and_creates_nothing(client, admin, body):
    answer = client.post("/api/users", json=body, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "validation_error"
    assert answer.json()["error"]["message"]
    assert len(client.get("/api/users").json()["items"]) == 1


def test_disabling_a_user_signs_them_out_and_blocks_sign_in(app, client, admin):
    from fastapi.testclient import TestClient

    agent_id = add_user(app, "ana@shop.test", "agent")
    # a second client (own cookies) of the running app: no second lifespan
    other = TestClient(app, base_url=app.state.settings.public_url)
    login(other, "ana@shop.test")
    assert (
        client.patch(f"/api/users/{agent_id}", json={"disabled": True}, headers=admin).json()[
            "disabled"
        ]
        is True
    )
    assert other.get("/api/me").status_code == 401
    again = other.post("/api/auth/login", json={"email": "ana@shop.test", "password": PASSWORD})
    assert again.status_code == 401


def test_password_reset_returns_a_one_time_password_that_works_once_changed(app, client, admin):
    agent_id = add_user(app, "ana@shop.test", "agent")
    reset = client.patch(f"/api/users/{agent_id}", json={"reset_password": True}, headers=admin)
    one_time = reset.json()["one_time_password"]
    assert one_time and reset.json()["must_change_password"] is True
    client.cookies.clear()
    assert (
        client.post(
            "/api/auth/login", json={"email": "ana@shop.test", "password": PASSWORD}
        ).status_code
        == 401
    )
    login(client, "ana@shop.test", one_time)


def test_admin_cannot_disable_or_demote_themself(client, admin):
    me = client.get("/api/me").json()["id"]
    assert (
        client.patch(f"/api/users/{me}", json={"disabled": True}, headers=admin).status_code == 422
    )
    assert (
        client.patch(f"/api/users/{me}", json={"role": "agent"}, headers=admin).status_code == 422
    )


def test_unknown_user_is_a_404(client, admin):
    answer = client.patch("/api/users/999", json={"name": "x"}, headers=admin)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "body", [{"disabled": "yes"}, {"name": "   "}, {"name": "A\u0007"}, {"role": 1}]
)
def test_wrongly_typed_or_blank_user_changes_are_refused(app, client, admin, body):
    agent_id = add_user(app, "ana@shop.test", "agent", "Ana")
    answer = client.patch(f"/api/users/{agent_id}", json=body, headers=admin)
    assert answer.status_code == 422, answer.text
    user = next(u for u in client.get("/api/users").json()["items"] if u["id"] == agent_id)
    assert user["name"] == "Ana" and user["disabled"] is False


def test_out_of_range_user_id_is_a_422(client, admin):
    answer = client.patch("/api/users/99999999999999999999999", json={"name": "x"}, headers=admin)
    assert answer.status_code == 422
