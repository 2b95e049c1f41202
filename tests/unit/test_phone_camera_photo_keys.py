"""The phone's photo key (server/calls/phone_camera.py): random, only its hash kept,
bound to the phone's live connection, dead when that connection closes, is replaced by
a newer phone or the call ends; an unknown key and a dead one are refused alike."""

from __future__ import annotations

import hashlib

import pytest

from server.calls.phone_camera import CameraPass, PhoneCameras

GRANT = CameraPass("call-1", 7)


def connected(cameras: PhoneCameras, conn_id: str, grant: CameraPass = GRANT) -> str:
    cameras.connected(grant.session_id, conn_id)
    return cameras.photo_key(conn_id, grant)


def test_a_photo_key_names_its_phone_and_only_its_hash_is_kept() -> None:
    cameras = PhoneCameras(lambda: 0.0, 300)
    key = connected(cameras, "conn-1")
    assert len(key) >= 43  # 256 bits, URL-safe base64
    found = cameras.photo_phone(key)
    assert found is not None and (found.grant, found.conn_id) == (GRANT, "conn-1")
    assert key not in repr(vars(cameras))
    assert hashlib.sha256(key.encode()).hexdigest() in repr(vars(cameras))
    assert connected(PhoneCameras(lambda: 0.0, 300), "conn-1") != key


def test_unknown_keys_and_other_calls_keys_name_no_phone() -> None:
    cameras = PhoneCameras(lambda: 0.0, 300)
    key = connected(cameras, "conn-1")
    other = connected(cameras, "conn-2", CameraPass("call-2", 8))
    assert cameras.photo_phone("") is None
    assert cameras.photo_phone(key[:-1]) is None
    assert cameras.photo_phone("x" * 43) is None
    found = cameras.photo_phone(other)
    assert found is not None and found.grant.session_id == "call-2"


def test_the_key_dies_when_its_phone_leaves() -> None:
    cameras = PhoneCameras(lambda: 0.0, 300)
    key = connected(cameras, "conn-1")
    assert cameras.gone("conn-1") == "call-1"
    assert cameras.photo_phone(key) is None


def test_a_newer_phone_kills_the_older_phones_key() -> None:
    cameras = PhoneCameras(lambda: 0.0, 300)
    old = connected(cameras, "conn-1")
    new = connected(cameras, "conn-2")
    assert cameras.photo_phone(old) is None
    found = cameras.photo_phone(new)
    assert found is not None and found.conn_id == "conn-2"
    # the older socket closing later leaves the newer phone's key alone
    assert cameras.gone("conn-1") is None
    assert cameras.photo_phone(new) is not None


def test_a_new_key_for_the_same_phone_replaces_its_old_one() -> None:
    cameras = PhoneCameras(lambda: 0.0, 300)
    first = connected(cameras, "conn-1")
    second = cameras.photo_key("conn-1", GRANT)
    assert cameras.photo_phone(first) is None
    assert cameras.photo_phone(second) is not None


def test_the_end_of_the_call_kills_the_key_before_the_phones_socket_closes() -> None:
    cameras = PhoneCameras(lambda: 0.0, 300)
    key = connected(cameras, "conn-1")
    assert cameras.call_ended("call-1") == "conn-1"
    assert cameras.photo_phone(key) is None


def test_only_the_calls_connected_phone_gets_a_key() -> None:
    cameras = PhoneCameras(lambda: 0.0, 300)
    with pytest.raises(ValueError):
        cameras.photo_key("conn-1", GRANT)
    cameras.connected("call-1", "conn-1")
    with pytest.raises(ValueError):
        cameras.photo_key("conn-2", GRANT)
