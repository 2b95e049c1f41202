"""Keyframe detection on whole encoded frames, as the relay depayloads them."""

from __future__ import annotations

from server.relay.bitstream import is_keyframe
from tests.helpers.clips import vp8_clip


def test_a_vp8_keyframe_is_told_from_a_delta_frame():
    clip = vp8_clip()
    assert is_keyframe("VP8", clip[0]) and is_keyframe("vp8", clip[0])
    assert not is_keyframe("VP8", clip[1])


def test_the_tail_of_a_vp8_keyframe_is_not_a_keyframe():
    """A frame whose first packet was lost for good starts inside the frame; a key
    frame's tag bit alone would pass half of those."""
    keyframe = vp8_clip()[0]
    tails = [keyframe[at:] for at in range(1, len(keyframe) - 10) if keyframe[at] & 1 == 0]
    assert tails, "the clip's keyframe has even bytes"
    assert not any(is_keyframe("VP8", tail) for tail in tails)
    assert not is_keyframe("VP8", b"") and not is_keyframe("VP8", keyframe[:5])


def test_h264_keyframes_carry_a_parameter_set_or_an_idr_picture_from_its_first_slice():
    sps_and_idr = b"\x00\x00\x00\x01\x67\x42" + b"\x00\x00\x01\x65\x88"
    idr_alone = b"\x00\x00\x00\x01\x65\x88\x84"  # first_mb_in_slice 0
    later_idr_slice = b"\x00\x00\x00\x01\x65\x12\x34"  # the tail of a multi-slice IDR
    delta = b"\x00\x00\x00\x01\x41\x9a"
    assert is_keyframe("H264", sps_and_idr) and is_keyframe("H264", idr_alone)
    assert not is_keyframe("H264", later_idr_slice) and not is_keyframe("H264", delta)
    assert not is_keyframe("H264", b"\x65\x88\x84")  # the middle of a fragmented NAL unit


def test_audio_frames_are_all_independent():
    assert is_keyframe("opus", b"\x01\x02")
