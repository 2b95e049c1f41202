"""Every error has the documented JSON shape; no stack trace ever reaches a client."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_unexpected_exception_is_a_generic_500_without_a_trace(app):
    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /j/abcdef")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/boom")
    assert answer.status_code == 500
    assert answer.json() == {
        "error": {"code": "internal_error", "message": "something went wrong on our side"}
    }
    assert "Traceback" not in answer.text and "internals" not in answer.text


def test_unknown_route_and_wrong_method_use_the_error_shape(client):
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = client.put("/api/links")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_health_and_openapi_are_served(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/openapi.json").json()["info"]["title"] == "Showdesk"
    assert client.get("/docs").status_code == 200
