"""The public URL of the server running on a data directory, for the commands that build
links while it runs (``showdesk link create``).

``showdesk serve --port 8811`` without ``SHOWDESK_PUBLIC_URL`` serves at
``http://localhost:8811``, a URL only its own process knows. It writes the URL it
serves at to ``<data_dir>/public_url`` (owner only) when it starts; a command on the
same data directory builds its links from that file unless ``SHOWDESK_PUBLIC_URL`` is
set, which always wins. The file stays after a stop: the last server's address is the
best guess for the next."""

from __future__ import annotations

import os
from pathlib import Path

from server.infra.config import Settings

PUBLIC_URL_FILE = "public_url"
PUBLIC_URL_ENV = "SHOWDESK_PUBLIC_URL"
FILE_MODE = 0o600


def _path(settings: Settings) -> Path:
    return settings.data_dir / PUBLIC_URL_FILE


def remember(settings: Settings) -> None:
    """Record the public URL ``settings`` serve at, for the other commands."""
    path = _path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(settings.public_url + "\n")


def for_links(settings: Settings) -> str:
    """The base URL for a new link: ``SHOWDESK_PUBLIC_URL`` when set, else the URL the
    server on this data directory last served at, else the configured default."""
    if PUBLIC_URL_ENV in os.environ:
        return settings.public_url
    try:
        recorded = _path(settings).read_text(encoding="utf-8").strip()
    except OSError:
        return settings.public_url
    if recorded.startswith(("http://", "https://")) and "\n" not in recorded:
        return recorded.rstrip("/")
    return settings.public_url
