"""Both storage backends keep the same contract: local disk, and an S3-compatible server
(moto's server mode on a loopback port, started here and stopped after)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from server.storage import LocalStorage, StorageError
from server.storage.s3 import S3Storage
from tests.helpers.s3 import create_bucket as _bucket
from tests.helpers.s3 import moto_s3
from tests.helpers.servers import free_port

CREDS = {"access_key_id": "testing", "secret_access_key": "testing", "region": "us-east-1"}


@pytest.fixture(scope="module")
def s3_server():
    with moto_s3() as url:
        yield {"port": urlsplit(url).port, "url": url}


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    server = request.getfixturevalue("s3_server")
    name = f"b{abs(hash(str(tmp_path))) % 10**10}"
    _bucket(server["url"], name)
    return S3Storage(bucket=name, staging=tmp_path / "stage", endpoint_url=server["url"], **CREDS)


def test_written_file_is_found_by_its_key(storage):
    key = "calls/abc/photos/1.jpg"
    path = storage.path_for_writing(key)
    assert not storage.exists(key)
    path.write_bytes(b"jpeg")
    storage.commit(key)
    assert storage.exists(key)
    assert storage.size(key) == 4
    assert storage.local_path(key).read_bytes() == b"jpeg"
    storage.delete(key)
    assert not storage.exists(key)


@pytest.mark.parametrize(
    "key", ["../x", "calls/../../etc/passwd", "/etc/passwd", "a//b", "", "a/./b"]
)
def test_keys_that_leave_the_root_are_refused(storage, key):
    with pytest.raises(StorageError):
        storage.path_for_writing(key)
    with pytest.raises(StorageError):
        storage.exists(key)


def test_missing_file_is_a_storage_error(storage):
    with pytest.raises(StorageError):
        storage.local_path("calls/none.webm")
    with pytest.raises(StorageError):
        storage.size("calls/none.webm")


def test_s3_upload_removes_the_staged_copy_and_reads_back_from_the_bucket(s3_server, tmp_path):
    _bucket(s3_server["url"], "readback")
    first = S3Storage(
        bucket="readback", staging=tmp_path / "a", endpoint_url=s3_server["url"], **CREDS
    )
    key = "calls/c1/tracks/buyer_video-0.webm"
    first.path_for_writing(key).write_bytes(b"x" * 100_000)
    first.commit(key)
    assert first.pending() == []
    # another node with an empty staging folder reads the same file from the bucket
    other = S3Storage(
        bucket="readback", staging=tmp_path / "b", endpoint_url=s3_server["url"], **CREDS
    )
    assert other.local_path(key).read_bytes() == b"x" * 100_000
    assert "testing" not in repr(other)


def test_s3_failed_upload_keeps_the_local_copy_and_is_retried(tmp_path):
    port = free_port()
    with moto_s3(port) as url:
        _bucket(url, "retry")
        storage = S3Storage(bucket="retry", staging=tmp_path / "s", endpoint_url=url, **CREDS)
    # the bucket's server has gone away mid-call
    key = "calls/c2/tracks/agent_audio-3.webm"
    storage.path_for_writing(key).write_bytes(b"segment")
    with pytest.raises(StorageError):
        storage.commit(key)
    assert storage.pending() == [key]
    assert storage.path_for_writing(key).read_bytes() == b"segment"
    with moto_s3(port) as url:  # back, but empty (moto keeps no state across restarts)
        _bucket(url, "retry")
        assert storage.retry_pending() == 0
        assert storage.local_path(key).read_bytes() == b"segment"


def test_the_servers_retry_loop_uploads_what_was_left_staged(s3_server, tmp_path):
    import asyncio

    from server.storage.factory import retry_uploads

    storage = S3Storage(
        bucket="loop", staging=tmp_path / "s", endpoint_url=s3_server["url"], **CREDS
    )
    key = "calls/c3/photos/a.jpg"
    storage.path_for_writing(key).write_bytes(b"left behind")
    with pytest.raises(StorageError):
        storage.commit(key)  # no bucket yet: the upload fails, the copy stays
    assert storage.pending() == [key]
    _bucket(s3_server["url"], "loop")

    async def one_round():
        task = asyncio.create_task(retry_uploads(storage, every_s=0.05))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if not storage.pending():
                break
        task.cancel()

    asyncio.run(one_round())
    assert storage.pending() == []
    assert storage.size(key) == len(b"left behind")


def test_s3_retry_leaves_files_still_being_written_alone(s3_server, tmp_path):
    _bucket(s3_server["url"], "live")
    storage = S3Storage(
        bucket="live", staging=tmp_path / "s", endpoint_url=s3_server["url"], **CREDS
    )
    key = "calls/c4/tracks/buyer_video-0.webm"
    path = storage.path_for_writing(key)
    path.write_bytes(b"half a track")  # a live track file, not committed yet
    assert storage.pending() == [] and storage.retry_pending() == 0
    assert path.read_bytes() == b"half a track" and not storage.exists(key)
    assert storage.write_root == path.parents[3]


def _parts(url: str, bucket: str, key: str) -> dict[str, int]:
    from tests.helpers.s3 import s3_client

    listed = s3_client(url).list_objects_v2(Bucket=bucket, Prefix=f"{key}.live/")
    return {o["Key"][len(key) + 6 :]: o["Size"] for o in listed.get("Contents", [])}


def test_s3_a_growing_file_is_sent_in_parts_and_another_node_rebuilds_it(s3_server, tmp_path):
    url = s3_server["url"]
    _bucket(url, "growing")
    writer = S3Storage(bucket="growing", staging=tmp_path / "a", endpoint_url=url, **CREDS)
    key = "calls/c5/tracks/buyer_video-0.webm"
    assert writer.upload_growth(key) == 0  # nothing written yet
    path = writer.path_for_writing(key)
    path.write_bytes(b"header+cluster1;")
    assert writer.upload_growth(key) == 16
    assert writer.upload_growth(key) == 0  # nothing new: no empty part
    with path.open("ab") as file:
        file.write(b"cluster2;")
    assert writer.upload_growth(key) == 9
    with path.open("ab") as file:
        file.write(b"cluster3, not sent")  # the machine is lost before the next round
    assert _parts(url, "growing", key) == {"000000000000": 16, "000000000016": 9}
    assert not writer.exists(key)  # never committed

    # another node: nothing on its disk, no whole file in the bucket, but the parts
    other = S3Storage(bucket="growing", staging=tmp_path / "b", endpoint_url=url, **CREDS)
    assert other.restore_live(key) is True
    assert other.local_path(key).read_bytes() == b"header+cluster1;cluster2;"
    assert other.restore_live(key) is False  # rebuilt already: it is on this disk now
    other.commit(key)
    assert other.size(key) == 25 and _parts(url, "growing", key) == {}
    assert other.restore_live(key) is False  # the whole file is in the bucket
    # the writer's own node still has its whole file on disk: nothing to rebuild there
    assert writer.restore_live(key) is False


def test_s3_a_part_that_fails_is_sent_again_with_the_next(tmp_path):
    port = free_port()
    with moto_s3(port) as url:
        _bucket(url, "flaky")
        storage = S3Storage(bucket="flaky", staging=tmp_path / "s", endpoint_url=url, **CREDS)
        key = "calls/c6/tracks/agent_audio-0.webm"
        path = storage.path_for_writing(key)
        path.write_bytes(b"first;")
        assert storage.upload_growth(key) == 6
    with path.open("ab") as file:
        file.write(b"second;")
    with pytest.raises(StorageError):
        storage.upload_growth(key)  # the bucket's server is away
    with moto_s3(port) as url:  # back
        _bucket(url, "flaky")
        with path.open("ab") as file:
            file.write(b"third;")
        assert storage.upload_growth(key) == 13  # what failed, and what came since
        assert _parts(url, "flaky", key) == {"000000000000": 6, "000000000006": 13}
        other = S3Storage(bucket="flaky", staging=tmp_path / "o", endpoint_url=url, **CREDS)
        assert other.restore_live(key) is True
        assert other.local_path(key).read_bytes() == b"first;second;third;"


def test_s3_parts_that_do_not_follow_on_are_left_out_and_delete_removes_them(s3_server, tmp_path):
    from tests.helpers.s3 import s3_client

    url = s3_server["url"]
    _bucket(url, "holes")
    client = s3_client(url)
    key = "calls/c7/tracks/buyer_audio-0.webm"
    for offset, body in ((0, b"abc"), (3, b"def"), (9, b"after a hole")):
        client.put_object(Bucket="holes", Key=f"{key}.live/{offset:012d}", Body=body)
    storage = S3Storage(bucket="holes", staging=tmp_path / "s", endpoint_url=url, **CREDS)
    assert storage.restore_live(key) is True
    assert storage.local_path(key).read_bytes() == b"abcdef"  # up to the hole
    storage.delete(key)
    assert _parts(url, "holes", key) == {} and not storage.exists(key)


def test_local_disk_has_nothing_to_send_or_rebuild(tmp_path):
    storage = LocalStorage(tmp_path / "files")
    key = "calls/c8/tracks/buyer_video-0.webm"
    storage.path_for_writing(key).write_bytes(b"live")
    assert storage.upload_growth(key) == 0
    assert storage.restore_live(key) is False
    assert storage.local_path(key).read_bytes() == b"live"
