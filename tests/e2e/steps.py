"""Steps the e2e tests share: signing in, going available, making links in the database."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlmodel import Session

from server.links import buyer_links
from server.models.link import LinkBase
from signaling.vocabulary import Purpose
from tests.conftest import LiveServer
from tests.helpers import PASSWORD


def sign_in(page: Page, email: str, password: str = PASSWORD, landing: str = "/console") -> None:
    """Sign in through /login and wait for the landing page."""
    page.goto("/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"**{landing}")


def go_available(page: Page) -> None:
    """On /console: wait for the socket's welcome, then switch to available."""
    switch = page.get_by_test_id("availability")
    expect(switch).to_have_attribute("data-state", "away")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "open")
    switch.click()
    expect(switch).to_have_attribute("data-state", "available")


def make_link(
    live_server: LiveServer,
    order_ref: str,
    purpose: str = "damage_verification",
    *,
    buyer_name: str | None = None,
    locale: str | None = None,
    age_s: int = 0,
    ttl_s: int = 3600,
) -> tuple[int, str]:
    """Create a link in the server's database; returns (id, url). ``age_s`` backdates it."""
    app = live_server.app
    settings = app.state.settings
    with Session(app.state.engine, expire_on_commit=False) as db:
        made = buyer_links.create_link(
            db,
            LinkBase(
                order_ref=order_ref,
                purpose=Purpose(purpose),
                buyer_name=buyer_name,
                locale=locale,
            ),
            ttl_s=ttl_s,
            max_ttl_s=settings.link_ttl_max_s,
            public_url=settings.public_url,
            now=app.state.clock.now() - timedelta(seconds=age_s),
        )
    return made.link.id, made.url
