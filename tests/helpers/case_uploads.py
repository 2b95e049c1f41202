"""A case's uploads as the buyer page makes them: a small VP8 WebM clip, and the tus
requests that create an upload and send a chunk; the sockets of a TestClient's people."""

from __future__ import annotations

import base64
import io
from contextlib import contextmanager
from fractions import Fraction

import av
import numpy as np


def webm_clip(seconds: float = 1.0, fps: int = 10) -> bytes:
    """A small VP8 WebM clip, as MediaRecorder makes."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(int(seconds * fps)):
            pixels = np.full((48, 64, 3), (i * 7) % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def recv_type(ws, wanted: str, limit: int = 50) -> dict:
    """The next message of type ``wanted`` (others are skipped)."""
    for _ in range(limit):
        message = ws.receive_json()
        if message["type"] == wanted:
            return message
    raise AssertionError(f"no {wanted!r}")


@contextmanager
def socket(client, person, as_: str):
    client.cookies.clear()
    for name, value in person.cookies.items():
        client.cookies.set(name, value)
    with client.websocket_connect(f"/ws?as={as_}") as ws:
        client.cookies.clear()
        ws.send_json({"type": "hello", "v": 1})
        recv_type(ws, "welcome")
        yield ws


def meta(**fields: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())


def create(person, length: int, step: str = "outer_box", kind: str = "clip"):
    return person.post(
        "/api/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(length),
            "Upload-Metadata": meta(step=step, kind=kind),
        },
    )


def patch(person, location: str, offset: int, data: bytes):
    return person.request(
        "PATCH",
        location,
        content=data,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        },
    )
