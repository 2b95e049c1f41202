"""The storage interface."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class StorageError(Exception):
    """A key that is malformed or missing."""


class Storage(Protocol):
    """Files of calls, addressed by key.

    - ``path_for_writing(key)``: a local path to write the file at (parent folders made);
      the file is not visible through ``exists`` until it has been written there.
    - ``commit(key)``: the file at ``path_for_writing(key)`` is complete (a no-op on local
      disk; an upload elsewhere).
    - ``write_root``: the directory ``path_for_writing`` writes under (relay worker
      processes write live track files there with a ``LocalStorage`` of it).
    - ``local_path(key)``: a local path to read the file from (for range responses and
      PyAV); raises StorageError if it does not exist.
    - ``upload_growth(key)``: send what the file being written at ``path_for_writing(key)``
      gained since the last call, so that it outlives this machine before ``commit``;
      returns how many bytes went (0 on local disk). ``restore_live(key)``: the file is
      neither here nor stored whole: rebuild it at ``path_for_writing(key)`` from what
      ``upload_growth`` sent, and return True (False: nothing to rebuild).
    """

    @property
    def write_root(self) -> Path: ...

    def path_for_writing(self, key: str) -> Path: ...

    def commit(self, key: str) -> None: ...

    def local_path(self, key: str) -> Path: ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None: ...

    def upload_growth(self, key: str) -> int: ...

    def restore_live(self, key: str) -> bool: ...
