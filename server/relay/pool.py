"""``WorkerPool``: the control plane's ``Relay``; the media runs in worker processes.

``workers`` processes (``python -m server.relay.worker``, worker.py), each a
``MediaPlane`` (a relay and its recorder), each reached over its own local channel
(channel.py), each pinned to one core (``pin_cpus``, Linux; cores taken in turn): a
worker that stays on its core keeps its caches, which measured 0.044 against 0.058-0.067
cores per call at 16 calls on the 2-core test machine (docs/performance.md). A call is
placed on the worker with the fewest calls when its first leg opens (or when it is first
recorded) and all its legs live there until ``close_call``.
Requests wait until their worker has started.

A worker that dies (killed, crashed) ends only its own calls: each is reported as
``{"type": "relay_failed", "call_id", "participant_id": ""}``; its requests in flight
fail with ``RelayError``; the failure is logged, counted (``restarts``) and a new worker
takes the slot (at once, or after a pause growing to ``MAX_RESTART_DELAY_S`` when
workers keep dying young). Events and log records a worker sent before dying are all
delivered first, so the control plane has every recording row change it made.

Statistics are read from the workers (``refresh_stats``, awaited before a scrape) and
kept, so ``stats`` is synchronous; a dead worker's totals are kept as of its last read.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.relay.channel import ChannelClosed, open_channel, receive, send
from server.relay.interface import (
    CandidateInit,
    EventCallback,
    RelayError,
    UnknownParticipantError,
)

log = logging.getLogger("showdesk.relay.pool")

STOP_TIMEOUT_S = 15.0  # a worker finishing its recordings at shutdown gets this long
READY_TIMEOUT_S = 30.0  # a worker not started by then is stuck: it is killed
# A request not answered by then means a stuck worker (its loop blocked): it is killed,
# which ends its calls ``relay_failed``. An answer gathers ICE candidates (TURN included).
REQUEST_TIMEOUT_S = 10.0
ANSWER_TIMEOUT_S = 30.0
STATS_TIMEOUT_S = 2.0  # a worker that does not answer a stats request by then is skipped
YOUNG_WORKER_S = 10.0  # a worker that dies younger than this is restarted after a pause
MAX_RESTART_DELAY_S = 30.0


@dataclass(eq=False)
class _Worker:
    slot: int
    process: asyncio.subprocess.Process
    writer: asyncio.StreamWriter
    ready: asyncio.Future[int]
    started_at: float
    pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    calls: set[str] = field(default_factory=set)
    recording: set[str] = field(default_factory=set)  # files not yet final (call_recorded)
    reader: asyncio.Task[None] | None = None
    alive: bool = True
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid


class WorkerPool:
    """The ``Relay`` interface over worker processes (see the module docstring)."""

    def __init__(
        self,
        on_event: EventCallback,
        *,
        workers: int,
        files_dir: Path,
        ice_servers: list[dict[str, Any]],
        video_codecs: list[str] | tuple[str, ...],
        connect_timeout_s: float,
        pin_cpus: bool,
        max_bitrate_kbps: int = 2500,
        start_bitrate_kbps: int = 1000,
        forwarding: str = "frames",
        video_fec: bool = False,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self._on_event = on_event
        self._size = workers
        self._pin_cpus = pin_cpus
        self._config = {
            "files_dir": str(Path(files_dir).resolve()),
            "ice_servers": ice_servers or [],
            "video_codecs": list(video_codecs),
            "connect_timeout_s": connect_timeout_s,
            "max_bitrate_kbps": max_bitrate_kbps,
            "start_bitrate_kbps": start_bitrate_kbps,
            "forwarding": forwarding,
            "video_fec": video_fec,
        }
        self._workers: list[_Worker] = []
        self._call_worker: dict[str, _Worker] = {}
        self._leg_call: dict[str, str] = {}  # participant id -> call id
        self._ids = itertools.count(1)
        self._stopping = False
        self._young_deaths = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop_event = asyncio.Event()
        self._dead_totals: Counter[tuple[str, ...]] = Counter()
        self._dead_recording: Counter[str] = Counter()
        self.restarts = 0

    # -- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        """Start the workers (they finish starting in the background). Again after
        ``aclose``, but not while running: that would leave workers running unowned."""
        if any(w.alive for w in self._workers):
            raise RuntimeError("the relay workers are already running")
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._call_worker.clear()
        self._leg_call.clear()
        self._workers = [await self._spawn(slot) for slot in range(self._size)]

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait until every worker has started."""
        await asyncio.wait_for(asyncio.gather(*(w.ready for w in self._workers)), timeout_s)

    async def aclose(self) -> None:
        """Shut every worker down: legs closed, recordings finished, then it exits. A
        worker still running after ``STOP_TIMEOUT_S`` is killed."""
        self._stopping = True
        self._stop_event.set()  # restarts waiting out their pause give up
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await asyncio.gather(*(self._stop(w) for w in self._workers), return_exceptions=True)

    # -- the Relay interface -------------------------------------------------------

    async def open(
        self,
        call_id: str,
        participant_id: str,
        role: str,
        ice_servers: list[dict[str, Any]] | None = None,
    ) -> None:
        worker = self._place(call_id)
        self._leg_call[participant_id] = call_id
        extra = {} if ice_servers is None else {"ice_servers": ice_servers}  # over the channel
        await self._request(
            worker, "open", call_id=call_id, participant_id=participant_id, role=role, **extra
        )

    async def answer(self, participant_id: str, offer_sdp: str) -> str:
        worker = self._worker_of_leg(participant_id)
        return str(
            await self._request(
                worker, "answer", participant_id=participant_id, offer_sdp=offer_sdp
            )
        )

    async def add_candidate(self, participant_id: str, candidate: CandidateInit | None) -> None:
        worker = self._worker_of_leg(participant_id)
        await self._request(
            worker, "add_candidate", participant_id=participant_id, candidate=candidate
        )

    async def close(self, participant_id: str) -> None:
        call_id = self._leg_call.pop(participant_id, None)
        worker = self._call_worker.get(call_id or "")
        if worker is not None and worker.alive:
            with contextlib.suppress(RelayError):
                await self._request(worker, "close", participant_id=participant_id)

    async def close_call(self, call_id: str) -> None:
        worker = self._call_worker.get(call_id)
        self._forget_calls({call_id})
        if worker is None:
            return
        if worker.alive:
            with contextlib.suppress(RelayError):
                await self._request(worker, "close_call", call_id=call_id)

    async def silent_legs(self, silence_s: float) -> list[str]:
        answers = await asyncio.gather(
            *(self._request(w, "silent_legs", silence_s=silence_s) for w in self._ready_workers()),
            return_exceptions=True,
        )
        return [pid for answer in answers if isinstance(answer, list) for pid in answer]

    async def record_call(self, call_id: str, created_at: float) -> None:
        """Record the call from now on (placing it on a worker if it has none yet)."""
        worker = self._place(call_id)
        worker.recording.add(call_id)
        await self._request(worker, "record_call", call_id=call_id, created_at=created_at)

    # -- monitoring ----------------------------------------------------------------

    def workers(self) -> list[dict[str, Any]]:
        """Each worker slot: ``slot``, ``pid``, ``alive``, ``calls`` (placed on it)."""
        return [
            {"slot": w.slot, "pid": w.pid, "alive": w.alive, "calls": len(w.calls)}
            for w in self._workers
        ]

    def worker_of_call(self, call_id: str) -> int | None:
        """The pid of the worker the call is placed on, or None."""
        worker = self._call_worker.get(call_id)
        return worker.pid if worker is not None else None

    async def refresh_stats(self) -> None:
        """Read every running worker's figures (a worker that does not answer within
        ``STATS_TIMEOUT_S`` keeps its previous ones)."""

        async def read(worker: _Worker) -> None:
            with contextlib.suppress(RelayError, TimeoutError):
                worker.stats = await self._request(worker, "stats", timeout_s=STATS_TIMEOUT_S)

        await asyncio.gather(*(read(w) for w in self._ready_workers()))

    def stats(self) -> dict[str, Any]:
        """The figures of the last ``refresh_stats``, summed over workers: ``legs``
        ``{(role, state): n}``, ``totals`` ``{(counter, kind, consumer): n}`` (dead
        workers' included), ``recording`` (summed), and ``workers``: per slot ``slot``,
        ``alive``, ``calls``, ``loop_lag`` (``{"buckets": [[le, n]], "sum"}``)."""
        legs: Counter[tuple[str, ...]] = Counter()
        totals: Counter[tuple[str, ...]] = Counter(self._dead_totals)
        recording: Counter[str] = Counter(self._dead_recording)
        per_worker = []
        for worker in self._workers:
            figures = worker.stats if worker.alive else {}
            for *key, n in figures.get("legs", []):
                legs[tuple(key)] += n
            for *key, n in figures.get("totals", []):
                totals[tuple(key)] += n
            for name, n in figures.get("recording", {}).items():
                recording[name] += n
            per_worker.append(
                {
                    "slot": worker.slot,
                    "alive": worker.alive,
                    "calls": len(worker.calls),
                    "loop_lag": figures.get("loop_lag"),
                }
            )
        return {
            "legs": dict(legs),
            "totals": dict(totals),
            "recording": dict(recording),
            "workers": per_worker,
            "restarts": self.restarts,
        }

    async def forwarding_delays(self, kind: str, from_role: str | None = None) -> list[float]:
        """Every worker's recent forwarding delays (LocalRelay.forwarding_delays)."""
        answers = await asyncio.gather(
            *(
                self._request(w, "forwarding_delays", kind=kind, from_role=from_role)
                for w in self._ready_workers()
            )
        )
        return [float(d) for answer in answers for d in answer]

    async def clear_forwarding_delays(self) -> None:
        await asyncio.gather(
            *(self._request(w, "clear_forwarding_delays") for w in self._ready_workers())
        )

    # -- internals -----------------------------------------------------------------

    def _ready_workers(self) -> list[_Worker]:
        return [w for w in self._workers if w.alive and w.ready.done() and not w.ready.exception()]

    def _cpu_for(self, slot: int) -> int | None:
        """The core worker ``slot`` is pinned to (cores taken in turn), or None."""
        if not self._pin_cpus or not hasattr(os, "sched_getaffinity"):
            return None
        cpus = sorted(os.sched_getaffinity(0))
        return cpus[slot % len(cpus)]

    def _place(self, call_id: str) -> _Worker:
        worker = self._call_worker.get(call_id)
        if worker is not None:
            if not worker.alive:
                raise RelayError("the call's relay worker has stopped")
            return worker
        if self._stopping:
            raise RelayError("relay is closed")
        candidates = [w for w in self._workers if w.alive]
        if not candidates:
            raise RelayError("no relay worker is running")
        worker = min(candidates, key=lambda w: (len(w.calls), w.slot))
        worker.calls.add(call_id)
        self._call_worker[call_id] = worker
        return worker

    def _forget_calls(self, call_ids: set[str]) -> None:
        """Drop the calls' placement and their legs (their files may still be finishing:
        ``recording`` keeps those)."""
        for call_id in call_ids:
            worker = self._call_worker.pop(call_id, None)
            if worker is not None:
                worker.calls.discard(call_id)
        for pid in [p for p, c in self._leg_call.items() if c in call_ids]:
            del self._leg_call[pid]

    def _worker_of_leg(self, participant_id: str) -> _Worker:
        worker = self._call_worker.get(self._leg_call.get(participant_id, ""))
        if worker is None or not worker.alive:
            raise UnknownParticipantError(f'participant "{participant_id}" is not open')
        return worker

    async def _request(
        self, worker: _Worker, op: str, *, timeout_s: float = REQUEST_TIMEOUT_S, **args: Any
    ) -> Any:
        """Send a request and wait for its reply. Raises ``RelayError`` when the worker
        has stopped, or does not answer within ``timeout_s`` (nor start within
        ``READY_TIMEOUT_S``): such a worker is stuck and is killed, a ``stats`` read
        excepted (it only gives up)."""
        if not worker.alive:
            raise RelayError("the relay worker has stopped")
        try:
            await asyncio.wait_for(asyncio.shield(worker.ready), READY_TIMEOUT_S)
        except TimeoutError:
            self._kill_stuck(worker, "did not start")
            raise RelayError("the relay worker did not start") from None
        request_id = next(self._ids)
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        worker.pending[request_id] = reply
        try:
            send(worker.writer, {"id": request_id, "op": op, "args": args})
            return await asyncio.wait_for(reply, timeout_s)
        except ChannelClosed:
            raise RelayError("the relay worker has stopped") from None
        except TimeoutError:
            if op != "stats":
                self._kill_stuck(worker, f'did not answer "{op}" within {timeout_s:g} s')
            raise RelayError(f'the relay worker did not answer "{op}" in time') from None
        finally:
            worker.pending.pop(request_id, None)

    def _kill_stuck(self, worker: _Worker, why: str) -> None:
        if worker.alive and worker.process.returncode is None:
            log.error("relay worker %d (pid %d) %s: killing it", worker.slot, worker.pid, why)
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()

    async def _spawn(self, slot: int) -> _Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # The worker's settings come over the channel: none of the server's own
        # (secret key, database URL, TURN credentials) reach its environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOWDESK_")}
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "server.relay.worker",
                "--fd",
                str(theirs.fileno()),
                pass_fds=(theirs.fileno(),),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                env=env,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        reader, writer = await open_channel(ours)
        loop = asyncio.get_running_loop()
        worker = _Worker(slot, process, writer, loop.create_future(), time.monotonic())
        worker.ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        config = {
            **self._config,
            "log_level": logging.getLogger().getEffectiveLevel(),
            "cpu": self._cpu_for(slot),
        }
        send(writer, {"op": "configure", "config": config})
        worker.reader = loop.create_task(self._read_forever(worker, reader))
        log.info("relay worker %d started (pid %d)", slot, process.pid)
        return worker

    async def _read_forever(self, worker: _Worker, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                message = await receive(reader)
                self._dispatch(worker, message)
        except ChannelClosed:
            pass
        finally:
            await self._gone(worker)

    def _dispatch(self, worker: _Worker, message: dict[str, Any]) -> None:
        if "event" in message:
            event = message["event"]
            if isinstance(event, dict):
                if event.get("type") == "closed":
                    self._leg_call.pop(str(event.get("participant_id")), None)
                elif event.get("type") == "call_recorded":
                    worker.recording.discard(str(event.get("call_id")))
                try:
                    self._on_event(event)
                except Exception:
                    log.exception("relay event handler failed for %s", event.get("type"))
        elif "log" in message:
            record = message["log"]
            if isinstance(record, dict):
                logging.getLogger(str(record.get("name", "showdesk.relay.worker"))).log(
                    int(record.get("level", logging.INFO)), "%s", str(record.get("message"))
                )
        elif "id" in message:
            reply = worker.pending.pop(message["id"], None)
            if reply is None or reply.done():
                return
            error = message.get("error")
            if isinstance(error, dict):
                kind = UnknownParticipantError if error.get("type") == "unknown" else RelayError
                reply.set_exception(kind(str(error.get("message"))))
            else:
                reply.set_result(message.get("result"))
        elif "ready" in message and not worker.ready.done():
            worker.ready.set_result(int(message["ready"]))

    async def _gone(self, worker: _Worker) -> None:
        """The worker's channel closed: it exited (or is about to)."""
        worker.alive = False
        for *key, n in worker.stats.get("totals", []):  # before any await: no dip in counters
            self._dead_totals[tuple(key)] += n
        for name in ("written_bytes", "frames_dropped"):
            self._dead_recording[name] += worker.stats.get("recording", {}).get(name, 0)
        worker.stats = {}
        for reply in worker.pending.values():
            if not reply.done():
                reply.set_exception(RelayError("the relay worker has stopped"))
        if not worker.ready.done():
            worker.ready.set_exception(RelayError("the relay worker did not start"))
        with contextlib.suppress(Exception):
            worker.writer.close()
        try:
            code = await asyncio.wait_for(worker.process.wait(), 5.0)
        except TimeoutError:
            worker.process.kill()
            code = await worker.process.wait()
        if self._stopping:
            return
        # Its calls, and the ended calls whose files it had not finished.
        calls = sorted(worker.calls | worker.recording)
        self.restarts += 1
        log.error(
            "relay worker %d (pid %d) stopped unexpectedly (exit code %s); ending its %d call(s)",
            worker.slot,
            worker.pid,
            code,
            len(worker.calls),
        )
        self._forget_calls(set(worker.calls))
        worker.recording.clear()
        for call_id in calls:
            try:
                self._on_event({"type": "relay_failed", "call_id": call_id, "participant_id": ""})
            except Exception:
                log.exception("relay event handler failed for relay_failed")
        young = time.monotonic() - worker.started_at < YOUNG_WORKER_S
        self._young_deaths = self._young_deaths + 1 if young else 0
        delay = min(MAX_RESTART_DELAY_S, 0.5 * 2 ** (self._young_deaths - 1)) if young else 0.0
        task = asyncio.get_running_loop().create_task(self._restart(worker.slot, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _restart(self, slot: int, delay_s: float) -> None:
        """Start a new worker in ``slot`` after ``delay_s``, retrying (with growing
        pauses) until one starts or the pool stops."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), delay_s)
            if self._stopping:
                return
            try:
                self._workers[slot] = await self._spawn(slot)
                return
            except Exception:
                log.exception("restarting relay worker %d failed", slot)
                delay_s = min(MAX_RESTART_DELAY_S, max(1.0, delay_s * 2))

    async def _stop(self, worker: _Worker) -> None:
        if worker.alive and not worker.ready.done():
            # Still starting (importing): it holds no leg and no recording yet, and
            # requests wait for it. SIGTERM ends it now (once it handles signals, as a
            # shutdown) rather than waiting for it to start only to stop.
            with contextlib.suppress(ProcessLookupError):
                worker.process.terminate()
        elif worker.alive:
            with contextlib.suppress(ChannelClosed, ConnectionError):
                send(worker.writer, {"op": "shutdown"})
        if worker.reader is not None:
            try:
                await asyncio.wait_for(asyncio.shield(worker.reader), STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("relay worker %d did not stop in time: killing it", worker.slot)
                with contextlib.suppress(ProcessLookupError):
                    worker.process.kill()
                await worker.reader
