"""Event-loop lag: how late a periodic sleep on the running loop wakes up.

A loop that carries media must not stall: a late wake-up is time every packet waited
too. The control plane and each relay worker run a ``LoopLagMonitor`` into a
prometheus-client ``Histogram`` with these buckets.
"""

from __future__ import annotations

import asyncio
import contextlib

from prometheus_client import Histogram

LOOP_LAG_INTERVAL_S = 0.1  # ten wake-ups a second: negligible next to media packets
# Seconds; fine at the low end, where a media loop should stay (a frame is 33 ms).
LOOP_LAG_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.02,
    0.03,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)


class LoopLagMonitor:
    """Measures how late a periodic sleep on the running loop wakes up."""

    def __init__(self, histogram: Histogram, interval_s: float = LOOP_LAG_INTERVAL_S) -> None:
        self.histogram = histogram
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="metrics-loop-lag"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        if task.get_loop() is asyncio.get_running_loop():  # not so under some test clients
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval_s
            await asyncio.sleep(self.interval_s)
            self.histogram.observe(max(0.0, loop.time() - due))
