"""Integration API keys: create links and read them with a Bearer key, no cookie, no CSRF."""

from __future__ import annotations

from sqlmodel import Session

from server.accounts.apikeys import create_api_key, revoke_api_key

LINK = {"order_ref": "ORD-7", "purpose": "remote_inspection"}


def _key(app) -> tuple[int, str]:
    with Session(app.state.engine, expire_on_commit=False) as db:
        row, key = create_api_key(db, "order system", app.state.clock.now())
    return row.id, key


def test_api_key_creates_lists_and_revokes_links_without_csrf(app, client):
    _, key = _key(app)
    auth = {"Authorization": f"Bearer {key}"}
    made = client.post("/api/links", json=LINK, headers=auth)
    assert made.status_code == 201
    assert client.get("/api/links", headers=auth).json()["items"][0]["created_by_api_key_id"]
    assert client.delete(f"/api/links/{made.json()['id']}", headers=auth).status_code == 204


def test_only_the_hash_of_an_api_key_is_stored(app):
    _, key = _key(app)
    from sqlalchemy import text

    with app.state.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM api_key")).fetchall()
    assert key.startswith("sdk_") and all(key not in str(row) for row in rows)


def test_wrong_and_revoked_api_keys_get_401(app, client):
    key_id, key = _key(app)
    assert (
        client.post(
            "/api/links", json=LINK, headers={"Authorization": "Bearer sdk_wrong"}
        ).status_code
        == 401
    )
    assert (
        client.post("/api/links", json=LINK, headers={"Authorization": f"Basic {key}"}).status_code
        == 401
    )
    with Session(app.state.engine) as db:
        revoke_api_key(db, key_id, app.state.clock.now())
    answer = client.post("/api/links", json=LINK, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "not_signed_in"


def test_api_key_cannot_manage_users(app, client):
    _, key = _key(app)
    answer = client.get("/api/users", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 403
