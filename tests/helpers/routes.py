"""The app's routes, flattened (included routers expanded), for tests that walk them all."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount


def walk(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route in ``routes``, the routes of included routers in their place."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from walk(inner.routes)
        else:
            yield route


def http_routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """(path, methods) of every HTTP route; mounts are left out."""
    return [
        (route.path, set(route.methods or ()))
        for route in walk(app.routes)
        if not isinstance(route, Mount) and getattr(route, "methods", None)
    ]


def mounts(app: FastAPI) -> list[Mount]:
    """Every mounted sub-application (static files)."""
    return [route for route in walk(app.routes) if isinstance(route, Mount)]
