"""Keyframe detection on depayloaded encoded frames (pure: no I/O, no aiortc)."""

from __future__ import annotations

# H.264 NAL unit types: a slice of an IDR picture, a sequence parameter set.
_H264_IDR_SLICE = 5
_H264_SPS = 7
_H264_NAL_TYPE_MASK = 0x1F
_VP8_START_CODE = b"\x9d\x01\x2a"
_VP8_KEYFRAME_HEADER = 10  # frame tag (3), start code (3), width and height (2 + 2)


def is_keyframe(codec_name: str, data: bytes) -> bool:
    """True if ``data`` (one whole encoded frame) can be decoded on its own.

    VP8: bit 0 of the frame tag is 0 for a key frame, and a key frame's start code
    follows the tag (RFC 6386 section 9.1); the start code keeps the tail of a frame
    whose first packet was lost from passing for a key frame.
    H.264 (Annex B, as aiortc depayloads it): contains an SPS, or the first slice of an
    IDR picture (``first_mb_in_slice`` 0), not just a later slice of one.
    Audio codecs: every frame is independent.
    """
    name = codec_name.upper()
    if name == "VP8":
        return (
            len(data) >= _VP8_KEYFRAME_HEADER
            and data[0] & 0x01 == 0
            and data[3:6] == _VP8_START_CODE
        )
    if name == "H264":
        return any(_h264_starts_a_picture(nal_type, rest) for nal_type, rest in _h264_nals(data))
    return True


def _h264_starts_a_picture(nal_type: int, rest: bytes) -> bool:
    if nal_type == _H264_SPS:
        return True
    # first_mb_in_slice is the slice header's first field, Exp-Golomb coded: 0 is "1".
    return nal_type == _H264_IDR_SLICE and bool(rest) and rest[0] & 0x80 != 0


def _h264_nals(data: bytes) -> list[tuple[int, bytes]]:
    """(type, the byte after the header) of each NAL unit of an Annex B byte stream
    (start codes 00 00 01 / 00 00 00 01)."""
    nals = []
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 3 < len(data):
        nals.append((data[start + 3] & _H264_NAL_TYPE_MASK, data[start + 4 : start + 5]))
        start = data.find(b"\x00\x00\x01", start + 3)
    return nals


def vp8_picture_id(payload: bytes) -> tuple[int, int] | None:
    """(picture id, its width in bits: 7 or 15) of a VP8 RTP payload that begins a frame
    (its descriptor's S bit set, partition index 0; RFC 7741 section 4.2); None for any
    other payload, and for one without a picture id."""
    if len(payload) < 3 or payload[0] & 0x1F != 0x10 or not payload[0] & 0x80:
        return None
    if not payload[1] & 0x80:  # the I bit: no picture id
        return None
    if payload[2] & 0x80:  # the M bit: 15 bits
        if len(payload) < 4:
            return None
        return ((payload[2] & 0x7F) << 8) | payload[3], 15
    return payload[2] & 0x7F, 7
