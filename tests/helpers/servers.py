"""Showdesk servers for the tests: settings in a temporary data directory, a real server
on a free loopback port in a thread of the test process (``start_live_server``), and
``showdesk serve`` as a user starts it, in a process of its own (``served``)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session

from server.app import create_app
from server.cli.serve import ShowdeskServer, uvicorn_config
from server.consent.texts import sync_shipped
from server.db import make_engine, migrate
from server.infra.clock import Clock
from server.infra.config import DATA_DIR_MODE, Settings
from server.infra.security import PASSWORD_HASHING_FOR_TESTS
from tests.helpers.waiting import NotYet, wait_until

T = TypeVar("T")
TEST_SECRET_KEY = "test-secret-key-" + "x" * 40
LIVE_SERVER_START_TIMEOUT_S = 10.0
PROCESS_START_TIMEOUT_S = 30  # migrations and a cold import take a few seconds on a busy machine
PROCESS_STOP_TIMEOUT_S = 20
REPO = Path(__file__).resolve().parents[2]  # the checkout the tests run from


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test server in ``data_dir``, built in code as only the tests do:
    the test secret key, one relay worker (a test that needs more asks for them) and
    cheap password hashing (``load_settings`` refuses it). ``overrides`` win."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "secret_key": TEST_SECRET_KEY,
        "shop_name": "Test Shop",
        "relay_workers": 1,
        "password_hashing": PASSWORD_HASHING_FOR_TESTS,
    }
    values.update(overrides)
    return Settings(**values)


def migrated_database(directory: Path) -> Path:
    """Make an empty SQLite database at the newest schema in ``directory``, with the
    shipped consent texts stored; return its
    path. A template: ``seed_database`` copies it for each test, which is cheaper than
    migrating every test's database from nothing."""
    path = directory / "showdesk.db"
    url = f"sqlite:///{path.resolve()}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            sync_shipped(db, datetime.now(UTC))  # as create_app does, once for every copy
    finally:
        engine.dispose()
    return path


def seed_database(template: Path, data_dir: Path) -> None:
    """Copy the database ``template`` to where ``make_settings(data_dir)`` keeps its
    database (``data_dir`` is made, owner only, if missing). ``create_app`` then migrates
    it as always, and finds nothing to do."""
    data_dir.mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
    source, copy = sqlite3.connect(template), sqlite3.connect(data_dir / "showdesk.db")
    try:
        source.backup(copy)  # consistent, whatever journal the template was written with
    finally:
        source.close()
        copy.close()


@dataclass
class LiveServer:
    """A real Showdesk server (uvicorn, loopback, free port) running in a thread."""

    app: FastAPI
    url: str
    port: int
    loop: asyncio.AbstractEventLoop | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = 10.0) -> T:
        """Run ``coro`` on the server's event loop (where its call desk lives)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    async def arun(self, coro: Coroutine[Any, Any, T], timeout_s: float = 10.0) -> T:
        """``run`` for async tests: awaits without blocking the test's own loop."""
        assert self.loop is not None
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout_s)


def start_live_server(
    data_dir: Path,
    *,
    start_timeout_s: float = LIVE_SERVER_START_TIMEOUT_S,
    log_level: int | None = None,
    prepare: Callable[[FastAPI], None] | None = None,
    clock: Clock | None = None,
    **overrides: object,
) -> tuple[LiveServer, uvicorn.Server, threading.Thread]:
    """Start a server as ``showdesk serve`` runs it (``ShowdeskServer``), on its own event
    loop in a daemon thread, with ``make_settings(data_dir, **overrides)`` and its public
    URL on a free port; return once it accepts connections (RuntimeError after
    ``start_timeout_s``). With ``log_level``, uvicorn's and Showdesk's loggers use it from
    the start (uvicorn sets its own when configured). ``prepare(app)`` runs before it
    serves (a test adds its own routes there); ``clock`` is the app's clock (default: the
    real time). Stop it by setting the server's
    ``should_exit`` and joining the thread."""
    port = free_port()
    settings = make_settings(data_dir, public_url=f"http://localhost:{port}", **overrides)
    app = create_app(settings, clock=clock)
    if prepare is not None:
        prepare(app)
    server = ShowdeskServer(uvicorn_config(app, settings, host="127.0.0.1", port=port), app)
    if log_level is not None:
        for name in ("uvicorn", "uvicorn.access", "uvicorn.error", "showdesk"):
            logging.getLogger(name).setLevel(log_level)
    live = LiveServer(app=app, url=settings.public_url, port=port)

    async def serve() -> None:
        live.loop = asyncio.get_running_loop()
        await server.serve()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()

    def started() -> bool | NotYet:
        if server.started:
            return True
        return NotYet("its thread has ended" if not thread.is_alive() else "still starting")

    wait_until(started, start_timeout_s, "the test server to start")
    return live, server, thread


@dataclass
class ServerProcess:
    """A running ``showdesk serve`` process."""

    url: str
    proc: subprocess.Popen
    output: Callable[[], str]  # everything the process printed so far


@contextmanager
def served(
    cwd: Path,
    *args: str,
    scheme: str = "http",
    log_name: str = "server.log",
    relay_workers: int | None = 1,
    env: dict[str, str] | None = None,
) -> Iterator[ServerProcess]:
    """Run this checkout's ``python -m server.cli serve --port P ARGS`` in ``cwd`` (its
    ``./data``) with no SHOWDESK_ variables but ``SHOWDESK_RELAY_WORKERS=relay_workers``
    (None: the server's default, one per core), until healthy; stop it with SIGTERM
    afterwards (if still running). Its output goes to ``cwd/log_name``. ``env``: more
    variables to set."""
    port = free_port()
    extra_env = env
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOWDESK_")}
    env["PYTHONUNBUFFERED"] = "1"
    # the same code as the test's own, wherever the checkout is (the process runs in cwd)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    if relay_workers is not None:
        env["SHOWDESK_RELAY_WORKERS"] = str(relay_workers)
    env.update(extra_env or {})
    log_path = cwd / log_name
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port), *args],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"{scheme}://localhost:{port}"

    def healthy() -> bool | NotYet:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited at start with {proc.returncode}")
        try:
            status = httpx.get(f"{url}/healthz", timeout=1, verify=False).status_code
        except httpx.HTTPError as err:
            return NotYet(f"/healthz: {err!r}")
        return status == 200 or NotYet(f"/healthz answered {status}")

    try:
        wait_until(healthy, PROCESS_START_TIMEOUT_S, "the server process to start")
    except AssertionError as err:
        proc.kill()
        raise AssertionError(f"{err}\n{log_path.read_text()}") from None
    try:
        yield ServerProcess(url, proc, log_path.read_text)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=PROCESS_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
