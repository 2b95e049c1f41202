"""The ``showdesk`` command run as a user runs it: a real process on a data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.servers import TEST_SECRET_KEY


def showdesk(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m server.cli ARGS`` with ``data_dir`` as its data directory, the
    tests' secret key and a public URL; returns the finished process (output captured)."""
    env = {
        **os.environ,
        "SHOWDESK_DATA_DIR": str(data_dir),
        "SHOWDESK_SECRET_KEY": TEST_SECRET_KEY,
        "SHOWDESK_PUBLIC_URL": "https://support.shop.test",
    }
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        input=stdin or "",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
