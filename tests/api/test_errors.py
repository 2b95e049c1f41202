"""Every error has the documented JSON shape; no stack trace ever reaches a client."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

BOOM = "secret internals /j/abcdef"


def add_boom_routes(app: FastAPI) -> None:
    """Test-only routes that raise (on this app instance only, never the product's)."""
    router = APIRouter()

    @router.get("/api/boom")
    def boom() -> None:
        raise RuntimeError(BOOM)

    @router.get("/boom-page")
    async def boom_page() -> None:
        raise RuntimeError(BOOM)

    app.include_router(router)


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def every_log_record() -> Iterator[list[logging.LogRecord]]:
    """Every record logged meanwhile: at the root, and at uvicorn's logger (which does
    not propagate), where a server logs an exception that escaped the app."""
    handler = Records()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


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


def test_a_500_carries_the_security_headers_no_trace_and_is_logged_once(server_factory):
    live = server_factory(prepare=add_boom_routes)
    with every_log_record() as records, httpx.Client(base_url=live.url) as http:
        answer = http.get("/api/boom")
        page = http.get("/boom-page", headers={"Accept": "text/html"})
        assert http.get("/healthz").status_code == 200  # the server goes on
    assert answer.status_code == 500 and page.status_code == 500
    assert answer.json() == {
        "error": {"code": "internal_error", "message": "something went wrong on our side"}
    }
    assert page.headers["content-type"].startswith("text/html")
    for reply in (answer, page):
        assert reply.headers["referrer-policy"] == "no-referrer"
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
        assert "Traceback" not in reply.text and "internals" not in reply.text
    about_boom = [
        r for r in records if (r.exc_info and BOOM in str(r.exc_info[1])) or BOOM in r.getMessage()
    ]
    assert len(about_boom) == 2, [(r.name, r.getMessage()) for r in about_boom]  # one each
    assert {r.name for r in about_boom} == {"showdesk.api"}
    assert "/api/boom" in about_boom[0].getMessage()
    assert "Exception in ASGI application" not in [r.getMessage() for r in records]


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


def test_a_browsers_error_page_carries_the_stable_code_beside_the_sentence(client):
    page = client.get("/j/" + "A" * 43, headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "<main class=notice data-code=link_not_found>" in page.text
    answer = client.get("/api/buyer/context")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "not_signed_in"
