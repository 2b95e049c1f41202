"""Every state-changing route refuses a cookie-authenticated request without the CSRF
token (and accepts the same request's CSRF check once the token is sent)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.helpers.accounts import add_user, login
from tests.helpers.routes import http_routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Signing in is the one state-changing route without a session yet (no cookie to forge).
NO_SESSION_YET = {("POST", "/api/auth/login")}
BUYER_ROUTES = {
    ("POST", "/api/sessions/{session_id}/photos"),
    # a case's uploads and submission: tests/api/test_case_uploads.py checks their CSRF
    ("POST", "/api/uploads"),
    ("PATCH", "/api/uploads/{upload_id}"),
    ("DELETE", "/api/uploads/{upload_id}"),
    ("POST", "/api/buyer/case/submit"),
    ("POST", "/api/buyer/sessions/{session_id}/inspection/items/{item}/decision"),
    ("POST", "/api/buyer/sessions/{session_id}/inspection/signoff"),
}

# Authenticated by a key in a header (the phone camera's photo key), never by a cookie: a
# forged cross-site request has no credential to ride on, and a staff cookie is none.
HEADER_KEY_ROUTES = {("POST", "/api/phone-camera/photos")}


def unsafe_routes(app) -> list[tuple[str, str]]:
    """Signing out comes last, so the session is still there for the others."""
    return sorted(
        (
            (method, path)
            for path, methods in http_routes(app)
            for method in methods & UNSAFE
            if (method, path) not in NO_SESSION_YET
        ),
        key=lambda route: (route[1] == "/api/auth/logout", route),
    )


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "abc" if "session" in m.group() else "1", path)


def test_the_walk_finds_the_state_changing_routes(app):
    found = set(unsafe_routes(app))
    assert {("POST", "/api/links"), ("DELETE", "/api/links/{link_id}")} <= found
    assert ("PUT", "/api/sessions/{session_id}/outcome") in found
    assert len(found) >= 10


@pytest.mark.parametrize("with_token", [False, True])
def test_every_state_changing_route_checks_the_csrf_token(app, client, with_token):
    add_user(app, "ada@shop.test", "admin")
    csrf = login(client, "ada@shop.test")
    staff_headers = {"X-CSRF-Token": csrf} if with_token else {}
    for method, path in unsafe_routes(app):
        if (method, path) in BUYER_ROUTES:
            continue
        answer = client.request(method, concrete(path), json={}, headers=staff_headers)
        code = answer.json().get("error", {}).get("code") if answer.content else None
        if (method, path) in HEADER_KEY_ROUTES:
            assert answer.status_code in (401, 422) and code != "csrf_failed", answer.text
            keyed = client.request(method, f"{path}?capture_id=ab", headers=staff_headers)
            assert keyed.status_code == 401, (method, path, keyed.text)  # no key, no entry
            continue
        if with_token:  # refused, if at all, for another reason than CSRF
            assert code not in ("csrf_failed", "not_signed_in"), (method, path, answer.text)
        else:
            assert (answer.status_code, code) == (403, "csrf_failed"), (method, path, answer.text)


@pytest.mark.parametrize("with_token", [False, True])
def test_the_buyers_photo_upload_checks_the_call_cookies_csrf_token(app, client, with_token):
    add_user(app, "ada@shop.test", "admin")
    headers = {"X-CSRF-Token": login(client, "ada@shop.test")}
    url = client.post(
        "/api/links", json={"order_ref": "A1", "purpose": "damage_verification"}, headers=headers
    ).json()["url"]
    # a second client (own cookies) of the running app: no second lifespan
    buyer = TestClient(app, base_url=app.state.settings.public_url)
    opened = buyer.get(url.removeprefix(app.state.settings.public_url), follow_redirects=False)
    token = opened.cookies["call_csrf_token"]
    headers = {"Content-Type": "image/jpeg"}
    if with_token:
        headers["X-CSRF-Token"] = token
    for method, path in BUYER_ROUTES:
        answer = buyer.request(
            method,
            concrete(path),
            content=b"\xff\xd8\xff",
            headers={
                "Content-Type": "image/jpeg",
                **({"X-CSRF-Token": token} if with_token else {}),
            },
        )
        code = answer.json()["error"]["code"]
        if with_token:
            assert code != "csrf_failed"  # refused for another reason: no such call
        else:
            assert (answer.status_code, code) == (403, "csrf_failed")
