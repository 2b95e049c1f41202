"""Maps domain errors and framework errors to ``{"error": {"code", "message"}}`` responses.

No stack trace ever reaches a client: an unexpected exception is logged once and
answered with a generic 500 by ``UnexpectedErrors``, a middleware inside
``SecurityHeaders``, so the 500 carries the security headers like every answer (an
``Exception`` handler would run in Starlette's ``ServerErrorMiddleware``, outside every
middleware, and that one re-raises to the server, which logs it a second time).
"""

from __future__ import annotations

import logging
from html import escape

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.api.buyer_words import BUYER_PATHS, error_words, language_links
from server.api.validation_words import validation_message
from server.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    NotSignedIn,
    TooLarge,
    TooMany,
    Unavailable,
    UnsupportedType,
)
from server.infra.log_redaction import redact

log = logging.getLogger("showdesk.api")
MAX_LOCALE_CHARS = 35  # the longest BCP 47 tag worth reading

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotSignedIn: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooMany: 429,
    TooLarge: 413,
    UnsupportedType: 415,
    Unavailable: 503,
}
CODE_BY_STATUS = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api") or path in ("/ws", "/healthz", "/metrics")) and (
        "text/html" in request.headers.get("accept", "")
    )


def _page(status: int, message: str, code: str, request: Request) -> HTMLResponse:
    """An error page for a browser; ``data-code`` on its ``main`` carries the stable code
    (what a page or a script translates), the sentence is for people: on the buyer's
    pages in the browser's language from the buyer catalogues (``buyer_words``), never
    the server's English sentence; elsewhere the sentence itself."""
    switch = ""
    if request.url.path.startswith(BUYER_PATHS):
        chosen = request.query_params.get("locale", "")[:MAX_LOCALE_CHARS] or None
        said = error_words(code, request.headers.get("accept-language"), chosen)
        lang, direction, heading, text = said.locale, said.dir, said.title, said.text
        switch = language_links(said.locale)
    else:
        lang, direction, heading, text = "en", "ltr", str(status), message
    paragraph = f"<p>{escape(text)}</p>" if text else ""
    return HTMLResponse(
        f"<!doctype html><html lang={escape(lang)} dir={direction}><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width'>"
        f"<title>{escape(heading)}</title><link rel=stylesheet href=/static/style.css>"
        f"<main class=notice data-code={escape(code)}>"
        f"<h1>{escape(heading)}</h1>{paragraph}{switch}</main>",
        status_code=status,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the documented JSON shape."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        status = status_for(exc)
        headers = None
        if isinstance(exc, TooMany):
            headers = {"Retry-After": str(exc.retry_after_s)}
        elif isinstance(exc, NotSignedIn) and exc.challenge:
            headers = {"WWW-Authenticate": exc.challenge}
        if _wants_html(request):
            return _page(status, exc.message, exc.code, request)
        return JSONResponse(error_body(exc.code, exc.message), status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message = validation_message(exc.errors())
        return JSONResponse(error_body("validation_error", message), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = exc.headers
        if exc.status_code == 405:  # Starlette names only the first route's methods
            from server.api.openapi import allowed_methods

            allow = allowed_methods(request.app.routes, request.url.path)
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": allow})
            headers = {**(headers or {}), "Allow": allow}
        code = CODE_BY_STATUS.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if _wants_html(request):
            return _page(exc.status_code, message, code, request)
        return JSONResponse(error_body(code, message), exc.status_code, headers=headers)


INTERNAL_ERROR_MESSAGE = "something went wrong on our side"


class UnexpectedErrors:
    """ASGI middleware (HTTP only): an exception that no handler turned into an answer is
    logged once, with its traceback, and answered with a generic 500 in the error shape
    (a page for a browser's page), without a trace. Added inside ``SecurityHeaders``.

    An exception after the answer has started cannot become a 500: it is re-raised, and
    the server logs it (once) and drops the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            request = Request(scope)
            log.exception("unhandled error on %s %s", request.method, redact(request.url.path))
            if _wants_html(request):
                response: Response = _page(500, INTERNAL_ERROR_MESSAGE, "internal_error", request)
            else:
                response = JSONResponse(error_body("internal_error", INTERNAL_ERROR_MESSAGE), 500)
            await response(scope, receive, send)
