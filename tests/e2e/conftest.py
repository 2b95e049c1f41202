"""Real Chromium against a real server: one browser for the e2e tests, one context per person.

Playwright's sync API cannot run inside a running asyncio loop, so every e2e test is a
plain ``def`` test and no fixture here is async.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from tests.conftest import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
WAIT_MS = 5000  # every expect() polls up to this long
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}

expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for all e2e tests. Package-scoped, not session-scoped: while Playwright's
    sync API is running it leaves an event loop set that breaks the asyncio tests after it."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@dataclass
class Participant:
    """One person at one browser context, with what went wrong on their pages."""

    name: str
    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.problems, f"{self.name}'s page had problems: {self.problems}"


OpenParticipant = Callable[..., Participant]


@pytest.fixture
def open_participant(browser: Browser, live_server: LiveServer) -> Iterator[OpenParticipant]:
    """``open_participant("buyer", phone=True)``: a fresh context (own cookies) and page."""
    made: list[Participant] = []

    def open_(name: str, *, phone: bool = False) -> Participant:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            locale="en-US",
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        person = Participant(name=name, context=context, page=page)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                person.problems.append(f"console error: {message.text} at {message.location}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: person.problems.append(f"page error: {exc}"))
        page.on(
            "requestfailed",
            lambda request: person.problems.append(
                f"request failed: {request.method} {request.url}: {request.failure}"
            ),
        )
        made.append(person)
        return person

    yield open_
    for person in made:
        person.context.close()
