"""The agent's phone camera codes and passes (server/calls/phone_camera.py): short,
readable, bound to one agent and one call, used once, gone when they expire; refusals
all alike."""

from __future__ import annotations

import pytest

from server.calls.phone_camera import (
    ALPHABET,
    CODE_LENGTH,
    PASS_TTL_S,
    CameraPass,
    CodeRefused,
    PhoneCameras,
    normalize_code,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refusal(cameras: PhoneCameras, code: str, user: int | None = None) -> tuple[str, str]:
    with pytest.raises(CodeRefused) as refused:
        cameras.claim(code, user)
    return refused.value.code, refused.value.message


def test_a_code_is_short_unambiguous_and_random() -> None:
    cameras = PhoneCameras(Clock(), 300)
    codes = {cameras.issue(f"call-{i}", 7)[0] for i in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)
    assert normalize_code(" ab-cd efgh ") == "ABCDEFGH"


def test_a_code_is_claimed_once_by_its_agent_or_a_browser_not_signed_in() -> None:
    clock = Clock()
    cameras = PhoneCameras(clock, 300)
    code, expires_at = cameras.issue("call-1", 7)
    assert expires_at == clock.now + 300
    unknown = refusal(cameras, "ZZZZZZZZ")
    assert unknown == ("camera_code_invalid", unknown[1])
    assert refusal(cameras, code, user=8) == unknown  # another staff member signed in
    grant, token = cameras.claim(code, 7)  # its own agent signed in on the phone
    assert grant == CameraPass("call-1", 7)
    assert refusal(cameras, code) == unknown  # used
    assert cameras.redeem(token) == grant
    assert cameras.redeem(token) is None  # one socket


def test_codes_and_passes_expire() -> None:
    clock = Clock()
    cameras = PhoneCameras(clock, 300)
    code, _ = cameras.issue("call-1", 7)
    clock.now += 300
    assert refusal(cameras, code) == refusal(cameras, "ZZZZZZZZ")
    code, _ = cameras.issue("call-1", 7)
    _, token = cameras.claim(code, None)
    clock.now += PASS_TTL_S
    assert cameras.redeem(token) is None


def test_one_phone_per_call_and_the_calls_end_forgets_it() -> None:
    cameras = PhoneCameras(Clock(), 300)
    assert cameras.connected("call-1", "c1") is None
    assert cameras.state_of("call-1") == "connecting"
    cameras.went_live("call-1")
    assert cameras.state_of("call-1") == "live"
    assert cameras.connected("call-1", "c2") == "c1"  # the newer phone replaces it
    assert cameras.state_of("call-1") == "connecting"
    assert cameras.gone("c1") is None  # the replaced phone's going changes nothing
    code, _ = cameras.issue("call-1", 7)
    assert cameras.call_ended("call-1") == "c2"
    assert refusal(cameras, code) == refusal(cameras, "ZZZZZZZZ")
    assert cameras.gone("c2") == "call-1"
    assert cameras.state_of("call-1") is None
