"""Which video codec a call uses (pure: no I/O, no aiortc).

The relay forwards encoded frames as they are, so every leg of a call must send and
receive the same video codec. The first leg answered fixes it: the first codec of the
server's preference order (``SHOWDESK_VIDEO_CODECS``) that the leg's offer can take. Every
later leg is answered in that codec, or, when its offer lacks it, without video.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def choose_video_codec(offered: Iterable[str], preferred: Sequence[str]) -> str | None:
    """The first of ``preferred`` (codec names, most preferred first) that ``offered``
    holds, compared without case, spelled as in ``preferred``; None when they share none.

    >>> choose_video_codec(["H264", "VP8"], ["VP8", "H264"])
    'VP8'
    >>> choose_video_codec(["VP9", "AV1"], ["VP8", "H264"]) is None
    True
    """
    have = {name.upper() for name in offered}
    return next((name for name in preferred if name.upper() in have), None)


def leg_video_codec(
    offered: Iterable[str], preferred: Sequence[str], call_codec: str | None
) -> str | None:
    """The codec a new leg is answered in: the call's once it has one (None when the
    offer lacks it), else the first preferred one the offer holds."""
    offered = list(offered)
    if call_codec is not None:
        return choose_video_codec(offered, [call_codec])
    return choose_video_codec(offered, preferred)
