"""Debian's Chromium driven by Playwright: how to launch it headless with fake media
devices, and one person at one browser context whose page problems are collected.

Playwright's sync API cannot run inside a running asyncio loop: use it from plain
``def`` tests and fixtures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright

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
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
STEP_TIMEOUT_MS = 10_000  # a page action (click, goto, wait_for) waits up to this long


def launch_chromium(playwright: Playwright, *extra_args: str) -> Browser:
    """A headless Chromium with ``CHROMIUM_ARGS`` (fake camera and microphone, permission
    prompts granted) and ``extra_args``."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )


@dataclass
class Participant:
    """One person at one browser context, with what went wrong on their pages."""

    name: str
    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.problems, f"{self.name}'s page had problems: {self.problems}"


OpenParticipant = Callable[..., Participant]  # the e2e ``open_participant`` fixture


def new_participant(
    browser: Browser,
    base_url: str,
    name: str,
    phone: bool = False,
    locale: str = "en-US",
    timezone_id: str | None = None,
) -> Participant:
    """A fresh context on ``browser`` (own cookies; a phone's viewport and touch with
    ``phone``; the browser's language ``locale``, its ``Accept-Language`` and
    ``navigator.languages``; the browser's time zone ``timezone_id``, default the
    machine's) and a page in it whose console errors, page errors and failed requests are
    recorded in ``problems``. The caller closes ``context``."""
    context = browser.new_context(
        base_url=base_url,
        viewport=PHONE if phone else DESKTOP,
        is_mobile=phone,
        has_touch=phone,
        locale=locale,
        timezone_id=timezone_id,
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
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
    return person


def open_with_camera_zoom(
    browser: Browser, url: str, open_: Callable[[], Participant]
) -> Participant:
    """``open_()`` a participant on ``browser``, open ``url`` on its page, then grant that
    page's origin the camera's pan-tilt-zoom permission (Chromium: ``camera`` with
    ``panTiltZoom``), which Chromium
    needs before it shows a camera's zoom: its own fake camera then has zoom 100-400 (and
    no torch). The context is found as the one ``open_`` added. The DevTools session that
    grants it stays attached: Chromium drops its grants when it detaches."""
    cdp = browser.new_browser_cdp_session()
    before = set(cdp.send("Target.getBrowserContexts")["browserContextIds"])
    person = open_()
    added = set(cdp.send("Target.getBrowserContexts")["browserContextIds"]) - before
    assert len(added) == 1, added
    person.page.goto(url)
    origin = person.page.evaluate("location.origin")
    cdp.send(
        "Browser.setPermission",
        {
            "permission": {"name": "camera", "panTiltZoom": True},
            "setting": "granted",
            "origin": origin,
            "browserContextId": added.pop(),
        },
    )
    return person
