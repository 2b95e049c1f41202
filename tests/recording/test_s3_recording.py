"""A call recorded on SHOWDESK_STORAGE=s3 (moto's S3 server on loopback), held by real
aiortc peers: its track files and review file end up in the bucket, nothing stays staged,
and staff play the review file with ranges, also from a second server with an empty
data directory on the same bucket and database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.helpers.calls import engine_cookies, live_call
from tests.helpers.recordings import all_ready
from tests.helpers.s3 import BUCKET, moto_s3, s3_client, s3_settings
from tests.helpers.waiting import wait_in_thread

HOLD_S = 3.0


@pytest.fixture(scope="module")
def s3_url():
    with moto_s3() as url:
        yield url


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []


async def play_review(base_url: str, cookie: str, session_id: str, expected: bytes) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers={"Cookie": cookie}) as http:
        url = f"/api/sessions/{session_id}/recording"
        head = await http.get(url, headers={"Range": "bytes=0-99"})
        assert head.status_code == 206, head.text
        assert head.content == expected[:100]
        assert head.headers["content-range"] == f"bytes 0-99/{len(expected)}"
        tail = await http.get(url, headers={"Range": f"bytes={len(expected) - 50}-"})
        assert tail.status_code == 206 and tail.content == expected[-50:]


async def test_a_call_recorded_on_s3_lands_in_the_bucket_and_plays_from_any_node(
    server_factory, s3_url
):
    bucket = s3_client(s3_url)
    bucket.create_bucket(Bucket=BUCKET)
    node = server_factory(**s3_settings(s3_url))
    engine, data_dir = node.app.state.engine, node.app.state.settings.data_dir
    staff, buyer = engine_cookies(engine, node.url)
    agent = await staff("ana@shop.test")
    async with live_call(node.url, agent, await buyer("R-S3")) as call:
        await asyncio.sleep(HOLD_S)
        await call.end()
    rows = await wait_in_thread(all_ready(engine, call.session_id), 30, "tracks and review ready")

    listed = bucket.list_objects_v2(Bucket=BUCKET, Prefix=f"calls/{call.session_id}/")
    stored = {o["Key"]: o["Size"] for o in listed.get("Contents", [])}
    assert {r.storage_key: r.size_bytes for r in rows} == stored
    assert {r.track for r in rows if r.kind == "track"} == {
        "buyer_video",
        "buyer_audio",
        "agent_audio",
    }
    review = next(r for r in rows if r.kind == "review")
    assert review.storage_key == f"calls/{call.session_id}/review.webm"
    # confirmed in the bucket: no staged copy, nothing waiting for a retry, no local files
    assert files_under(data_dir / "s3-staging" / "write") == []
    assert files_under(data_dir / "s3-staging" / "retry") == []
    assert files_under(data_dir / "files") == []

    body = bucket.get_object(Bucket=BUCKET, Key=review.storage_key)["Body"].read()
    await play_review(node.url, agent, call.session_id, body)

    # a second node: an empty data directory, the same bucket and database
    other = server_factory(database_url=node.app.state.settings.db_url, **s3_settings(s3_url))
    assert files_under(other.app.state.settings.data_dir / "s3-staging") == []
    await play_review(other.url, agent, call.session_id, body)


async def test_a_call_ended_while_the_bucket_is_unreachable_is_kept_and_uploaded_later(
    server_factory, s3_url
):
    bucket_name = "showdesk-late"  # created only after the call: every upload fails first
    node = server_factory(**s3_settings(s3_url, bucket=bucket_name))
    engine, data_dir = node.app.state.engine, node.app.state.settings.data_dir
    staff, buyer = engine_cookies(engine, node.url)
    agent = await staff("ana@shop.test")
    async with live_call(node.url, agent, await buyer("R-S3-LATE")) as call:
        await asyncio.sleep(HOLD_S)
        await call.end()
    # the rows are ready from the local copies, each marked for the retry loop
    rows = await wait_in_thread(all_ready(engine, call.session_id), 30, "tracks and review ready")
    keys = {r.storage_key for r in rows}
    assert len(keys) == 4
    retry = data_dir / "s3-staging" / "retry"
    marked = {str(p.relative_to(retry)) for p in files_under(retry)}
    assert marked == keys
    review = next(r for r in rows if r.kind == "review")
    async with httpx.AsyncClient(base_url=node.url, headers={"Cookie": agent}) as http:
        answer = await http.get(f"/api/sessions/{call.session_id}/recording")
        assert answer.status_code == 200 and len(answer.content) == review.size_bytes

    # the bucket comes back: the server's retry loop uploads every file, nothing is left
    client = s3_client(s3_url)
    client.create_bucket(Bucket=bucket_name)

    def uploaded():
        listed = client.list_objects_v2(Bucket=bucket_name, Prefix=f"calls/{call.session_id}/")
        stored = {o["Key"]: o["Size"] for o in listed.get("Contents", [])}
        done = stored == {r.storage_key: r.size_bytes for r in rows}
        return (
            done and not files_under(retry) and not files_under(data_dir / "s3-staging" / "write")
        )

    await wait_in_thread(uploaded, 60, "every file uploaded by the retry loop")
