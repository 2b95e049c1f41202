"""Background steps the call desk runs on a timer, each at its own interval, in one task."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("showdesk.calls")

Step = Callable[[], Awaitable[None]]


class Periodic:
    """Runs ``steps`` (``(interval_s, step)`` pairs) in one task that wakes every
    ``tick_s``; a step runs when its interval has passed since it last ran. A step that
    raises is logged and the others go on; ``stop`` cancels the task."""

    def __init__(self, name: str, tick_s: float, steps: list[tuple[float, Step]]) -> None:
        if tick_s <= 0 or any(interval_s < tick_s for interval_s, _ in steps):
            raise ValueError("every interval must be at least the tick, and the tick positive")
        self._name = name
        self._tick_s = tick_s
        self._steps = steps
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._steps:  # no steps: nothing to wake for
            self._task = asyncio.create_task(self._run_forever(), name=self._name)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run_forever(self) -> None:
        last_run = [time.monotonic()] * len(self._steps)
        while True:
            await asyncio.sleep(self._tick_s)
            for i, (interval_s, step) in enumerate(self._steps):
                now = time.monotonic()
                if now - last_run[i] < interval_s - self._tick_s / 2:
                    continue
                last_run[i] = now
                try:
                    await step()
                except Exception:
                    log.exception("%s: a periodic step failed", self._name)


def only_when(condition: Callable[[], bool], step: Step) -> Step:
    """``step``, run only when ``condition()`` holds at its turn (else skipped)."""

    async def guarded() -> None:
        if condition():
            await step()

    return guarded
