"""Security headers on every HTTP response, and the API docs served without a CDN.

The Content-Security-Policy allows no inline script anywhere: pages load their ES
modules from ``/static``; the API docs page loads Swagger UI from this server with its
start-up code in a file. ``Referrer-Policy: no-referrer`` keeps a buyer link out of any
Referer header.

Every answer under ``/api/`` (calls, chat, photos, recordings, audit, users, links, the
buyer's context: personal data) carries ``Cache-Control: no-store``, its errors
included, unless the route set a ``no-store`` of its own (files: ``private, no-store``).
The one exception is ``/api/vocabulary``: the public labels, cacheable.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_ASSETS = "/docs-assets"
CSP_PAGES = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI sets style attributes in its markup: styles only are relaxed, on /docs only.
CSP_DOCS = CSP_PAGES.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
COMMON_HEADERS = [
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(self), geolocation=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000")
API_PREFIX = "/api/"
CACHEABLE_API_PATHS = frozenset({"/api/vocabulary"})
NO_STORE = b"no-store"


def _private_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX) and path not in CACHEABLE_API_PATHS


class SecurityHeaders:
    """ASGI middleware: adds the headers above to every HTTP response (not WebSockets)."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = CSP_DOCS if scope["path"] == "/docs" else CSP_PAGES
        no_store = _private_api_path(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {name for name, _ in COMMON_HEADERS}
                ]
                if no_store:
                    headers = [
                        (k, v)
                        for k, v in headers
                        if k.lower() != b"cache-control" or NO_STORE in v.lower()
                    ]
                    if not any(k.lower() == b"cache-control" for k, _ in headers):
                        headers.append((b"cache-control", NO_STORE))
                headers.extend(COMMON_HEADERS)
                headers.append((b"content-security-policy", csp.encode()))
                if self.https:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


DOCS_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Showdesk API</title>
<link rel="stylesheet" href="{DOCS_ASSETS}/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<script src="{DOCS_ASSETS}/swagger-ui-bundle.js" defer></script>
<script src="/static/js/apidocs.js" defer></script>
</head><body><div id="swagger-ui"></div></body></html>
"""


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` from the bundled Swagger UI (no CDN, no inline script)."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)
