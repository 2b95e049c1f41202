"""No link token, password, session cookie or API key appears in any log record."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlmodel import Session

from server.accounts.apikeys import create_api_key
from tests.helpers.accounts import PASSWORD, add_user, login


def test_link_creation_redemption_and_sign_in_log_no_secrets(app, client, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, every level
    add_user(app, "ana@shop.test", "agent")
    csrf = login(client, "ana@shop.test")
    session_cookie = client.cookies.get("showdesk_session")
    with Session(app.state.engine, expire_on_commit=False) as db:
        _, api_key = create_api_key(db, "order system", app.state.clock.now())
    made = client.post(
        "/api/links",
        json={"order_ref": "ORD-5", "purpose": "product_demo"},
        headers={"X-CSRF-Token": csrf},
    ).json()
    by_key = client.post(
        "/api/links",
        json={"order_ref": "ORD-6", "purpose": "product_demo"},
        headers={"Authorization": f"Bearer {api_key}"},
    ).json()
    secrets = [PASSWORD, session_cookie, csrf, api_key]
    # a second client (own cookies) of the running app: no second lifespan
    buyer = TestClient(app, base_url=app.state.settings.public_url)
    for link in (made, by_key):
        path = urlsplit(link["url"]).path
        secrets.append(path.removeprefix("/j/"))
        assert buyer.get(path, follow_redirects=False).status_code == 303
        secrets.append(buyer.cookies.get("showdesk_call"))
        buyer.get(path + "x", follow_redirects=False)  # a wrong token is not logged either
    assert all(secrets) and len(caplog.records) > 0
    client_side = ("httpx", "httpcore")  # the test's own HTTP client logs the URLs it opens
    text = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith(client_side)
    )
    for secret in secrets:
        assert secret not in text
