"""Debian's Firefox ESR in the tests, driven by npm's ``puppeteer-core`` over WebDriver
BiDi through a small Node process (``firefox_driver.mjs``, JSON lines on its stdin and
stdout). There is no geckodriver here, so neither Playwright nor Selenium can drive it.

API:

- ``launch_firefox(log_dir)`` (a context manager) starts the Node process and one
  headless Firefox with ``FIREFOX_PREFS`` (fake camera and microphone, no permission
  prompt, autoplay allowed; host addresses stay hidden behind ``.local`` names, as
  Firefox's defaults have them) and yields a ``Firefox``; on leaving, Firefox and the
  process are stopped. The process's stderr goes to ``log_dir/firefox-driver.log``.
- ``Firefox.participant(name, base_url, phone=False)``: a ``FirefoxParticipant`` (same
  shape as ``chromium.Participant``: ``name``, ``page``, ``problems``, ``assert_clean()``)
  whose page is a fresh browser context (own cookies) at a phone's or a desktop's size.
  ``Firefox.close_participants()`` closes every one made so far.
- ``FirefoxPage`` mirrors the part of Playwright's ``Page`` that tests/helpers use, so
  ``screens.shoot``, ``browser_steps.remote_video`` and the JS snippets there run on it
  unchanged: ``goto(path_or_url)`` (a path is taken relative to ``base_url``),
  ``reload()``, ``url``, ``click(selector)``, ``fill(selector, value)``,
  ``evaluate(js, arg=None)`` (an expression, or a function called with ``arg``; promises
  are awaited; the value comes back as JSON), ``wait_for_selector(selector,
  state="visible"|"hidden"|"attached", timeout=ms)``, ``screenshot(path=..., full_page=
  ...)``, ``set_viewport_size({"width", "height"})``, ``viewport_size``,
  ``wait_for_url(glob)``, ``add_init_script(js)``, ``close()``,
  and ``get_by_test_id(name)``: a ``FirefoxLocator`` with ``click()``, ``fill(value)``,
  ``wait_for(state=..., timeout=ms)``, ``wait_for_attribute(name, value, timeout=ms)``,
  ``inner_text()``, ``wait_for_text(part, timeout=ms)`` (so ``browser_steps.sign_in``
  runs on it too). Other selectors are CSS; ``by_testid(name)`` makes one for
  ``data-testid``. A failed step raises ``FirefoxError`` with the driver's message.
- Console errors, page errors and failed requests are collected in the participant's
  ``problems`` as they happen, as for Chromium. The driver takes link tokens and cookie
  values out of every text it sends back.
"""

from __future__ import annotations

import fnmatch
import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers.chromium import DESKTOP, PHONE, STEP_TIMEOUT_MS
from tests.helpers.page_js import by_testid
from tests.helpers.waiting import NotYet, wait_until

FIREFOX = "/usr/bin/firefox-esr"
DRIVER = Path(__file__).with_name("firefox_driver.mjs")
FIREFOX_PREFS = {
    "media.navigator.streams.fake": True,  # a fake camera (a changing colour) and microphone
    "media.navigator.permission.disabled": True,  # no camera prompt
    "media.autoplay.default": 0,  # media may play without a gesture
    "intl.accept_languages": "en-US",
}
LAUNCH_TIMEOUT_S = 60  # a cold Firefox on a busy machine
REPLY_MARGIN_S = 20  # a step's reply may take this much longer than the step's own timeout


class FirefoxError(AssertionError):
    """A step the driver could not do (its message says why), or the driver is gone."""


class Firefox:
    """One Node driver process and the Firefox it launched. Use ``launch_firefox``."""

    def __init__(self, proc: subprocess.Popen, log: Path) -> None:
        self._proc, self._log = proc, log
        self._replies: queue.Queue[dict] = queue.Queue()
        self._problems: dict[int, list[str]] = {}
        self._next_id = 0
        self._participants: list[FirefoxParticipant] = []
        self.version = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            message = json.loads(line)
            if message.get("event") == "problem":
                self._problems.setdefault(message["page"], []).append(message["text"])
            else:
                self._replies.put(message)
        self._replies.put({"id": None, "error": "the Firefox driver exited"})

    def call(self, cmd: str, timeout_s: float = STEP_TIMEOUT_MS / 1000, **args: Any) -> Any:
        """Send one command and return its value; ``FirefoxError`` if it failed or no
        reply came within ``timeout_s`` plus a margin."""
        self._next_id += 1
        request_id = self._next_id
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps({"id": request_id, "cmd": cmd, **args}) + "\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise FirefoxError(f"the Firefox driver is gone: {self._log_tail()}") from None
        deadline = time.monotonic() + timeout_s + REPLY_MARGIN_S
        while True:
            try:
                reply = self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise FirefoxError(f"no reply to {cmd} within {timeout_s} s") from None
            if reply["id"] is None:
                raise FirefoxError(f"{reply['error']} during {cmd}: {self._log_tail()}")
            if reply["id"] == request_id:
                break  # an older id is the late reply to a step that timed out here
        if "error" in reply:
            raise FirefoxError(f"{cmd}: {reply['error']}")
        return reply.get("value")

    def participant(self, name: str, base_url: str, phone: bool = False) -> FirefoxParticipant:
        """A person at a fresh browser context (own cookies), at a phone's or a desktop's
        size; closed by ``close_participants`` (or with Firefox)."""
        size = PHONE if phone else DESKTOP
        page_id = self.call("newPage", **size)["page"]
        problems = self._problems.setdefault(page_id, [])
        page = FirefoxPage(self, page_id, base_url, dict(size))
        person = FirefoxParticipant(name=name, page=page, problems=problems)
        self._participants.append(person)
        return person

    def close_participants(self) -> None:
        """Close the pages of every participant made so far."""
        for person in self._participants:
            person.page.close()
        self._participants.clear()

    def _log_tail(self) -> str:
        return self._log.read_text()[-2000:] if self._log.exists() else ""

    def stop(self) -> None:
        """Close Firefox and end the driver process (killed if it does not exit)."""
        try:
            if self._proc.poll() is None:
                self.call("close", timeout_s=10)
        except FirefoxError:
            pass
        finally:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


class FirefoxPage:
    """A Firefox page with the subset of Playwright's ``Page`` API the helpers use."""

    def __init__(self, firefox: Firefox, page_id: int, base_url: str, size: dict) -> None:
        self._firefox, self._id, self._base = firefox, page_id, base_url.rstrip("/")
        self._size = size
        self._closed = False

    def _call(self, cmd: str, timeout_s: float = STEP_TIMEOUT_MS / 1000, **args: Any) -> Any:
        return self._firefox.call(cmd, timeout_s, page=self._id, **args)

    def goto(self, url: str) -> None:
        """Open ``url`` (a path: on the base URL) and wait for its ``load`` event."""
        self._call("goto", url=url if "://" in url else f"{self._base}{url}")

    def reload(self) -> None:
        self._call("reload")

    @property
    def url(self) -> str:
        return self._call("url")

    def click(self, selector: str) -> None:
        """Click the element once it is visible and enabled."""
        self._call("click", selector=selector)

    def fill(self, selector: str, value: str) -> None:
        """Type ``value`` into the input in place of what it held."""
        self._call("fill", selector=selector, value=value)

    def evaluate(self, js: str, arg: Any = None) -> Any:
        """Evaluate ``js`` in the page (a function is called with ``arg``) and return its
        (awaited) value as JSON."""
        return self._call("evaluate", js=js, arg=arg)

    def wait_for_selector(
        self, selector: str, state: str = "visible", timeout: float = STEP_TIMEOUT_MS
    ) -> None:
        """Wait up to ``timeout`` ms until an element matches ``selector`` and is
        ``visible``, ``hidden`` (or absent) or merely ``attached``."""
        self._call(
            "waitForSelector",
            timeout_s=timeout / 1000,
            selector=selector,
            state=state,
            timeout=timeout,
        )

    def screenshot(self, path: str, full_page: bool = False) -> None:
        self._call("screenshot", path=str(path), fullPage=full_page)

    @property
    def viewport_size(self) -> dict:
        return dict(self._size)

    def set_viewport_size(self, size: dict) -> None:
        self._call("setViewport", width=size["width"], height=size["height"])
        self._size = dict(size)

    def wait_for_url(self, glob: str, timeout: float = STEP_TIMEOUT_MS) -> None:
        """Wait up to ``timeout`` ms until the page's URL matches ``glob`` (``**/call``)."""
        wait_until(
            lambda: fnmatch.fnmatch(self.url, glob) or NotYet(self.url),
            timeout / 1000,
            f"the page at {glob}",
        )

    def add_init_script(self, js: str) -> None:
        """Run ``js`` (a script) first in every document this page loads from now on."""
        self._call("addInitScript", js=js)

    def get_by_test_id(self, name: str) -> FirefoxLocator:
        return FirefoxLocator(self, by_testid(name))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._call("closePage")


@dataclass(frozen=True)
class FirefoxLocator:
    """The element(s) a CSS selector finds on a Firefox page, found anew at each step."""

    page: FirefoxPage
    selector: str

    def click(self) -> None:
        self.page.click(self.selector)

    def fill(self, value: str) -> None:
        self.page.fill(self.selector, value)

    def wait_for(self, state: str = "visible", timeout: float = STEP_TIMEOUT_MS) -> None:
        self.page.wait_for_selector(self.selector, state, timeout)

    def wait_for_attribute(self, name: str, value: str, timeout: float = STEP_TIMEOUT_MS) -> None:
        """Wait until the element's attribute ``name`` is ``value``."""
        self.page.wait_for_selector(f'{self.selector}[{name}="{value}"]', "attached", timeout)

    def inner_text(self) -> str:
        """The first match's rendered text ("" when none matches)."""
        return self.page.evaluate(
            "(s) => { const n = document.querySelector(s); return n ? n.innerText : ''; }",
            self.selector,
        )

    def wait_for_text(self, part: str, timeout: float = STEP_TIMEOUT_MS) -> str:
        """Wait until the first match's text contains ``part``; return the text."""
        return wait_until(
            lambda: (lambda text: text if part in text else NotYet(text))(self.inner_text()),
            timeout / 1000,
            f"{part!r} in {self.selector}",
        )


@dataclass
class FirefoxParticipant:
    """One person at one Firefox browser context, with what went wrong on their pages."""

    name: str
    page: FirefoxPage
    problems: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.problems, f"{self.name}'s page had problems: {self.problems}"


OpenFirefox = Callable[..., FirefoxParticipant]  # the e2e ``open_firefox`` fixture


@contextmanager
def launch_firefox(log_dir: Path, prefs: dict[str, Any] | None = None) -> Iterator[Firefox]:
    """Start the driver and a headless Firefox with ``FIREFOX_PREFS`` and ``prefs``;
    stop both on leaving. Fails (``FirefoxError``) if Firefox does not start."""
    log = log_dir / "firefox-driver.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            ["node", str(DRIVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=DRIVER.parent,
        )
    firefox = Firefox(proc, log)
    try:
        launched = firefox.call(
            "launch",
            timeout_s=LAUNCH_TIMEOUT_S,
            executablePath=FIREFOX,
            prefs={**FIREFOX_PREFS, **(prefs or {})},
        )
        firefox.version = launched["version"]
        yield firefox
    finally:
        firefox.stop()
