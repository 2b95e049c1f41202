"""Staff sign-in, sessions, CSRF and roles."""

from __future__ import annotations

from fastapi.testclient import TestClient

from server.app import create_app
from tests.helpers.accounts import PASSWORD, add_user, login
from tests.helpers.servers import make_settings


def test_login_sets_httponly_session_cookie_and_readable_csrf_cookie(app, client):
    add_user(app, "agent@shop.test", "agent", "Ana")
    response = client.post(
        "/api/auth/login", json={"email": "Agent@Shop.test", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": 1,
        "email": "agent@shop.test",
        "name": "Ana",
        "role": "agent",
        "must_change_password": False,
        "locale": "en",
        "timezone": None,
    }
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("showdesk_session="))
    csrf = next(c for c in cookies if c.startswith("csrf_token="))
    assert "HttpOnly" in session and "SameSite=lax" in session
    assert "HttpOnly" not in csrf
    assert client.get("/api/me").json()["email"] == "agent@shop.test"


def test_wrong_password_unknown_email_and_disabled_account_get_the_same_401(app, client):
    add_user(app, "agent@shop.test", "agent")
    admin_id = add_user(app, "off@shop.test", "agent")
    from sqlmodel import Session

    from server.accounts import users

    with Session(app.state.engine) as db:
        users.set_disabled(db, users.get_user(db, admin_id), True)
    answers = [
        client.post("/api/auth/login", json={"email": e, "password": p})
        for e, p in [
            ("agent@shop.test", "wrong password!"),
            ("nobody@shop.test", PASSWORD),
            ("off@shop.test", PASSWORD),
        ]
    ]
    assert {a.status_code for a in answers} == {401}
    assert len({a.text for a in answers}) == 1
    assert answers[0].json()["error"]["code"] == "not_signed_in"


def test_state_changing_request_without_csrf_header_is_refused_and_changes_nothing(app, client):
    add_user(app, "admin@shop.test", "admin")
    csrf = login(client, "admin@shop.test")
    body = {"email": "new@shop.test", "role": "agent"}
    refused = client.post("/api/users", json=body)
    wrong = client.post("/api/users", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert refused.status_code == wrong.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert [u["email"] for u in client.get("/api/users").json()["items"]] == ["admin@shop.test"]
    assert client.post("/api/users", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_logout_ends_the_session(app, client):
    add_user(app, "agent@shop.test", "agent")
    csrf = login(client, "agent@shop.test")
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/me").status_code == 401


def test_session_expires_after_12_hours_idle_but_not_while_used(tmp_path, clock):
    app = create_app(make_settings(tmp_path, session_max_age_s=7 * 24 * 3600), clock=clock)
    add_user(app, "agent@shop.test", "agent")
    client = TestClient(app, base_url=app.state.settings.public_url)
    login(client, "agent@shop.test")
    for _ in range(3):  # used every 11 h: stays signed in for 33 h (within its lifetime)
        clock.advance(11 * 3600)
        assert client.get("/api/me").status_code == 200
    clock.advance(12 * 3600 + 1)
    assert client.get("/api/me").status_code == 401


def test_agent_calling_an_admin_route_gets_403(app, client):
    add_user(app, "agent@shop.test", "agent")
    csrf = login(client, "agent@shop.test")
    assert client.get("/api/users").status_code == 403
    answer = client.patch("/api/users/1", json={"role": "admin"}, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert client.get("/api/me").json()["role"] == "agent"


def test_not_signed_in_gets_401_on_staff_routes(client):
    for method, path in [("get", "/api/users"), ("get", "/api/links"), ("get", "/api/me")]:
        answer = getattr(client, method)(path)
        assert answer.status_code == 401, path
        assert answer.json()["error"]["code"] == "not_signed_in"


def test_everyone_can_change_their_own_password(app, client):
    add_user(app, "sup@shop.test", "supervisor")
    csrf = login(client, "sup@shop.test")
    wrong = client.post(
        "/api/me/password",
        json={"current_password": "not it at all", "new_password": "a new secret pass"},
        headers={"X-CSRF-Token": csrf},
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "wrong_password"
    short = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers={"X-CSRF-Token": csrf},
    )
    assert short.status_code == 422
    ok = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "a new secret pass"},
        headers={"X-CSRF-Token": csrf},
    )
    assert ok.status_code == 204
    client.cookies.clear()
    assert (
        client.post(
            "/api/auth/login", json={"email": "sup@shop.test", "password": PASSWORD}
        ).status_code
        == 401
    )
    login(client, "sup@shop.test", "a new secret pass")


def test_one_time_password_must_be_changed_before_anything_else(app, client):
    add_user(app, "admin@shop.test", "admin")
    csrf = login(client, "admin@shop.test")
    made = client.post(
        "/api/users",
        json={"email": "new@shop.test", "role": "agent", "name": "Nia"},
        headers={"X-CSRF-Token": csrf},
    ).json()
    one_time = made["one_time_password"]
    assert made["must_change_password"] is True and len(one_time) >= 16
    client.cookies.clear()
    csrf = login(client, "new@shop.test", one_time)
    assert client.get("/api/me").json()["must_change_password"] is True
    blocked = client.get("/api/links")
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "password_change_required"
    changed = client.post(
        "/api/me/password",
        json={"current_password": one_time, "new_password": "my own password"},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.status_code == 204
    assert client.get("/api/links").status_code == 200


def test_staff_pages_send_strangers_to_login_and_refuse_wrong_roles(app, client):
    answer = client.get("/admin", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/admin"
    add_user(app, "agent@shop.test", "agent")
    login(client, "agent@shop.test")
    assert client.get("/console").status_code == 200
    assert client.get("/admin", headers={"accept": "text/html"}).status_code == 403
