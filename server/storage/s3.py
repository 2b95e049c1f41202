"""Files in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...), staged on local disk.

Writers still get a local path (``path_for_writing``); ``commit`` uploads the file, checks
that the bucket holds it at the written size, and only then removes the local copy.
Readers that need a local file (range responses, PyAV) get a cached download.

A failed upload leaves the staged file and a marker (``staging/retry/<key>``); the
server's retry loop (factory.py) uploads only marked files, never one still being
written (a live track, a resumable upload, a review file being made).

A file still being written (a live call's track) is sent in parts while it grows
(``upload_growth``): each part is the bytes the file gained since the part before, an
object ``<key>.live/<offset>`` (the offset of its first byte, 12 digits). The track
muxer only appends until it closes the file, so the parts laid end to end are the file
as it was at the last part, as a killed writer leaves it: ``restore_live`` rebuilds that
file when the node that wrote it is gone, and ``commit`` / ``delete`` remove the parts.

Every method blocks on the network: async code calls them in a thread
(``asyncio.to_thread`` / ``run_in_threadpool``), never on the event loop.
"""

from __future__ import annotations

import logging
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

log = logging.getLogger(__name__)
LIVE_PARTS = ".live/"  # a growing file's parts: <key>.live/<offset of their first byte>

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
        self._sent: dict[str, int] = {}  # growing file -> its bytes the parts hold
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
        try:
            self._delete_parts(key)
        except StorageError as error:  # the whole file is there: the parts only take room
            log.warning("%s; delete() removes them", error)

    def upload_growth(self, key: str) -> int:
        """Send what the file being written at ``key`` gained since the last call, as
        one part (module docstring); returns its size (0: nothing new, or no file being
        written there). A failed upload raises StorageError and the next call sends the
        same bytes again."""
        path = self._staged._path(key)
        start = self._sent.get(key, 0)
        try:
            with path.open("rb") as file:
                file.seek(start)
                data = file.read()
        except FileNotFoundError:
            return 0
        if not data:
            return 0
        part = f"{key}{LIVE_PARTS}{start:012d}"
        try:
            self._client.put_object(Bucket=self.bucket, Key=part, Body=data)
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"part of {key!r} at byte {start} not uploaded") from error
        head = self._head(part)
        if head is None or int(head["ContentLength"]) != len(data):
            raise StorageError(f"part of {key!r} at byte {start} not confirmed")
        self._sent[key] = start + len(data)
        return len(data)

    def restore_live(self, key: str) -> bool:
        """When neither this node's disk nor the bucket has the file at ``key`` but parts
        of it are in the bucket (its writer's node is gone): lay the parts that follow on
        from byte 0 end to end at ``path_for_writing(key)``, as the killed writer left
        the file, and return True (``commit`` then uploads it). Else False."""
        staged = self._staged.path_for_writing(key)
        if staged.is_file() or self._head(key) is not None:
            return False
        parts = self._parts(key)
        if not parts:
            return False
        partial = staged.with_name(staged.name + ".restoring")
        size = 0
        try:
            with partial.open("wb") as out:
                for offset, part in parts:
                    if offset != size:
                        log.warning("%s: parts stop at byte %d (next at %d)", key, size, offset)
                        break
                    body = self._client.get_object(Bucket=self.bucket, Key=part)["Body"]
                    chunk = body.read()
                    out.write(chunk)
                    size += len(chunk)
        except (BotoCoreError, ClientError) as error:
            partial.unlink(missing_ok=True)
            raise StorageError(f"parts of {key!r} could not be read") from error
        partial.replace(staged)
        return True

    def _parts(self, key: str) -> list[tuple[int, str]]:
        """(offset, object key) of the parts of ``key``, in order."""
        prefix = f"{key}{LIVE_PARTS}"
        found = []
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    tail = item["Key"][len(prefix) :]
                    if tail.isdigit():
                        found.append((int(tail), item["Key"]))
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"parts of {key!r} could not be listed") from error
        return sorted(found)

    def _delete_parts(self, key: str) -> None:
        self._sent.pop(key, None)
        parts = [part for _, part in self._parts(key)]
        for i in range(0, len(parts), 1000):  # DeleteObjects takes 1,000 keys at a time
            batch = [{"Key": part} for part in parts[i : i + 1000]]
            try:
                self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})
            except (BotoCoreError, ClientError) as error:
                raise StorageError(f"parts of {key!r} could not be deleted") from error

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
        self._delete_parts(key)
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
