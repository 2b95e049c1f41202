"""Every HTTP route answers with the security headers, whatever its status."""

from __future__ import annotations

import re

import pytest

from tests.helpers.accounts import add_user, login
from tests.helpers.routes import http_routes, mounts

REQUIRED = {
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


def every_get_path(app) -> list[str]:
    """Each GET route once (path parameters filled with placeholders), plus a file of each
    mount and an unknown path."""
    paths = [
        re.sub(r"\{[^}]+\}", "1", path) for path, methods in http_routes(app) if "GET" in methods
    ]
    for mount in mounts(app):
        paths.append(mount.path + ("/style.css" if mount.name == "static" else "/index.css"))
    return [*paths, "/no/such/page", "/j/not-a-token"]


def check(answer) -> None:
    for name, value in REQUIRED.items():
        assert answer.headers.get(name) == value, (answer.request.url, name)
    csp = answer.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_route_sends_the_security_headers(app, client, signed_in):
    if signed_in:
        add_user(app, "admin@shop.test", "admin")
        login(client, "admin@shop.test")
    paths = every_get_path(app)
    assert {"/login", "/console", "/admin", "/call", "/docs", "/healthz"} <= set(paths)
    for path in paths:
        answer = client.get(path, follow_redirects=False)
        check(answer)
        if path.startswith("/api/") and path != "/api/vocabulary":
            assert "no-store" in answer.headers.get("cache-control", ""), path
    check(client.post("/api/auth/login", json={"email": "x@y.z", "password": "wrong one"}))


def test_api_answers_are_not_stored_but_the_public_vocabulary_is_cacheable(app, client):
    add_user(app, "admin@shop.test", "admin")
    csrf = login(client, "admin@shop.test")
    for method, path, body in (
        ("GET", "/api/me", None),
        ("GET", "/api/users", None),
        ("GET", "/api/links", None),
        ("POST", "/api/links", {"order_ref": "A-1", "purpose": "product_demo"}),
        ("POST", "/api/users", {"email": "ana@shop.test", "role": "agent"}),
        ("GET", "/api/audit", None),
        ("GET", "/api/sessions", None),
        ("GET", "/api/sessions/nothing", None),  # errors too
        ("GET", "/api/buyer/context", None),
    ):
        answer = client.request(method, path, json=body, headers={"X-CSRF-Token": csrf})
        assert answer.status_code < 500, (path, answer.text)
        assert answer.headers["cache-control"] == "no-store", (method, path)
    assert client.get("/api/vocabulary").headers["cache-control"] == "public, max-age=30"
    assert "no-store" in client.get("/login").headers["cache-control"]  # pages: unchanged


def test_docs_page_loads_swagger_from_this_server(client):
    page = client.get("/docs").text
    assert "cdn" not in page.lower() and "<script>" not in page
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_hsts_only_when_served_over_https(tmp_path):
    from fastapi.testclient import TestClient

    from server.app import create_app
    from tests.helpers.servers import make_settings

    https = create_app(make_settings(tmp_path / "a", public_url="https://support.shop.test"))
    plain = create_app(make_settings(tmp_path / "b"))
    assert "strict-transport-security" in TestClient(https).get("/healthz").headers
    assert "strict-transport-security" not in TestClient(plain).get("/healthz").headers
