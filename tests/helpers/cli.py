"""The ``showdesk`` command run as a user runs it: a real process on a data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.servers import TEST_SECRET_KEY


def showdesk(
    data_dir: Path,
    *args: str,
    stdin: str | None = None,
    public_url: str | None = "https://support.shop.test",
) -> subprocess.CompletedProcess:
    """Run ``python -m server.cli ARGS`` with ``data_dir`` as its data directory, the
    tests' secret key and ``public_url`` as ``SHOWDESK_PUBLIC_URL`` (None: not set);
    returns the finished process (output captured)."""
    env = {k: v for k, v in os.environ.items() if k != "SHOWDESK_PUBLIC_URL"}
    env |= {"SHOWDESK_DATA_DIR": str(data_dir), "SHOWDESK_SECRET_KEY": TEST_SECRET_KEY}
    if public_url is not None:
        env["SHOWDESK_PUBLIC_URL"] = public_url
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        input=stdin or "",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
