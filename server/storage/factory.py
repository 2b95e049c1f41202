"""The storage the settings name: local disk (the default) or an S3-compatible bucket."""

from __future__ import annotations

import asyncio
import logging

from server.infra.config import Settings
from server.storage.base import Storage
from server.storage.local import LocalStorage

log = logging.getLogger(__name__)
RETRY_EVERY_S = 10.0


def open_storage(settings: Settings) -> Storage:
    if settings.storage == "local":
        return LocalStorage(settings.data_dir / "files")
    from server.storage.s3 import S3Storage  # boto3 loaded only when used

    if not settings.s3_bucket:
        raise ValueError("SHOWDESK_STORAGE=s3 needs SHOWDESK_S3_BUCKET")

    def secret(value):
        return value.get_secret_value() if value is not None else None

    return S3Storage(
        bucket=settings.s3_bucket,
        staging=settings.data_dir / "s3-staging",
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=secret(settings.s3_access_key_id),
        secret_access_key=secret(settings.s3_secret_access_key),
    )


async def retry_uploads(storage: Storage, every_s: float = RETRY_EVERY_S) -> None:
    """Upload again what a failed ``commit`` left staged (S3 only), every ``every_s``."""
    retry = getattr(storage, "retry_pending", None)
    if retry is None:
        return
    while True:
        try:
            left = await asyncio.to_thread(retry)
        except Exception:  # noqa: BLE001 - the loop must outlive a bad round
            log.warning("storage upload retry failed; trying again", exc_info=False)
        else:
            if left:
                log.warning("storage: %d files still waiting for upload", left)
        await asyncio.sleep(every_s)
