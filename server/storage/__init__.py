"""Where a call's files live: a small interface, local disk for now.

Keys are relative paths such as ``calls/<call id>/tracks/buyer_video-0.webm``. The
S3-compatible store planned later implements the same interface (writers then produce a
local file first and ``commit`` uploads it).
"""

from server.storage.base import Storage, StorageError
from server.storage.local import LocalStorage

__all__ = ["LocalStorage", "Storage", "StorageError"]
