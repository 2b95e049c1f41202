"""Waiting for a condition with a deadline, instead of sleeping a guessed time."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
POLL_S = 0.02


@dataclass(frozen=True)
class NotYet:
    """What a polled condition returns while it is false: falsy, and says why (the
    waiting helpers report the last one when they give up)."""

    reason: str

    def __bool__(self) -> bool:
        return False


def wait_until(
    condition: Callable[[], Any],
    timeout_s: float,
    what: str,
    pause: Callable[[float], None] = time.sleep,
) -> Any:
    """Poll ``condition`` until it returns something truthy and return that; fail naming
    ``what`` (and the last value) after ``timeout_s``. ``pause(seconds)`` waits between
    polls (a Playwright page's wait delivers the browser's events meanwhile, which
    ``time.sleep`` would hold back)."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        pause(POLL_S)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last: {last!r}")


def service_ready(
    server: subprocess.Popen,
    probe: Callable[[], None],
    refused: type[Exception] | tuple[type[Exception], ...],
    timeout_s: float,
    what: str,
    log: Callable[[], str] = lambda: "",
) -> None:
    """Wait until ``probe()`` stops raising ``refused`` (a service started as ``server``
    answers); if it has not within ``timeout_s``, or ``server`` exits first, kill it and
    raise ``RuntimeError`` naming ``what``, the last refusal and ``log()``."""

    def answers() -> Any:
        if server.poll() is not None:
            raise RuntimeError(f"{what} exited with {server.returncode}")
        try:
            probe()
        except refused as exc:
            return NotYet(f"{type(exc).__name__}: {exc}")
        return True

    try:
        wait_until(answers, timeout_s, what)
    except (AssertionError, RuntimeError) as exc:
        server.kill()
        raise RuntimeError(f"{what} did not start: {exc} {log()}".rstrip()) from None


def holds_for(
    condition: Callable[[], Any],
    seconds: float,
    what: str,
    pause: Callable[[float], None] = time.sleep,
) -> None:
    """Poll ``condition`` for ``seconds`` and fail, naming ``what`` and the value it gave
    (a ``NotYet`` says why), as soon as it is falsy: a state that must last, such as a
    screen that stays up or an upload that stays stalled while offline."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if not value:
            raise AssertionError(f"{what} did not hold; last: {value!r}")
        if time.monotonic() >= deadline:
            return
        pause(POLL_S)


def page_pause(page: Any) -> Callable[[float], None]:
    """The ``pause`` for ``wait_until`` while a page is open: a Playwright page's own wait
    (it delivers the browser's events meanwhile, which ``time.sleep`` would hold back),
    for the seconds asked; a page of another engine's driver (Firefox, WebKit) has no
    events to deliver, so ``time.sleep``."""
    wait = getattr(page, "wait_for_timeout", None)
    if wait is None:
        return time.sleep
    return lambda seconds: wait(seconds * 1000)


async def async_wait_until(
    condition: Callable[[], Awaitable[Any]], timeout_s: float, what: str
) -> Any:
    """``wait_until`` for a coroutine function: awaits ``condition()`` until truthy."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await condition()
        if last:
            return last
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last: {last!r}")


async def wait_in_thread(check: Callable[[], T], timeout_s: float, what: str) -> T:
    """``async_wait_until`` for a blocking ``check`` (a database read): each poll runs in
    a thread, so the event loop (aiortc peers, sockets) keeps running meanwhile."""
    return await async_wait_until(lambda: asyncio.to_thread(check), timeout_s, what)


async def poll_until(
    condition: Callable[[], bool],
    describe: Callable[[], str],
    timeout_s: float = 5.0,
    poll_s: float = POLL_S,
) -> None:
    """Await until the cheap, synchronous ``condition`` holds (checked on the event loop
    between polls); on timeout fail with ``describe()``, the state when it gave up."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout_s} s: {describe()}")
        await asyncio.sleep(poll_s)
