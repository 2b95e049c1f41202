"""Which answers accept a browser's video FEC (server/relay/fec.py ``accept_video_fec``)."""

from __future__ import annotations

from server.relay.fec import accept_video_fec
from server.relay.ulpfec import RedTypes

# Chromium 150's offer, cut to its codec lines (VP8, one H.264, RED, RTX of RED, ULPFEC)
OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 1 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "a=mid:0",
        "a=rtpmap:111 opus/48000/2",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 103 104 119 120 121",
        "a=mid:1",
        "a=sendrecv",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 nack",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=rtpmap:103 H264/90000",
        "a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "a=rtpmap:104 rtx/90000",
        "a=fmtp:104 apt=103",
        "a=rtpmap:119 red/90000",
        "a=rtpmap:120 rtx/90000",
        "a=fmtp:120 apt=119",
        "a=rtpmap:121 ulpfec/90000",
        "",
    ]
)


def answer(video_codec: str = "VP8", pt: int = 96, direction: str = "sendrecv") -> str:
    """An answer as aiortc writes it: one video codec and its RTX."""
    return "\r\n".join(
        [
            "v=0",
            "o=- 3 4 IN IP4 0.0.0.0",
            "s=-",
            "t=0 0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "a=mid:0",
            "a=rtpmap:111 opus/48000/2",
            f"m=video 9 UDP/TLS/RTP/SAVPF {pt} {pt + 1}",
            "a=mid:1",
            f"a={direction}",
            f"a=rtpmap:{pt} {video_codec}/90000",
            f"a=rtcp-fb:{pt} nack",
            f"a=rtpmap:{pt + 1} rtx/90000",
            f"a=fmtp:{pt + 1} apt={pt}",
            "a=ssrc:1234 cname:relay",
            "",
        ]
    )


def test_a_vp8_answer_accepts_the_offers_red_its_rtx_and_ulpfec_under_the_offers_numbers():
    accepted, types = accept_video_fec(OFFER, answer())
    assert types == RedTypes(red=119, ulpfec=121, red_rtx=120, media_rtx={96: 97})
    lines = accepted.split("\r\n")
    assert "m=video 9 UDP/TLS/RTP/SAVPF 96 97 119 120 121" in lines
    for line in ("a=rtpmap:119 red/90000", "a=fmtp:120 apt=119", "a=rtpmap:121 ulpfec/90000"):
        assert line in lines
    # the new codec lines follow the answer's own; the rest of the section stays after them
    assert lines.index("a=rtpmap:121 ulpfec/90000") < lines.index("a=ssrc:1234 cname:relay")
    assert (
        accepted.replace(
            "\r\n".join(
                [
                    "a=rtpmap:119 red/90000",
                    "a=rtpmap:120 rtx/90000",
                    "a=fmtp:120 apt=119",
                    "a=rtpmap:121 ulpfec/90000",
                    "",
                ]
            ),
            "",
        ).replace(" 119 120 121", "")
        == answer()
    )


def test_an_h264_answer_is_left_as_it_is():
    assert accept_video_fec(OFFER, answer("H264", 103)) == (answer("H264", 103), None)


def test_video_the_relay_only_sends_announces_fec_but_the_relay_unwraps_none():
    for codec, pt in (("VP8", 96), ("H264", 103)):
        sent = answer(codec, pt, direction="sendonly")
        accepted, types = accept_video_fec(OFFER, sent)
        assert types is None, codec
        lines = accepted.split("\r\n")
        assert f"m=video 9 UDP/TLS/RTP/SAVPF {pt} {pt + 1} 119 120 121" in lines, codec
        assert "a=rtpmap:121 ulpfec/90000" in lines and "a=fmtp:120 apt=119" in lines


def test_a_sendonly_section_leaves_the_received_sections_types_alone():
    two = OFFER + OFFER[OFFER.index("m=video") :].replace("a=mid:1", "a=mid:2")
    received = answer()
    sent = answer(direction="sendonly")
    both = received + sent[sent.index("m=video") :].replace("a=mid:1", "a=mid:2")
    accepted, types = accept_video_fec(two, both)
    assert types == RedTypes(red=119, ulpfec=121, red_rtx=120, media_rtx={96: 97})
    assert accepted.count("a=rtpmap:121 ulpfec/90000") == 2


def test_inactive_video_is_left_as_it_is():
    assert accept_video_fec(OFFER, answer(direction="inactive")) == (
        answer(direction="inactive"),
        None,
    )


def test_an_offer_without_ulpfec_or_without_an_rtx_of_red_gets_no_fec():
    no_ulpfec = OFFER.replace("a=rtpmap:121 ulpfec/90000\r\n", "")
    no_red_rtx = OFFER.replace("a=fmtp:120 apt=119\r\n", "")
    for offer in (no_ulpfec, no_red_rtx):
        assert accept_video_fec(offer, answer()) == (answer(), None)


def test_payload_types_the_answer_already_uses_are_never_given_twice():
    taken = OFFER.replace("119", "96")  # an offer numbering RED as the answer's VP8
    assert accept_video_fec(taken, answer()) == (answer(), None)
