"""Fixtures: settings in a temporary data directory, the app, and a real server on
loopback. Built on tests/helpers (servers.py), which holds everything else."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.app import create_app
from server.infra.clock import FrozenClock
from server.infra.config import Settings
from tests.helpers.redis import redis_server
from tests.helpers.servers import (
    LiveServer,
    make_settings,
    migrated_database,
    seed_database,
    start_live_server,
)
from tests.helpers.turn import Coturn, coturn


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at the newest schema, migrated once per session."""
    return migrated_database(tmp_path_factory.mktemp("database-template"))


@pytest.fixture
def settings(tmp_path: Path, database_template: Path) -> Settings:
    """Test settings in ``tmp_path``, whose database starts as a copy of the template."""
    seed_database(database_template, tmp_path)
    return make_settings(tmp_path)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A redis-server of this test's own (its URL), stopped afterwards."""
    with redis_server() as url:
        yield url


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


@pytest.fixture
def server_factory(tmp_path: Path, database_template: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start real servers with setting overrides, each in a data directory of its own
    whose database starts as a copy of the template (unless ``database_url`` is given);
    all are stopped after the test."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(**overrides: object) -> LiveServer:
        data_dir = tmp_path / f"server{len(running)}"
        if "database_url" not in overrides:
            seed_database(database_template, data_dir)
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


@pytest.fixture
def coturn_server(tmp_path: Path) -> Iterator[Coturn]:
    """coturn on 127.0.0.1 and a free port, with shared-secret credentials and its own
    files under ``tmp_path`` (tests/helpers/turn.py); stopped after the test."""
    with coturn(tmp_path / "coturn") as running:
        yield running


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL server for this test session (stopped at the end)."""
    from tests.helpers.postgres import postgres_server

    with postgres_server() as url:
        yield url
