"""Integration API keys: create links and read them with a Bearer key, no cookie, no CSRF;
scopes, expiry, revocation and the last-used time; the admins' /api/apikeys."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from server.accounts.apikeys import create_api_key, revoke_api_key
from server.models import ApiKey, AuditEntry, Call, CallEvent
from server.models.evidence import Photo, Recording
from tests.helpers.links import make_link
from tests.helpers.people import staff

LINK = {"order_ref": "ORD-7", "purpose": "remote_inspection"}


def _key(app, scopes=None, expires_in_s=None) -> tuple[int, str]:
    extra = {"scopes": scopes} if scopes is not None else {}
    with Session(app.state.engine, expire_on_commit=False) as db:
        row, key = create_api_key(
            db, "order system", app.state.clock.now(), expires_in_s=expires_in_s, **extra
        )
    return row.id, key


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_api_key_creates_lists_and_revokes_links_without_csrf(app, client):
    _, key = _key(app)
    auth = _auth(key)
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
    assert client.post("/api/links", json=LINK, headers=_auth("sdk_wrong")).status_code == 401
    assert (
        client.post("/api/links", json=LINK, headers={"Authorization": f"Basic {key}"}).status_code
        == 401
    )
    with Session(app.state.engine) as db:
        revoke_api_key(db, key_id, app.state.clock.now())
    answer = client.post("/api/links", json=LINK, headers=_auth(key))
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "not_signed_in"


def _refusal(client, key: str):
    answer = client.get("/api/links", headers=_auth(key))
    assert answer.status_code == 401
    return answer.json(), {k: v for k, v in answer.headers.items() if k != "date"}


def test_revoked_and_expired_keys_get_the_same_401_as_an_unknown_key(app, client):
    unknown = _refusal(client, "sdk_" + "x" * 43)
    revoked_id, revoked = _key(app)
    _, expiring = _key(app, expires_in_s=3600)
    assert client.get("/api/links", headers=_auth(revoked)).status_code == 200
    assert client.get("/api/links", headers=_auth(expiring)).status_code == 200
    with Session(app.state.engine) as db:
        revoke_api_key(db, revoked_id, app.state.clock.now())
    app.state.clock.advance(3600)
    assert _refusal(client, revoked) == unknown
    assert _refusal(client, expiring) == unknown


def test_a_key_without_links_write_cannot_create_or_revoke_links(app, client):
    _, reader = _key(app, scopes=["links:read"])
    answer = client.post("/api/links", json=LINK, headers=_auth(reader))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "missing_scope"
    assert "links:write" in answer.json()["error"]["message"]
    link, _ = make_link(app)
    assert client.delete(f"/api/links/{link.id}", headers=_auth(reader)).status_code == 403
    assert client.get("/api/links", headers=_auth(reader)).status_code == 200
    _, writer = _key(app, scopes=["links:write"])
    refused = client.get("/api/links", headers=_auth(writer))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "missing_scope"
    refused = client.get("/api/sessions", headers=_auth(writer))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "missing_scope"


def test_a_key_revokes_only_the_links_it_created(app, client):
    _, mine = _key(app)
    _, other = _key(app)
    made = client.post("/api/links", json=LINK, headers=_auth(mine)).json()
    staff_link, _ = make_link(app)
    assert client.delete(f"/api/links/{made['id']}", headers=_auth(other)).status_code == 403
    assert client.delete(f"/api/links/{staff_link.id}", headers=_auth(mine)).status_code == 403
    assert client.delete(f"/api/links/{made['id']}", headers=_auth(mine)).status_code == 204


def _call_with_chat(app) -> str:
    link, _ = make_link(app)
    now = app.state.clock.now()
    with Session(app.state.engine) as db:
        db.add(
            Call(
                id="callchat",
                link_id=link.id,
                order_ref="ORD-1",
                purpose="damage_verification",
                state="ended",
                created_at=now,
                ended_at=now + timedelta(seconds=60),
                end_reason="agent_ended",
            )
        )
        for kind, t_ms, data in [
            ("chat", 7000, {"from": "buyer", "name": "Bo", "text": "My address is 1 Elm St."}),
            ("ended", 60000, {"reason": "agent_ended"}),
        ]:
            db.add(CallEvent(call_id="callchat", kind=kind, t_ms=t_ms, at=now, data=data))
        db.commit()
    return "callchat"


def test_a_key_reads_a_call_without_its_chat_unless_it_has_calls_chat(app, client):
    call_id = _call_with_chat(app)
    _, plain = _key(app)  # the default scopes
    answer = client.get(f"/api/sessions/{call_id}", headers=_auth(plain))
    assert answer.status_code == 200, answer.text
    assert answer.json()["chat"] == []
    assert [e["kind"] for e in answer.json()["events"]] == ["ended"]
    assert "Elm St" not in answer.text
    _, chat = _key(app, scopes=["calls:read", "calls:chat"])
    answer = client.get(f"/api/sessions/{call_id}", headers=_auth(chat))
    assert [line["text"] for line in answer.json()["chat"]] == ["My address is 1 Elm St."]
    _, links_only = _key(app, scopes=["links:read", "links:write"])
    assert client.get(f"/api/sessions/{call_id}", headers=_auth(links_only)).status_code == 403


def _evidence(app, call_id: str) -> tuple[int, int]:
    """A stored review recording and photo of ``call_id`` (their bytes need not decode)."""
    storage = app.state.storage
    with Session(app.state.engine) as db:
        for key in ("calls/k/review.webm", "calls/k/photo.jpg"):
            storage.path_for_writing(key).write_bytes(b"\x1a\x45\xdf\xa3" + b"0" * 60)
            storage.commit(key)
        rec = Recording(
            call_id=call_id,
            kind="review",
            storage_key="calls/k/review.webm",
            content_type="video/webm",
            codec="vp8",
            state="ready",
            progress=100,
            size_bytes=64,
            created_at=app.state.clock.now(),
        )
        photo = Photo(
            call_id=call_id,
            storage_key="calls/k/photo.jpg",
            content_type="image/jpeg",
            size_bytes=64,
            width=96,
            height=64,
            sha256="0" * 64,
            t_ms=1000,
            created_at=app.state.clock.now(),
        )
        db.add(rec)
        db.add(photo)
        db.commit()
        return rec.id, photo.id


def test_recordings_and_photos_need_recordings_read_and_are_audited_as_the_key(app, client):
    call_id = _call_with_chat(app)
    rec_id, photo_id = _evidence(app, call_id)
    paths = [
        f"/api/sessions/{call_id}/recording",
        f"/api/sessions/{call_id}/recordings/{rec_id}",
        f"/api/sessions/{call_id}/photos/{photo_id}",
    ]
    _, plain = _key(app)  # the default scopes: no recordings:read
    for path in paths:
        answer = client.get(path, headers=_auth(plain))
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    with Session(app.state.engine) as db:
        assert db.exec(select(AuditEntry)).all() == []
    key_id, viewer = _key(app, scopes=["calls:read", "recordings:read"])
    for path in paths:
        assert client.get(path, headers=_auth(viewer)).status_code == 200, path
    with Session(app.state.engine) as db:
        rows = db.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(r.action, r.user_id, r.api_key_id) for r in rows] == [
        ("view_recording", None, key_id),
        ("view_recording", None, key_id),
        ("view_photo", None, key_id),
    ]
    admin, _ = staff(client, app, "ada@shop.test", "admin")
    listed = admin.get("/api/audit").json()["items"]
    assert {e["api_key_name"] for e in listed} == {"order system"}
    assert {e["user_email"] for e in listed} == {None}


def test_last_used_at_is_written_at_most_once_a_minute(app, client):
    key_id, key = _key(app)

    def last_used():
        with Session(app.state.engine) as db:
            return db.get(ApiKey, key_id).last_used_at

    assert last_used() is None
    first = app.state.clock.now()
    client.get("/api/links", headers=_auth(key))
    assert last_used() == first
    app.state.clock.advance(30)
    client.get("/api/links", headers=_auth(key))
    assert last_used() == first
    app.state.clock.advance(31)
    client.get("/api/links", headers=_auth(key))
    assert last_used() == first + timedelta(seconds=61)


def test_api_key_cannot_manage_users_or_keys(app, client):
    _, key = _key(app)
    assert client.get("/api/users", headers=_auth(key)).status_code == 403
    assert client.get("/api/apikeys", headers=_auth(key)).status_code == 403
    assert client.post("/api/apikeys", json={"name": "x"}, headers=_auth(key)).status_code == 403


# ------------------------------------------------------------------ /api/apikeys (admins)


def test_admin_creates_lists_and_revokes_keys(app, client):
    admin, _ = staff(client, app, "ada@shop.test", "admin")
    made = admin.post(
        "/api/apikeys",
        json={"name": "Order system", "scopes": ["links:write"], "expires_in_s": 86400},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    key = body["key"]
    assert key.startswith("sdk_") and body["scopes"] == ["links:write"]
    assert body["status"] == "active" and body["expires_at"] and body["last_used_at"] is None
    assert client.post("/api/links", json=LINK, headers=_auth(key)).status_code == 201
    listed = admin.get("/api/apikeys").json()["items"]
    assert [k["name"] for k in listed] == ["Order system"]
    assert listed[0]["last_used_at"] is not None
    assert key not in str(listed) and "key_hash" not in listed[0] and "key" not in listed[0]
    assert admin.request("DELETE", f"/api/apikeys/{body['id']}").status_code == 204
    assert admin.get("/api/apikeys").json()["items"][0]["status"] == "revoked"
    assert client.post("/api/links", json=LINK, headers=_auth(key)).status_code == 401
    missing = admin.request("DELETE", "/api/apikeys/999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_admin_key_routes_need_csrf_and_the_admin_role(app, client):
    admin, _ = staff(client, app, "ada@shop.test", "admin")
    admin.csrf = None
    answer = admin.post("/api/apikeys", json={"name": "x"})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf_failed"
    key_id, _ = _key(app)
    answer = admin.request("DELETE", f"/api/apikeys/{key_id}")
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf_failed"
    sup, _ = staff(client, app, "sue@shop.test", "supervisor")
    assert sup.get("/api/apikeys").status_code == 403
    assert sup.post("/api/apikeys", json={"name": "x"}).status_code == 403


def test_unknown_scope_or_bad_input_is_a_clear_422(app, client):
    admin, _ = staff(client, app, "ada@shop.test", "admin")
    for body in (
        {"name": "x", "scopes": ["links:delete"]},
        {"name": "x", "scopes": []},
        {"name": "", "scopes": ["links:read"]},
        {"name": "x", "expires_in_s": 0},
        {"name": "x", "key": "sdk_mine"},
    ):
        answer = admin.post("/api/apikeys", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["error"]["code"] == "validation_error"
    answer = admin.post("/api/apikeys", json={"name": "x", "scopes": ["links:delete"]})
    assert "links:write" in answer.json()["error"]["message"]
    assert admin.get("/api/apikeys").json()["items"] == []


def test_the_key_routes_are_documented(client):
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]["/api/apikeys"]) == {"get", "post"}
    assert "delete" in spec["paths"]["/api/apikeys/{key_id}"]
    created = spec["paths"]["/api/apikeys"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("ApiKeyCreated")
    scopes = spec["components"]["schemas"]["ApiKeyCreateIn"]["properties"]["scopes"]
    assert "calls:chat" in scopes["items"]["enum"]
