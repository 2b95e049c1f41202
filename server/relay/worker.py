"""A relay worker process: one ``MediaPlane`` (plane.py) driven over the local channel
(channel.py) by the control plane's ``WorkerPool`` (pool.py).

    python -m server.relay.worker --fd N

``N`` is the worker's end of a Unix socket pair. The first message configures the
worker; then each request runs as a task of its own (an answer awaits ICE gathering:
other requests must not wait behind it), relay events and log records go back as they
happen, and ``ready`` is sent once the media plane exists.

Ending:

- ``shutdown`` message: every leg is closed, every recording finished (bounded), then
  the worker sends ``closed`` and exits 0.
- The control plane is gone (end of file on the channel, or this process re-parented):
  the worker closes its legs, finishes what it can of its recordings and exits by
  itself within ``ORPHAN_EXIT_S``, by ``os._exit`` if closing overruns. Track files are
  written packet by packet in clusters of at most a second, so a file cut off by that
  exit stays readable up to its last complete cluster.
- SIGTERM: as a shutdown. SIGINT is ignored: Ctrl-C in a terminal reaches the whole
  process group, and the control plane ends its calls first and then shuts workers down.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Histogram

from server.infra import log_redaction
from server.infra.loop_lag import LOOP_LAG_BUCKETS, LoopLagMonitor
from server.relay.channel import ChannelClosed, open_channel, receive, send
from server.relay.interface import RelayError, UnknownParticipantError
from server.relay.plane import RECORDING_CLOSE_TIMEOUT_S, MediaPlane
from server.storage import LocalStorage

log = logging.getLogger("showdesk.relay.worker")

ORPHAN_EXIT_S = 1.8  # a worker without its control plane is gone within this (goal: 2 s)
ORPHAN_CLOSE_S = 1.2  # ... of which closing legs and recordings may take this much
PARENT_CHECK_INTERVAL_S = 0.25  # re-parenting is checked this often (backs up end of file)
REQUESTS = frozenset(
    {"open", "answer", "add_candidate", "close", "close_call", "record_call", "silent_legs"}
)
QUERIES = frozenset({"stats", "forwarding_delays", "clear_forwarding_delays"})


class _ChannelLogHandler(logging.Handler):
    """Sends log records to the control plane, which logs them under the same name."""

    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self._worker = worker

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = log_redaction.redact(record.getMessage())
            if record.exc_info:
                message += "\n" + log_redaction.redact(self.format(record).partition("\n")[2])
            self._worker.post(
                {"log": {"name": record.name, "level": record.levelno, "message": message}}
            )
        except Exception:  # noqa: BLE001  (logging must never raise)
            self.handleError(record)


class Worker:
    """The worker's side of the channel (see the module docstring)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._writer: asyncio.StreamWriter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._plane: MediaPlane | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._orphaned = False
        self._parent = os.getppid()
        self._lag = Histogram(
            "loop_lag_seconds",
            "How late a periodic sleep on this worker's event loop woke up.",
            buckets=LOOP_LAG_BUCKETS,
            registry=CollectorRegistry(),
        )

    def post(self, message: dict[str, Any]) -> None:
        """Send ``message`` to the control plane from any thread; dropped once it is gone."""
        loop = self._loop
        if loop is None or self._writer is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._send(message)
        else:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(self._send, message)

    def _send(self, message: dict[str, Any]) -> None:
        if self._writer is None:
            return
        with contextlib.suppress(ChannelClosed, ConnectionError):
            send(self._writer, message)

    async def run(self) -> int:
        self._loop = asyncio.get_running_loop()
        self._loop.add_signal_handler(signal.SIGTERM, self._stopping.set)
        reader, self._writer = await open_channel(self._sock)
        try:
            config = await receive(reader)
        except ChannelClosed:
            return 0
        self._configure(config)
        assert self._plane is not None
        cpu = config.get("config", {}).get("cpu")
        if cpu is not None:
            try:
                os.sched_setaffinity(0, {int(cpu)})
            except OSError as exc:  # the core is not ours (a container's cpuset changed)
                log.warning("relay worker stays unpinned: %s", exc)
        monitor = LoopLagMonitor(self._lag)
        monitor.start()
        watch = asyncio.create_task(self._watch_parent())
        self._send({"ready": os.getpid()})
        requests = asyncio.create_task(self._serve(reader))
        stop = asyncio.create_task(self._stopping.wait())
        await asyncio.wait({requests, stop}, return_when=asyncio.FIRST_COMPLETED)
        requests.cancel()
        watch.cancel()
        if self._orphaned:
            deadline = threading.Timer(ORPHAN_EXIT_S, os._exit, (0,))
            deadline.daemon = True
            deadline.start()
            close_timeout = ORPHAN_CLOSE_S
        else:
            close_timeout = RECORDING_CLOSE_TIMEOUT_S
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._plane.aclose(close_timeout), close_timeout + 0.5)
        await monitor.stop()
        self._send({"closed": True})
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer.drain(), 1.0)
        return 0

    def _configure(self, config: dict[str, Any]) -> None:
        settings = config.get("config", {})
        root = logging.getLogger()
        root.handlers[:] = [_ChannelLogHandler(self)]
        root.setLevel(int(settings.get("log_level", logging.INFO)))
        log_redaction.install()
        self._plane = MediaPlane(
            lambda event: self.post({"event": event}),
            LocalStorage(Path(settings["files_dir"])),
            ice_servers=settings["ice_servers"],
            video_codecs=list(settings["video_codecs"]),
            connect_timeout_s=float(settings["connect_timeout_s"]),
            max_bitrate_kbps=int(settings.get("max_bitrate_kbps", 2500)),
            start_bitrate_kbps=int(settings.get("start_bitrate_kbps", 1000)),
            forwarding=str(settings.get("forwarding", "frames")),
            video_fec=bool(settings.get("video_fec", False)),
        )

    async def _serve(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                message = await receive(reader)
            except ChannelClosed:
                self._orphaned = True
                self._stopping.set()
                return
            if message.get("op") == "shutdown":
                self._stopping.set()
                return
            task = asyncio.create_task(self._handle(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(self, message: dict[str, Any]) -> None:
        request_id = message.get("id")
        op = str(message.get("op"))
        args = message.get("args") or {}
        assert self._plane is not None
        try:
            if op in REQUESTS:
                result = await getattr(self._plane, op)(**args)
            elif op == "stats":
                result = {**self._plane.stats(), "loop_lag": _histogram(self._lag)}
            elif op in QUERIES:
                result = getattr(self._plane, op)(**args)
            else:
                raise RelayError(f'unknown request "{op}"')
        except UnknownParticipantError as exc:
            self._send({"id": request_id, "error": {"type": "unknown", "message": str(exc)}})
        except (RelayError, TypeError, ValueError) as exc:
            self._send({"id": request_id, "error": {"type": "refused", "message": str(exc)}})
        except Exception as exc:
            log.exception("relay request %s failed", op)
            message_text = f"{op} failed ({type(exc).__name__})"
            self._send({"id": request_id, "error": {"type": "refused", "message": message_text}})
        else:
            self._send({"id": request_id, "result": result})

    async def _watch_parent(self) -> None:
        while True:
            await asyncio.sleep(PARENT_CHECK_INTERVAL_S)
            if os.getppid() != self._parent:
                self._orphaned = True
                self._stopping.set()
                return


def _histogram(histogram: Histogram) -> dict[str, Any]:
    """A histogram's cumulative buckets and sum, as JSON-ready data."""
    buckets: list[list[Any]] = []
    total = 0.0
    for metric in histogram.collect():
        for sample in metric.samples:
            if sample.name.endswith("_bucket"):
                buckets.append([sample.labels["le"], sample.value])
            elif sample.name.endswith("_sum"):
                total = sample.value
    return {"buckets": buckets, "sum": total}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A Showdesk relay worker (started by the server).")
    parser.add_argument("--fd", type=int, required=True, help="the channel's socket descriptor")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=args.fd)
    try:  # the loop uvicorn runs the control plane on, when installed (uvicorn[standard])
        import uvloop
    except ImportError:
        return asyncio.run(Worker(sock).run())
    return uvloop.run(Worker(sock).run())


if __name__ == "__main__":
    sys.exit(main())
