"""A throwaway redis-server for the tests of several nodes: a free loopback port, a
temporary directory, no persistence, a password if asked; stopped (and its directory
removed) afterwards, or earlier by ``stop_redis``."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.helpers.servers import free_port
from tests.helpers.waiting import service_ready

REDIS_START_TIMEOUT_S = 20


@contextmanager
def redis_server(password: str | None = None) -> Iterator[str]:
    """Start ``redis-server`` on 127.0.0.1 and a free port, in a new temporary directory,
    without snapshots or an append-only file, asking for ``password`` if given; yield its
    URL (``redis://127.0.0.1:P/0``, ``redis://:PASSWORD@127.0.0.1:P/0``); stop it and
    remove the directory."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is missing: apt-get install redis-server")
    base = Path(tempfile.mkdtemp(prefix="showdesk-redis-"))
    port = free_port()
    server = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(base),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--logfile",
            str(base / "redis.log"),
            *(["--requirepass", password] if password else []),
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://{f':{password}@' if password else ''}127.0.0.1:{port}/0"

    def ping() -> None:
        with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
            client.ping()

    def log() -> str:
        path = base / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    try:
        service_ready(
            server, ping, redis.ConnectionError, REDIS_START_TIMEOUT_S, "redis-server", log
        )
    except RuntimeError:
        shutil.rmtree(base, ignore_errors=True)
        raise
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(base, ignore_errors=True)


def stop_redis(url: str) -> None:
    """Stop the redis-server at ``url`` now (``SHUTDOWN NOSAVE``), as if it went down:
    its clients' next requests are refused."""
    with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
        client.shutdown(nosave=True)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
