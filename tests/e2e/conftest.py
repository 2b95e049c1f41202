"""Real Chromium against a real server: one browser for the e2e tests, one context per
person. Built on tests/helpers (chromium.py).

Firefox (tests/helpers/firefox.py) and WebKit (webkit.py) are started only for the tests
that ask for them, once for the package.

Playwright's sync API cannot run inside a running asyncio loop, so every e2e test is a
plain ``def`` test and no fixture here is async.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.helpers.chromium import OpenParticipant, Participant, launch_chromium, new_participant
from tests.helpers.firefox import Firefox, FirefoxParticipant, OpenFirefox, launch_firefox
from tests.helpers.servers import LiveServer
from tests.helpers.webkit import WebKitPage, launch_webkit
from tests.helpers.y4m import write_y4m

WAIT_MS = 5000  # every expect() polls up to this long

expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright for the e2e package. Package-scoped, not session-scoped: while its sync API
    is running it leaves an event loop set that breaks the asyncio tests after it."""
    with sync_playwright() as running:
        yield running


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


@pytest.fixture
def open_participant(browser: Browser, live_server: LiveServer) -> Iterator[OpenParticipant]:
    """``open_participant("buyer", phone=True, on=other_browser, locale="ja-JP")``: a fresh
    context (own cookies, the browser's language ``locale``, default ``en-US``, its time
    zone ``timezone_id``, default the machine's) and page on
    ``browser`` (or ``on``) at the live server; closed after the test."""
    made: list[Participant] = []

    def open_(
        name: str,
        *,
        phone: bool = False,
        on: Browser | None = None,
        locale: str = "en-US",
        timezone_id: str | None = None,
    ) -> Participant:
        person = new_participant(on or browser, live_server.url, name, phone, locale, timezone_id)
        made.append(person)
        return person

    yield open_
    for person in made:
        person.context.close()


@pytest.fixture(scope="package")
def firefox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firefox]:
    """One headless Firefox ESR for the e2e tests that use it (its fake camera shows a
    full-frame colour that changes hue); stopped after them."""
    with launch_firefox(tmp_path_factory.mktemp("firefox")) as running:
        yield running


@pytest.fixture
def open_firefox(firefox: Firefox, live_server: LiveServer) -> Iterator[OpenFirefox]:
    """``open_firefox("buyer", phone=True)``: a fresh Firefox browser context (own cookies)
    and page at the live server; closed after the test."""

    def open_(name: str, *, phone: bool = False) -> FirefoxParticipant:
        return firefox.participant(name, live_server.url, phone)

    yield open_
    firefox.close_participants()


@pytest.fixture(scope="package")
def webkit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebKitPage]:
    """One WebKit MiniBrowser window (under its own Xvfb) for the e2e tests that use it;
    stopped after them. It fails, never skips, when WebKit cannot start."""
    with launch_webkit(tmp_path_factory.mktemp("webkit")) as page:
        yield page


@pytest.fixture
def webkit_page(webkit: WebKitPage, live_server: LiveServer) -> WebKitPage:
    """The WebKit window at the live server, as a new visitor (no cookies, no storage)."""
    webkit.base_url = live_server.url
    webkit.fresh()
    return webkit
