"""``/openapi.json`` as the API answers: built once from what each route declares.

Nothing here is per route. For every operation the document is completed from the
route itself:

- ``security`` and the 401/403 answers from the auth dependencies it uses
  (``server.api.deps.Access`` marks them): the staff session cookie, the buyer's call
  cookie, ``X-CSRF-Token`` on state changes, a Bearer API key with its scope; a route
  whose refusals are hidden (recordings, photos) answers 404 instead;
- 404 for a path with parameters; 413 and 400 (a body over the cap, a body that is not
  UTF-8) for an operation with a body;
- every error answer (4xx, and a 5xx a route declares) as the ``Error`` component,
  ``{"error": {"code", "message"}}``: FastAPI's ``HTTPValidationError`` is never
  documented; a 429 carries ``Retry-After``;
- file routes whose response class serves ranges (``serves_ranges``): the ``Range``
  header, 206 with ``Content-Range`` and 416.

Statuses only a route's own logic knows (409, 429 of a rate limit, 503 of a service out
of reach) stay declared on the route with ``responses=``, as before; their bodies become
``Error`` here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, _iter_routes_with_context
from starlette.routing import BaseRoute, compile_path

from server.api.deps import (
    BUYER_COOKIE,
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    Access,
    access_of,
)

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_CONTENT = {"application/json": {"schema": ERROR_REF}}
ERROR_SCHEMA = {
    "type": "object",
    "description": "every error answer: a stable code and a sentence for people",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
SECURITY_SCHEMES = {
    "staffSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "a staff member's session, set by POST /api/auth/login",
    },
    "buyerCall": {
        "type": "apiKey",
        "in": "cookie",
        "name": BUYER_COOKIE,
        "description": "a buyer's call cookie, set by opening the link",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "on state changes with a cookie: the csrf_token (staff) or "
        "call_csrf_token (buyer) cookie's value",
    },
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "an integration's API key; the operation's scope is listed",
    },
}
RANGE_PARAMETER = {
    "name": "Range",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "one byte range, e.g. bytes=0-1023 (a malformed one: the whole file)",
}
CONTENT_RANGE = {"Content-Range": {"schema": {"type": "string"}}}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
DEFAULT_WORDS = {
    400: "the body could not be read",
    401: "not signed in, or the API key is not valid",
    403: "signed in but not allowed (role, scope, CSRF token)",
    404: "no such resource",
    413: "the body is over the size limit",
    422: "invalid input",
    429: "too many requests",
}


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` build the completed document once (then cached)."""
    framework_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = described(framework_openapi(), app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


@dataclass(frozen=True)
class Operation:
    """One documented route as it is served (prefixes of included routers applied)."""

    path: str
    methods: frozenset[str]
    dependant: Dependant
    response_class: object


def api_operations(routes: Sequence[BaseRoute], hidden: bool = False) -> Iterator[Operation]:
    """The routes of ``/openapi.json`` (with ``hidden``: those left out of it too),
    nested routers flattened (FastAPI keeps an included router as one entry of
    ``app.routes``)."""
    for route, context in _iter_routes_with_context(routes):
        if not isinstance(route, APIRoute):
            continue
        source: Any = context if context is not None else route
        if source.dependant is None or not (hidden or source.include_in_schema):
            continue
        response_class = getattr(source.response_class, "value", source.response_class)
        yield Operation(
            source.path_format, frozenset(source.methods), source.dependant, response_class
        )


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> str:
    """The ``Allow`` header for ``path``: every method its routes answer, and OPTIONS."""
    methods = {"OPTIONS"}
    for route in api_operations(routes, hidden=True):
        if compile_path(route.path)[0].match(path):
            methods |= route.methods
    return ", ".join(sorted(methods))


def accesses(dependant: Dependant) -> list[Access]:
    """Every auth dependency's ``Access`` in ``dependant``, nested ones included."""
    return list(_accesses(dependant))


def _accesses(dependant: Dependant) -> Iterator[Access]:
    for sub in dependant.dependencies:
        found = access_of(sub.call)
        if found is not None:
            yield found
        yield from _accesses(sub)


def _security(accesses: list[Access], method: str) -> list[dict[str, list[str]]]:
    unsafe = method not in SAFE_METHODS
    out: list[dict[str, list[str]]] = []
    for access in accesses:
        if access.staff:
            out.append({"staffSession": [], **({"csrfToken": []} if unsafe else {})})
        if access.buyer:
            out.append({"buyerCall": [], **({"csrfToken": []} if unsafe else {})})
        if access.scope:
            out.append({"apiKey": [access.scope]})
    return out


def _add(responses: dict[str, Any], status: int) -> None:
    responses.setdefault(str(status), {"description": DEFAULT_WORDS[status]})


def described(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """``document`` (FastAPI's) completed from ``routes`` as the module doc says."""
    for route in api_operations(routes):
        found = accesses(route.dependant)
        for method in route.methods:
            op = document["paths"][route.path][method.lower()]
            responses = op.setdefault("responses", {})
            if found:
                op["security"] = _security(found, method)
                if all(a.hidden for a in found):
                    _add(responses, 404)
                else:
                    _add(responses, 401)
                    if any(a.staff for a in found) or method not in SAFE_METHODS:
                        _add(responses, 403)
            if "{" in route.path:
                _add(responses, 404)
            if "requestBody" in op:
                _add(responses, 400)
                _add(responses, 413)
            if getattr(route.response_class, "serves_ranges", False):
                op.setdefault("parameters", []).append(RANGE_PARAMETER)
                ok = responses.setdefault("200", {"description": "the file"})
                part = responses.setdefault("206", {"description": "the requested byte range"})
                part.setdefault("headers", {}).update(CONTENT_RANGE)
                if "content" in ok:
                    part.setdefault("content", ok["content"])
                responses.setdefault("416", {"description": "the range starts past the end"})
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    answer["content"] = ERROR_CONTENT
                    if status == "422":
                        answer["description"] = DEFAULT_WORDS[422]
                    if status == "429":
                        answer.setdefault("headers", {}).update(RETRY_AFTER)
    for hook in document.get("webhooks", {}).values():
        for op in hook.values():
            # what the shop's receiver answers: FastAPI's 422 is about our own routes
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            if "200" in responses:
                responses["200"]["description"] = "any 2xx: delivered; anything else is retried"
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = SECURITY_SCHEMES
    return document
