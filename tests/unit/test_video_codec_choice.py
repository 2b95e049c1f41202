"""The call's video codec, chosen from what a leg offers and the server's order."""

from __future__ import annotations

import pytest

from server.relay.codecs import choose_video_codec, leg_video_codec

DEFAULT = ("VP8", "H264")


@pytest.mark.parametrize(
    ("offered", "preferred", "chosen"),
    [
        (["VP8", "VP9", "H264", "AV1"], DEFAULT, "VP8"),  # Chromium: the server's first
        (["H264", "VP8"], DEFAULT, "VP8"),  # the offer's own order does not decide
        (["H264"], DEFAULT, "H264"),  # a device that has only H.264
        (["VP8", "VP9", "AV1"], ("H264", "VP8"), "VP8"),  # Firefox without OpenH264
        (["VP8", "VP9", "AV1"], ("H264",), None),  # ... and a server that takes only H.264
        (["VP9", "AV1"], DEFAULT, None),
        ([], DEFAULT, None),
        (["h264"], DEFAULT, "H264"),  # names compare without case
    ],
)
def test_the_first_preferred_codec_the_offer_holds_is_chosen(offered, preferred, chosen):
    assert choose_video_codec(offered, preferred) == chosen


def test_a_leg_of_a_call_with_a_codec_gets_that_codec_or_none():
    assert leg_video_codec(["VP8", "H264"], DEFAULT, "H264") == "H264"
    assert leg_video_codec(["VP8", "VP9"], DEFAULT, "H264") is None
    assert leg_video_codec(["VP8", "H264"], DEFAULT, None) == "VP8"
