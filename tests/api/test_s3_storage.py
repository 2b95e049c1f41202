"""With SHOWDESK_STORAGE=s3 a buyer's clip lands in the bucket (moto's S3 server on a
loopback port), no staged copy stays behind, and staff play it with ranges from there."""

from __future__ import annotations

import pytest

from server.app import create_app
from tests.helpers.case_uploads import create, patch, webm_clip
from tests.helpers.links import make_link
from tests.helpers.people import buyer, staff
from tests.helpers.s3 import BUCKET, moto_s3, s3_client, s3_settings


@pytest.fixture(scope="module")
def s3_url():
    with moto_s3() as url:
        yield url


@pytest.fixture
def bucket(s3_url):
    client = s3_client(s3_url)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def app(settings, clock, s3_url, bucket):
    return create_app(settings.model_copy(update=s3_settings(s3_url)), clock=clock)


def test_a_case_clip_is_stored_in_the_bucket_and_served_with_ranges(client, app, bucket):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip()
    location = create(person, len(clip)).headers["Location"]
    assert patch(person, location, 0, clip).status_code == 204
    assert person.post("/api/buyer/case/submit", json={"note": "dented"}).status_code == 201

    objects = bucket.list_objects_v2(Bucket=BUCKET).get("Contents", [])
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
