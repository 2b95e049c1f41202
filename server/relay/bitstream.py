"""Keyframe detection on depayloaded encoded frames (pure: no I/O, no aiortc)."""

from __future__ import annotations

# H.264 NAL unit types that start a decodable picture: IDR slice (5), SPS (7).
_H264_KEYFRAME_NAL_TYPES = frozenset({5, 7})
_H264_NAL_TYPE_MASK = 0x1F
_VP8_START_CODE = b"\x9d\x01\x2a"
_VP8_KEYFRAME_HEADER = 10  # frame tag (3), start code (3), width and height (2 + 2)


def is_keyframe(codec_name: str, data: bytes) -> bool:
    """True if ``data`` (one whole encoded frame) can be decoded on its own.

    VP8: bit 0 of the frame tag is 0 for a key frame, and a key frame's start code
    follows the tag (RFC 6386 section 9.1); the start code keeps the tail of a frame
    whose first packet was lost from passing for a key frame.
    H.264 (Annex B, as aiortc depayloads it): contains an IDR slice or an SPS.
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
        return any(nal_type in _H264_KEYFRAME_NAL_TYPES for nal_type in _h264_nal_types(data))
    return True


def _h264_nal_types(data: bytes) -> list[int]:
    """NAL unit types of an Annex B byte stream (start codes 00 00 01 / 00 00 00 01)."""
    types = []
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 3 < len(data):
        types.append(data[start + 3] & _H264_NAL_TYPE_MASK)
        start = data.find(b"\x00\x00\x01", start + 3)
    return types
