"""HTML pages (static files from ``web/``); staff pages send strangers to ``/login``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from server.api.deps import ClockDep, DbDep, staff_user
from server.errors import Forbidden
from server.models import Role

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
HOME_BY_ROLE = {Role.agent: "/console", Role.supervisor: "/review", Role.admin: "/admin"}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(
        WEB_DIR / name, media_type="text/html", headers={"Cache-Control": "no-store"}
    )


def _staff_page(name: str, roles: tuple[Role, ...], request: Request, db, clock) -> Response:  # noqa: ANN001
    found = staff_user(request, db, clock)
    if found is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if found[0].role not in roles:
        raise Forbidden("your role cannot open this page")
    return _page(name)


@router.get("/")
def root(request: Request, db: DbDep, clock: ClockDep) -> Response:
    found = staff_user(request, db, clock)
    target = HOME_BY_ROLE[found[0].role] if found else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_page() -> Response:
    return _page("login.html")


@router.get("/console")
def console_page(request: Request, db: DbDep, clock: ClockDep) -> Response:
    return _staff_page(
        "console.html", (Role.agent, Role.supervisor, Role.admin), request, db, clock
    )


@router.get("/admin")
def admin_page(request: Request, db: DbDep, clock: ClockDep) -> Response:
    return _staff_page("admin.html", (Role.admin,), request, db, clock)


@router.get("/review")
def review_page(request: Request, db: DbDep, clock: ClockDep) -> Response:
    return _staff_page("review.html", (Role.supervisor, Role.admin), request, db, clock)


@router.get("/analytics")
def analytics_page(request: Request, db: DbDep, clock: ClockDep) -> Response:
    return _staff_page("analytics.html", (Role.supervisor, Role.admin), request, db, clock)


@router.get("/qa")
def qa_page(request: Request, db: DbDep, clock: ClockDep) -> Response:
    """An agent's scored and commented calls (a supervisor's or admin's: every agent's)."""
    return _staff_page("qa.html", (Role.agent, Role.supervisor, Role.admin), request, db, clock)


@router.get("/call")
def buyer_page() -> Response:
    return _page("buyer.html")


@router.get("/camera")
def camera_page() -> Response:
    """The agent's phone as the call's camera: the code is in the fragment (never sent)
    or typed, and claimed by the page; no sign-in needed."""
    return _page("camera.html")
