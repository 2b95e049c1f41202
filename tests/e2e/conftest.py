"""Real Chromium against a real server: one browser for the e2e tests, one context per person.

Playwright's sync API cannot run inside a running asyncio loop, so every e2e test is a
plain ``def`` test and no fixture here is async.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.conftest import LiveServer
from tests.e2e.y4m import write_y4m

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
def playwright() -> Iterator[Playwright]:
    """Playwright for the e2e package. Package-scoped, not session-scoped: while its sync API
    is running it leaves an event loop set that breaks the asyncio tests after it."""
    with sync_playwright() as running:
        yield running


def launch_chromium(playwright: Playwright, *extra_args: str) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One Chromium for the e2e tests (its fake camera shows Chromium's own pattern)."""
    launched = launch_chromium(playwright)
    yield launched
    launched.close()


@pytest.fixture(scope="package")
def camera_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A known picture for a fake camera (colour bars and a moving block)."""
    return write_y4m(tmp_path_factory.mktemp("camera") / "bars.y4m")


@pytest.fixture(scope="package")
def camera_browser(playwright: Playwright, camera_clip: Path) -> Iterator[Browser]:
    """A second Chromium whose fake camera plays ``camera_clip`` (chosen per launch)."""
    launched = launch_chromium(playwright, f"--use-file-for-fake-video-capture={camera_clip}")
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

    def open_(name: str, *, phone: bool = False, on: Browser | None = None) -> Participant:
        context = (on or browser).new_context(
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
