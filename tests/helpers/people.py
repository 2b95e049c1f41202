"""Several people on one ``TestClient``: each ``Person`` holds their own cookies and
swaps them into the client for each request (the client's jar is left empty)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.helpers.accounts import PASSWORD, add_user, login


class Person:
    """One identity's cookies, swapped into the shared TestClient for each request; a
    request other than GET/HEAD carries ``csrf`` as X-CSRF-Token."""

    def __init__(
        self, client: TestClient, cookies: dict[str, str], csrf: str | None = None
    ) -> None:
        self.client, self.cookies, self.csrf = client, cookies, csrf

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        self.client.cookies.clear()
        for name, value in self.cookies.items():
            self.client.cookies.set(name, value)
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.csrf and method not in ("GET", "HEAD"):
            headers["X-CSRF-Token"] = self.csrf
        try:
            return self.client.request(method, path, headers=headers, **kwargs)
        finally:
            self.client.cookies.clear()

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)


def staff(
    client: TestClient, app: FastAPI, email: str, role: str, name: str | None = None
) -> tuple[Person, int]:
    """A new staff account, signed in: (the person with its session and CSRF cookies, id)."""
    user_id = add_user(app, email, role, name or email.split("@")[0].title())
    client.cookies.clear()
    csrf = login(client, email, PASSWORD)
    cookies = {"showdesk_session": client.cookies["showdesk_session"], "csrf_token": csrf}
    client.cookies.clear()
    return Person(client, cookies, csrf), user_id


def buyer(client: TestClient, link_url: str) -> Person:
    """The buyer who opened ``link_url``: the call cookie and its CSRF token."""
    client.cookies.clear()
    opened = client.get(link_url.removeprefix(client.base_url.__str__()), follow_redirects=False)
    assert opened.status_code == 303, opened.text
    cookie = opened.cookies["showdesk_call"]
    csrf = opened.cookies["call_csrf_token"]
    client.cookies.clear()
    return Person(client, {"showdesk_call": cookie, "call_csrf_token": csrf}, csrf)
