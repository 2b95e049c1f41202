"""Fixtures: settings in a temporary data directory, the app, and a real server on loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.app import create_app
from server.cli.serve import ShowdeskServer, uvicorn_config
from server.infra.clock import FrozenClock
from server.infra.config import Settings
from server.infra.security import PASSWORD_HASHING_FOR_TESTS

T = TypeVar("T")
TEST_SECRET_KEY = "test-secret-key-" + "x" * 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "secret_key": TEST_SECRET_KEY,
        "shop_name": "Test Shop",
        "password_hashing": PASSWORD_HASHING_FOR_TESTS,  # cheap; load_settings refuses it
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> FastAPI:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=app.state.settings.public_url) as test_client:
        yield test_client


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
    data_dir: Path, **overrides: object
) -> tuple[LiveServer, uvicorn.Server, threading.Thread]:
    port = free_port()
    settings = make_settings(data_dir, public_url=f"http://localhost:{port}", **overrides)
    app = create_app(settings)
    server = ShowdeskServer(uvicorn_config(app, settings, host="127.0.0.1", port=port), app)
    live = LiveServer(app=app, url=settings.public_url, port=port)

    async def serve() -> None:
        live.loop = asyncio.get_running_loop()
        await server.serve()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    import time

    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    return live, server, thread


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start real servers with setting overrides; all are stopped after the test."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(**overrides: object) -> LiveServer:
        data_dir = tmp_path / f"server{len(running)}"
        live, server, thread = start_live_server(data_dir, **overrides)
        running.append((server, thread))
        return live

    yield start
    for server, _ in running:
        server.should_exit = True
    for _, thread in running:
        thread.join(timeout=15)


@pytest.fixture
def live_server(server_factory: Callable[..., LiveServer]) -> LiveServer:
    """A real server on a free loopback port; stopped after the test."""
    return server_factory()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL server for this test session (stopped at the end)."""
    from tests.postgres import postgres_server

    with postgres_server() as url:
        yield url
