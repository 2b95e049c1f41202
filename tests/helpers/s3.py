"""An S3-compatible store for tests: moto's S3 server on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from tests.helpers.servers import free_port

BUCKET = "showdesk-files"
REGION = "us-east-1"


@contextmanager
def moto_s3(port: int | None = None) -> Iterator[str]:
    """Run moto's S3 server (on ``port``, or a free one) until the block ends; yields its
    URL. It keeps no state across a restart on the same port."""
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_client(url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def s3_settings(url: str, bucket: str = BUCKET) -> dict[str, object]:
    """Setting overrides for a server that keeps its files in ``bucket`` at ``url``."""
    return {
        "storage": "s3",
        "s3_endpoint_url": url,
        "s3_bucket": bucket,
        "s3_region": REGION,
        "s3_access_key_id": SecretStr("testing"),
        "s3_secret_access_key": SecretStr("testing"),
    }


def create_bucket(url: str, name: str = BUCKET) -> None:
    s3_client(url).create_bucket(Bucket=name)
