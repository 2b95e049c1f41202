"""Browser offers lose their .local candidates and a=end-of-candidates, nothing else."""

from __future__ import annotations

from server.relay.sdp_cleanup import clean_offer_sdp, is_mdns_candidate

FIREFOX_LIKE_OFFER = (
    "v=0\r\n"
    "o=mozilla...THIS_IS_SDPARTA-99.0 1 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 120\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=candidate:0 1 UDP 2122252543 9b36eaac-bb2e-49bb-bb78-21c41c499900.local 44323 typ host\r\n"
    "a=candidate:1 1 UDP 2122187007 192.168.1.20 44324 typ host\r\n"
    "a=candidate:2 1 UDP 1685987327 203.0.113.9 44325 typ srflx raddr 0.0.0.0 rport 0\r\n"
    "a=candidate:3 1 TCP 2105524479 B1E1D2D0-0F1C-4D12-9A44-6E2F0D1A2B3C.LOCAL 9 typ host "
    "tcptype active\r\n"
    "a=sendrecv\r\n"
    "a=end-of-candidates\r\n"
    "a=rtpmap:120 VP8/90000\r\n"
)


def test_local_candidates_and_end_of_candidates_are_removed():
    cleaned = clean_offer_sdp(FIREFOX_LIKE_OFFER)
    assert ".local" not in cleaned.lower()
    assert "a=end-of-candidates" not in cleaned


def test_every_other_line_is_kept_byte_identical():
    cleaned = clean_offer_sdp(FIREFOX_LIKE_OFFER)
    expected = "".join(
        line
        for line in FIREFOX_LIKE_OFFER.splitlines(keepends=True)
        if ".local" not in line.lower() and line != "a=end-of-candidates\r\n"
    )
    assert cleaned == expected
    assert "a=candidate:1 1 UDP 2122187007 192.168.1.20 44324 typ host\r\n" in cleaned
    assert cleaned.endswith("a=rtpmap:120 VP8/90000\r\n")


def test_lf_line_endings_and_missing_final_newline_are_preserved():
    offer = "v=0\na=candidate:0 1 UDP 1 abc.local 1 typ host\na=end-of-candidates\na=x"
    assert clean_offer_sdp(offer) == "v=0\na=x"


def test_an_offer_without_such_lines_is_returned_unchanged():
    offer = "v=0\r\na=candidate:1 1 UDP 2122187007 10.0.0.2 5000 typ host\r\n"
    assert clean_offer_sdp(offer) == offer


def test_a_line_that_only_mentions_local_elsewhere_is_kept():
    # The address field decides, not a substring anywhere in the line.
    offer = "a=candidate:1 1 UDP 1 10.0.0.2 5000 typ host generation 0 ufrag a.local\r\n"
    assert clean_offer_sdp(offer) == offer


def test_mdns_candidate_detection_accepts_trickle_shapes():
    assert is_mdns_candidate("candidate:0 1 UDP 2122252543 abc.local 44323 typ host")
    assert is_mdns_candidate("a=candidate:0 1 UDP 2122252543 abc.local 44323 typ host")
    assert not is_mdns_candidate("candidate:1 1 UDP 2122187007 192.168.1.20 44324 typ host")
    assert not is_mdns_candidate("")
