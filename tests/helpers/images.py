"""Small media files made on the fly for upload and playback tests."""

from __future__ import annotations

import io

import av
import numpy as np


def image_bytes(codec: str, width: int = 96, height: int = 64) -> bytes:
    """A still image, red on its left half: codec mjpeg (JPEG), png or libwebp."""
    pix = {"mjpeg": "yuvj420p", "png": "rgb24", "libwebp": "yuv420p"}[codec]
    buf = io.BytesIO()
    with av.open(buf, "w", format="image2pipe") as out:
        stream = out.add_stream(codec)
        stream.width, stream.height, stream.pix_fmt = width, height, pix
        pixels = np.zeros((height, width, 3), np.uint8)
        pixels[:, : width // 2] = (200, 30, 30)
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format=pix)
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    return buf.getvalue()
