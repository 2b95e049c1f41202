"""Files in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...), staged on local disk.

Writers still get a local path (``path_for_writing``); ``commit`` uploads the file, checks
that the bucket holds it at the written size, and only then removes the local copy.
Readers that need a local file (range responses, PyAV) get a cached download.

A failed upload leaves the staged file and a marker (``staging/retry/<key>``); the
server's retry loop (factory.py) uploads only marked files, never one still being
written (a live track, a resumable upload, a review file being made).

Every method blocks on the network: async code calls them in a thread
(``asyncio.to_thread`` / ``run_in_threadpool``), never on the event loop.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from server.storage.base import StorageError
from server.storage.local import LocalStorage

# botocore retries failed requests (connection errors, 5xx, throttling) itself.
_CLIENT_CONFIG = Config(retries={"max_attempts": 8, "mode": "standard"}, connect_timeout=5)


class S3Storage:
    """``Storage`` on a bucket; ``staging`` holds files being written and read caches."""

    def __init__(
        self,
        *,
        bucket: str,
        staging: Path,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self._staged = LocalStorage(staging / "write")
        self._cache = LocalStorage(staging / "read")
        self._retry = LocalStorage(staging / "retry")
        self._lock = threading.Lock()
        self._client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=_CLIENT_CONFIG,
        )

    def __repr__(self) -> str:  # credentials never appear in logs
        return f"S3Storage(bucket={self.bucket!r})"

    def _head(self, key: str) -> dict | None:
        self._staged._path(key)  # validates the key
        try:
            return self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StorageError(f"storage could not be read at {key!r}") from error
        except BotoCoreError as error:
            raise StorageError(f"storage could not be reached for {key!r}") from error

    @property
    def write_root(self) -> Path:
        """Where ``path_for_writing`` puts files (relay workers write live tracks here)."""
        return self._staged.root

    def path_for_writing(self, key: str) -> Path:
        return self._staged.path_for_writing(key)

    def commit(self, key: str) -> None:
        """Upload the written file; the local copy goes only once the bucket has it.
        On failure the copy stays, marked for the retry loop, and StorageError is raised."""
        path = self._staged.local_path(key)
        written = path.stat().st_size
        try:
            try:
                self._client.upload_file(str(path), self.bucket, key)
            except (BotoCoreError, ClientError, S3UploadFailedError) as error:
                raise StorageError(f"upload of {key!r} failed; the local copy is kept") from error
            head = self._head(key)
            if head is None or int(head["ContentLength"]) != written:
                raise StorageError(f"upload of {key!r} not confirmed; the local copy is kept")
        except StorageError:
            self._retry.path_for_writing(key).touch()
            raise
        cached = self._cache.path_for_writing(key)
        with self._lock:
            shutil.move(path, cached)  # the fresh upload doubles as the read cache
        self._retry.delete(key)

    def local_path(self, key: str) -> Path:
        staged = self._staged.path_for_writing(key)
        if staged.is_file():  # written here and not uploaded yet (as on local disk)
            return staged
        head = self._head(key)
        if head is None:
            raise StorageError(f"no file at {key!r}")
        target = self._cache.path_for_writing(key)
        if target.is_file() and target.stat().st_size == int(head["ContentLength"]):
            return target
        partial = target.with_name(target.name + ".part")
        try:
            self._client.download_file(self.bucket, key, str(partial))
        except (BotoCoreError, ClientError) as error:
            partial.unlink(missing_ok=True)
            raise StorageError(f"download of {key!r} failed") from error
        partial.replace(target)
        return target

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise StorageError(f"no file at {key!r}")
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self._staged._path(key)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"delete of {key!r} failed") from error
        self._cache.delete(key)
        self._staged.delete(key)
        self._retry.delete(key)

    def pending(self) -> list[str]:
        """Keys whose upload failed and whose local copy waits for a retry."""
        root = self._retry.root
        if not root.is_dir():
            return []
        keys = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        for key in [k for k in keys if not self._staged.exists(k)]:
            self._retry.delete(key)  # deleted meanwhile: nothing to upload
            keys.remove(key)
        return keys

    def retry_pending(self) -> int:
        """Upload what an earlier commit could not; returns how many are still pending."""
        for key in self.pending():
            try:
                self.commit(key)
            except StorageError:
                pass
        return len(self.pending())
