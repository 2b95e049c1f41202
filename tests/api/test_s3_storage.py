"""With SHOWDESK_STORAGE=s3 a buyer's clip lands in the bucket (moto's S3 server on a
loopback port), no staged copy stays behind, and staff play it with ranges from there."""

from __future__ import annotations

import socket

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from server.app import create_app
from tests.helpers.case_uploads import create, patch, webm_clip
from tests.helpers.links import make_link
from tests.helpers.people import buyer, staff


@pytest.fixture(scope="module")
def s3_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_url):
    client = boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket="showdesk-files")
    return client


@pytest.fixture
def app(settings, clock, s3_url, bucket):
    s3 = settings.model_copy(
        update={
            "storage": "s3",
            "s3_endpoint_url": s3_url,
            "s3_bucket": "showdesk-files",
            "s3_region": "us-east-1",
            "s3_access_key_id": SecretStr("testing"),
            "s3_secret_access_key": SecretStr("testing"),
        }
    )
    return create_app(s3, clock=clock)


def test_a_case_clip_is_stored_in_the_bucket_and_served_with_ranges(client, app, bucket):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip()
    location = create(person, len(clip)).headers["Location"]
    assert patch(person, location, 0, clip).status_code == 204
    assert person.post("/api/buyer/case/submit", json={"note": "dented"}).status_code == 201

    objects = bucket.list_objects_v2(Bucket="showdesk-files").get("Contents", [])
    (stored,) = [o for o in objects if o["Key"].startswith("cases/")]
    assert stored["Size"] == len(clip)
    staged = app.state.settings.data_dir / "s3-staging" / "write"
    assert not [p for p in staged.rglob("*") if p.is_file()]
    assert not (app.state.settings.data_dir / "files" / "cases").exists()

    agent, _ = staff(client, app, "agent@example.com", "agent")
    case_id = agent.get("/api/cases").json()["cases"][0]["id"]
    (row,) = agent.get(f"/api/cases/{case_id}").json()["files"]
    ranged = agent.get(row["url"], headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.content == clip[:10]
    past = agent.get(row["url"], headers={"Range": f"bytes={len(clip) + 10}-"})
    assert past.status_code == 416
