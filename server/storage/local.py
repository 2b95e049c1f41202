"""Files on local disk under one root directory (the data directory's ``files``)."""

from __future__ import annotations

import re
from pathlib import Path

from server.storage.base import StorageError

_KEY = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")


class LocalStorage:
    """``Storage`` on a local directory; keys can never leave ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
            raise StorageError(f"not a storage key: {key[:80]!r}")
        return self.root / key

    @property
    def write_root(self) -> Path:
        """Where ``path_for_writing`` puts files (relay workers write live tracks here)."""
        return self.root

    def path_for_writing(self, key: str) -> Path:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def commit(self, key: str) -> None:
        if not self._path(key).is_file():
            raise StorageError(f"nothing was written at {key!r}")

    def local_path(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"no file at {key!r}")
        return path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self.local_path(key).stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def upload_growth(self, key: str) -> int:
        """Nothing to send: a file being written is already where it is kept."""
        self._path(key)
        return 0

    def restore_live(self, key: str) -> bool:
        """Nothing to restore: files are only ever on this disk."""
        self._path(key)
        return False
