"""``showdesk serve`` as a user starts it: a real process on a free loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import free_port

START_TIMEOUT_S = 30  # migrations and a cold import take a few seconds on a busy machine
STOP_TIMEOUT_S = 20


@dataclass
class ServerProcess:
    url: str
    proc: subprocess.Popen
    output: Callable[[], str]  # everything the process printed so far


@contextmanager
def served(
    cwd: Path, *args: str, scheme: str = "http", log_name: str = "server.log"
) -> Iterator[ServerProcess]:
    """Run ``python -m server.cli serve --port P ARGS`` in ``cwd`` (its ``./data``) with no
    SHOWDESK_ variables, until healthy; stop it with SIGTERM afterwards (if still running)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOWDESK_")}
    env["PYTHONUNBUFFERED"] = "1"
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
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1, verify=False).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise AssertionError("server did not start:\n" + log_path.read_text())
        time.sleep(0.05)
    try:
        yield ServerProcess(url, proc, log_path.read_text)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
