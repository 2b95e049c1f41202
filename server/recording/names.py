"""Names of recorded things: track names, storage keys, content types (no database)."""

from __future__ import annotations

TRACK_NAMES = ("buyer_video", "buyer_audio", "agent_audio", "agent_video")
CONTENT_TYPES = {
    ("webm", "video"): "video/webm",
    ("webm", "audio"): "audio/webm",
    ("mkv", "video"): "video/x-matroska",
    ("mkv", "audio"): "audio/x-matroska",
    ("mp4", "video"): "video/mp4",
    ("mp4", "audio"): "audio/mp4",
}


def track_name(side: str, kind: str, index: int = 0) -> str:
    """``buyer_video``; a second track of the same kind and side is ``buyer_video_1``."""
    return f"{side}_{kind}" if index == 0 else f"{side}_{kind}_{index}"


def track_key(call_id: str, track: str, segment: int, extension: str) -> str:
    return f"calls/{call_id}/tracks/{track}-{segment}.{extension}"


def review_key(call_id: str, extension: str) -> str:
    return f"calls/{call_id}/review.{extension}"
