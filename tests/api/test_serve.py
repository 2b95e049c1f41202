"""``showdesk serve`` as a user starts it: a real process on a free loopback port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port


@pytest.fixture
def served(tmp_path: Path):
    """Start ``showdesk serve --demo`` in ``tmp_path``; yield (base url, output reader)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOWDESK_")}
    env["PYTHONUNBUFFERED"] = "1"
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--demo", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://localhost:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise AssertionError("server did not start:\n" + log_path.read_text())
        time.sleep(0.05)
    yield base, log_path.read_text
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def test_first_start_creates_admin_demo_accounts_and_a_link_and_prints_them(served, tmp_path):
    base, output = served
    text = output()
    assert f"{base}/login" in text and f"{base}/console" in text
    admin = re.search(r"admin@showdesk\.local\s+one-time password: (\S+)", text)
    agent = re.search(r"agent@showdesk\.local\s+one-time password: (\S+)", text)
    link = re.search(rf"buyer link\s+({re.escape(base)}/j/\S+)", text)
    assert admin and agent and link, text
    assert (tmp_path / "data" / "showdesk.db").exists()
    assert (tmp_path / "data" / "secret_key").exists()
    with httpx.Client(base_url=base) as staff:
        answer = staff.post(
            "/api/auth/login",
            json={"email": "admin@showdesk.local", "password": admin.group(1)},
        )
        assert answer.status_code == 200 and answer.json()["must_change_password"] is True
    with httpx.Client() as buyer:
        opened = buyer.get(link.group(1), follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == "/call"


def test_access_log_redacts_link_tokens(served):
    base, output = served
    link = re.search(rf"buyer link\s+{re.escape(base)}/j/(\S+)", output()).group(1)
    with httpx.Client() as buyer:
        buyer.get(f"{base}/j/{link}", follow_redirects=False)
        buyer.get(f"{base}/j/{link}x", follow_redirects=False)
    deadline = time.monotonic() + 5
    while "/j/[redacted]" not in output() and time.monotonic() < deadline:
        time.sleep(0.05)
    text = output().split("Stop with Ctrl-C.")[-1]  # after the first-start printout
    assert "/j/[redacted]" in text
    assert link not in text
