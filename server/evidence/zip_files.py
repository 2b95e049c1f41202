"""Files into a ZIP with the size and SHA-256 of what was written: one writer for the
evidence bundle (``bundle.py``, whose manifest lists them) and the order export
(``export.py``)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

CHUNK_BYTES = 1 << 20  # files are copied in pieces, never read whole into memory


class HashedZip:
    """Adds members to ``archive``; ``files`` lists each one added (name, size, sha256)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: list[dict[str, Any]] = []

    def data(self, name: str, payload: bytes) -> None:
        """Add ``payload`` as member ``name``."""
        self.archive.writestr(name, payload)
        self.files.append(
            {"name": name, "size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
        )

    def file(self, name: str, source: Path) -> None:
        """Copy the file ``source`` in as member ``name`` (OSError when it cannot be read:
        nothing is listed then)."""
        digest, size = hashlib.sha256(), 0
        with source.open("rb") as src, self.archive.open(name, "w", force_zip64=True) as dst:
            while chunk := src.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        self.files.append({"name": name, "size": size, "sha256": digest.hexdigest()})
