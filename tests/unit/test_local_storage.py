"""Local storage keeps files under its root and refuses keys that would leave it."""

from __future__ import annotations

import pytest

from server.storage import LocalStorage, StorageError


def test_written_file_is_found_by_its_key(tmp_path):
    storage = LocalStorage(tmp_path)
    path = storage.path_for_writing("calls/abc/photos/1.jpg")
    assert not storage.exists("calls/abc/photos/1.jpg")
    path.write_bytes(b"jpeg")
    storage.commit("calls/abc/photos/1.jpg")
    assert storage.size("calls/abc/photos/1.jpg") == 4
    assert storage.local_path("calls/abc/photos/1.jpg") == path
    storage.delete("calls/abc/photos/1.jpg")
    assert not storage.exists("calls/abc/photos/1.jpg")


@pytest.mark.parametrize(
    "key", ["../x", "calls/../../etc/passwd", "/etc/passwd", "a//b", "", "a/./b"]
)
def test_keys_that_leave_the_root_are_refused(tmp_path, key):
    with pytest.raises(StorageError):
        LocalStorage(tmp_path).path_for_writing(key)


def test_missing_file_is_a_storage_error(tmp_path):
    with pytest.raises(StorageError):
        LocalStorage(tmp_path).local_path("calls/none.webm")
