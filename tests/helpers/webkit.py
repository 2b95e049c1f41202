"""WebKit (Safari's engine) in the tests: Debian's WebKitGTK MiniBrowser under Xvfb,
driven by Selenium through ``WebKitWebDriver``. MiniBrowser has no headless mode.

This WebKit has no WebRTC (``RTCPeerConnection`` is undefined), so it shows what comes
before a call: the buyer page's screens, its camera (a mock camera, at the size asked
for, with no prompt) and a photo from it.

API:

- ``launch_webkit(log_dir, *extra_args)`` (a context manager) starts Xvfb on a free display,
  ``WebKitWebDriver`` on a free port and one MiniBrowser session with ``MINIBROWSER_ARGS``
  (the mock camera and microphone; media with sound needs a tap, as on iOS); yields a
  ``WebKitPage``; stops all three on leaving. Their output goes to ``log_dir``. Raises
  (the tests fail, never skip) when any of them does not start.
- ``WebKitPage`` mirrors the part of Playwright's ``Page`` that ``screens.shoot`` and
  the tests use: ``goto(path_or_url)``, ``url``, ``evaluate(js, arg=None)`` (an
  expression, or a function called with ``arg``; promises are awaited; the value comes
  back as JSON; a thrown error raises ``WebKitError``; a script that is no expression,
  such as axe-core's source, is run as it is), ``click(selector)``,
  ``fill(selector, value)``, ``wait_for_selector(selector, state="visible"|"hidden"|
  "attached", timeout=ms)``, ``screenshot(path=..., full_page=...)`` (the window's
  viewport), ``set_viewport_size(size)`` / ``viewport_size`` (the window is sized so
  the page gets that width; MiniBrowser's window is never narrower than
  ``NARROWEST_WIDTH``), and ``fresh()`` (no cookies and no
  stored data: a new visitor). ``get_by_test_id(name)`` gives a ``WebKitLocator`` with
  ``click()``, ``wait_for(state)``, ``wait_for_attribute(name, value)`` and
  ``inner_text()``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from selenium import webdriver
from selenium.common.exceptions import JavascriptException, WebDriverException
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.remote_connection import RemoteConnection
from selenium.webdriver.webkitgtk.options import Options

from tests.helpers.page_js import by_testid
from tests.helpers.servers import free_port
from tests.helpers.waiting import NotYet, wait_until

MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
MINIBROWSER_ARGS = [
    "--automation",
    "--enable-media-stream=true",
    "--enable-mock-capture-devices=true",
    "--media-playback-requires-user-gesture=true",  # as iOS Safari: sound needs a tap
]
SCREEN = "1600x1200x24"
NARROWEST_WIDTH = 447  # MiniBrowser's toolbar keeps its window at least this wide
START_TIMEOUT_S = 30
STEP_TIMEOUT_MS = 20_000  # a step waits up to this long (MiniBrowser is slow on a busy machine)
SCRIPT_TIMEOUT_S = 30  # a test's script in the page (a photo can take seconds)


class WebKitError(AssertionError):
    """A step WebKit could not do, or a script that threw in the page."""


# Runs a test's script (``{js}``, pasted in: the page's CSP allows no eval) in the page:
# (arg, done) -> done({value}) or done({error}).
_EVALUATE = """
const [arg, done] = arguments;
const fail = (e) => done({ error: String(e && e.stack ? `${e}\\n${e.stack}` : e) });
try {
  const it = (%s);
  Promise.resolve(typeof it === "function" ? it(arg) : it).then(
    (value) => done({ value: value === undefined ? null : JSON.parse(JSON.stringify(value)) }),
    fail,
  );
} catch (e) {
  fail(e);
}
"""


class WebKitPage:
    """The MiniBrowser window's page, with the subset of Playwright's ``Page`` API the
    helpers use."""

    def __init__(self, driver: webdriver.Remote, base_url: str = "") -> None:
        self.driver = driver
        self.base_url = base_url.rstrip("/")
        self._size = {"width": 0, "height": 0}
        driver.set_script_timeout(SCRIPT_TIMEOUT_S)

    def goto(self, url: str) -> None:
        self.driver.get(url if "://" in url else f"{self.base_url}{url}")

    @property
    def url(self) -> str:
        return self.driver.current_url

    def evaluate(self, js: str, arg: Any = None) -> Any:
        """Evaluate ``js`` (a function is called with ``arg``) and return its awaited value."""
        body = js.strip().rstrip(";")  # an expression statement's own ";" too
        try:
            result = self.driver.execute_async_script(_EVALUATE % body, arg)
        except JavascriptException as err:
            if "SyntaxError" not in (err.msg or ""):
                raise
            # not an expression: a script (a library's source), run as it is
            self.driver.execute_script(js)
            return None
        if "error" in result:
            raise WebKitError(f"the page's script failed: {result['error']}")
        return result["value"]

    def click(self, selector: str) -> None:
        """Click the element once it is visible."""
        self.wait_for_selector(selector)
        self.driver.find_element("css selector", selector).click()

    def fill(self, selector: str, value: str) -> None:
        self.wait_for_selector(selector)
        element = self.driver.find_element("css selector", selector)
        element.clear()
        element.send_keys(value)

    def wait_for_selector(
        self, selector: str, state: str = "visible", timeout: float = STEP_TIMEOUT_MS
    ) -> None:
        """Wait up to ``timeout`` ms until an element matches ``selector`` and is
        ``visible``, ``hidden`` (or absent) or merely ``attached``."""
        check = """([selector, state]) => {
          const node = document.querySelector(selector);
          if (state === "attached") return Boolean(node);
          const shown = Boolean(node && node.getClientRects().length &&
            getComputedStyle(node).visibility !== "hidden");
          return state === "visible" ? shown : !shown;
        }"""
        wait_until(
            lambda: self.evaluate(check, [selector, state]) or NotYet(f"not {state}"),
            timeout / 1000,
            f"{selector} {state} in WebKit",
        )

    def screenshot(self, path: str, full_page: bool = False) -> None:
        """The window's viewport as a PNG at ``path`` (WebKitWebDriver shoots no more)."""
        del full_page
        if not self.driver.save_screenshot(str(path)):
            raise WebKitError(f"no screenshot for {path}")

    @property
    def viewport_size(self) -> dict:
        return dict(self._size)

    def set_viewport_size(self, size: dict) -> None:
        """Size the window so that the page is ``size["width"]`` wide and about
        ``size["height"]`` high (the toolbar takes its own height above it)."""
        inner = self.evaluate("[window.innerWidth, window.innerHeight]")
        outer = self.driver.get_window_size()
        self.driver.set_window_size(
            size["width"] + outer["width"] - inner[0], size["height"] + outer["height"] - inner[1]
        )
        self._size = dict(size)

    def fresh(self) -> None:
        """Forget every cookie and the stored data of the base URL's origin."""
        self.goto(f"{self.base_url}/healthz")
        self.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
        self.driver.delete_all_cookies()

    def get_by_test_id(self, name: str) -> WebKitLocator:
        return WebKitLocator(self, by_testid(name))


@dataclass(frozen=True)
class WebKitLocator:
    """The element a CSS selector finds on the WebKit page, found anew at each step."""

    page: WebKitPage
    selector: str

    def click(self) -> None:
        self.page.click(self.selector)

    def wait_for(self, state: str = "visible", timeout: float = STEP_TIMEOUT_MS) -> None:
        self.page.wait_for_selector(self.selector, state, timeout)

    def wait_for_attribute(self, name: str, value: str, timeout: float = STEP_TIMEOUT_MS) -> None:
        self.page.wait_for_selector(f'{self.selector}[{name}="{value}"]', "attached", timeout)

    def inner_text(self) -> str:
        return self.page.evaluate(
            "(s) => { const n = document.querySelector(s); return n ? n.innerText : ''; }",
            self.selector,
        )


def _popen(args: list[str], log: Path, env: dict | None = None, **kwargs: Any) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, **kwargs)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def launch_webkit(log_dir: Path, *extra_args: str) -> Iterator[WebKitPage]:
    """Xvfb, WebKitWebDriver and one MiniBrowser session with ``MINIBROWSER_ARGS`` and
    ``extra_args`` (a later ``--name=value`` wins); all stopped on leaving."""
    with ExitStack() as stack:
        read_fd, write_fd = os.pipe()
        xvfb = _popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
            log_dir / "xvfb.log",
            pass_fds=(write_fd,),
        )
        stack.callback(_stop, xvfb)
        os.close(write_fd)
        with os.fdopen(read_fd) as display_pipe:
            display = display_pipe.readline().strip()  # Xvfb writes it once it is ready
        if not display:
            raise WebKitError(f"Xvfb did not start: {(log_dir / 'xvfb.log').read_text()}")
        port = free_port()
        env = {**os.environ, "DISPLAY": f":{display}"}
        driver_log = log_dir / "webkitwebdriver.log"
        service = _popen(
            ["WebKitWebDriver", f"--port={port}", "--host=127.0.0.1"], driver_log, env=env
        )
        stack.callback(_stop, service)

        def ready() -> bool | NotYet:
            if service.poll() is not None:
                raise WebKitError(f"WebKitWebDriver exited: {driver_log.read_text()}")
            try:
                return httpx.get(f"http://127.0.0.1:{port}/status", timeout=1).is_success
            except httpx.HTTPError as err:
                return NotYet(repr(err))

        wait_until(ready, START_TIMEOUT_S, "WebKitWebDriver to answer")
        options = Options()
        options.binary_location = MINIBROWSER
        for arg in [*MINIBROWSER_ARGS, *extra_args]:
            options.add_argument(arg)
        options.set_capability("browserName", "MiniBrowser")
        try:
            address = ClientConfig(remote_server_addr=f"http://127.0.0.1:{port}")
            driver = webdriver.Remote(RemoteConnection(client_config=address), options=options)
        except WebDriverException as err:
            raise WebKitError(f"MiniBrowser did not start: {err.msg}") from None
        stack.callback(driver.quit)
        yield WebKitPage(driver)
