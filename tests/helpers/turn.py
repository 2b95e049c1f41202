"""coturn (Debian's ``coturn`` package) for the tests: ``turnserver -c FILE`` in the
foreground on 127.0.0.1 and a free port, with a configuration, pid file, database and
log of its own in a temporary directory (never the system's /etc/turnserver.conf or
service), shared-secret credentials (``use-auth-secret``), stopped after.

coturn refuses to relay to loopback peers by default (4.6: only ``allowed-peer-ip`` or
``allow-loopback-peers`` lets it), and the tests' browsers and relay all live on this
machine, so 127.0.0.1 is allowed explicitly; every other address is as coturn has it."""

from __future__ import annotations

import secrets
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.servers import free_port
from tests.helpers.waiting import NotYet, wait_until

TURNSERVER = "turnserver"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0
REALM = "showdesk.test"


@dataclass(frozen=True)
class Coturn:
    """A running coturn: its port, shared secret and log."""

    port: int
    secret: str
    log_path: Path

    @property
    def urls(self) -> list[str]:
        """The TURN URLs of this server, UDP first (as ``SHOWDESK_TURN_URLS``)."""
        return [
            f"turn:127.0.0.1:{self.port}?transport=udp",
            f"turn:127.0.0.1:{self.port}?transport=tcp",
        ]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def coturn_config(directory: Path, port: int, secret: str) -> str:
    """The configuration file's text for a coturn in ``directory`` on ``port``."""
    return "\n".join(
        [
            "listening-ip=127.0.0.1",
            "relay-ip=127.0.0.1",
            f"listening-port={port}",
            "no-tls",
            "no-dtls",
            "use-auth-secret",
            f"static-auth-secret={secret}",
            f"realm={REALM}",
            "fingerprint",
            "no-multicast-peers",
            "allowed-peer-ip=127.0.0.1",
            "no-cli",
            "no-rfc5780",
            "no-stun-backward-compatibility",
            f"pidfile={directory / 'turnserver.pid'}",
            f"userdb={directory / 'turndb.sqlite'}",
            f"log-file={directory / 'turn.log'}",
            "simple-log",
            "",
        ]
    )


def _accepts_tcp(port: int) -> bool | NotYet:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError as exc:
        return NotYet(f"127.0.0.1:{port}: {exc}")


@contextmanager
def coturn(directory: Path) -> Iterator[Coturn]:
    """Run coturn with its files in ``directory`` until the block ends."""
    if shutil.which(TURNSERVER) is None:
        raise RuntimeError("turnserver is missing: apt-get install coturn (tests/run.sh does)")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    secret = secrets.token_urlsafe(32)
    config = directory / "turnserver.conf"
    config.write_text(coturn_config(directory, port, secret))
    output = directory / "turnserver.out"
    with open(output, "wb") as sink:
        proc = subprocess.Popen(
            [TURNSERVER, "-c", str(config)], stdout=sink, stderr=subprocess.STDOUT
        )
    server = Coturn(port=port, secret=secret, log_path=directory / "turn.log")

    def started() -> bool | NotYet:
        if proc.poll() is not None:
            raise AssertionError(
                f"turnserver exited with {proc.returncode}: {output.read_text(errors='replace')}"
            )
        return _accepts_tcp(port)

    try:
        wait_until(started, START_TIMEOUT_S, "coturn to listen")
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
