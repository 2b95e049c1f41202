"""A throwaway PostgreSQL server for the tests that prove the code is not SQLite-only."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.helpers.servers import free_port
from tests.helpers.waiting import service_ready


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    if not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} is missing: apt-get install postgresql")
    return found[-1]


def _as_owner(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start PostgreSQL in a new temporary directory on a free loopback port; yield an
    admin URL; stop it and remove the directory."""
    base = Path(tempfile.mkdtemp(prefix="showdesk-pg-"))  # not under pytest's root-only tmp
    data = base / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run(
        _as_owner([_binary("initdb"), "-D", str(data), "-A", "trust", "-U", "showdesk"]),
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        _as_owner(
            [
                _binary("postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-h",
                "127.0.0.1",
                "-k",
                str(data),
                "-F",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql://showdesk@127.0.0.1:{port}/postgres"
    service_ready(
        server,
        lambda: psycopg.connect(url, connect_timeout=1).close(),
        psycopg.OperationalError,
        30,
        "PostgreSQL",
    )
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(base, ignore_errors=True)


def fresh_database(admin_url: str, name: str) -> str:
    """Create database ``name``; return its SQLAlchemy URL (psycopg 3 driver)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return (
        admin_url.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
    )
