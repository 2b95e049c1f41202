"""The review file holds the agent's camera too: a second video stream beside the buyer's,
or the only one when the buyer's camera never sent (a demo); packets copied as recorded."""

from __future__ import annotations

import fractions
from pathlib import Path

import av
import numpy as np

from server.recording.review import make_review

FPS = 15


def write_vp8(path: Path, seconds: float, colour: tuple[int, int, int]) -> Path:
    """A small VP8 WebM of one colour, ``seconds`` long (as a track file would be)."""
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.codec_context.time_base = fractions.Fraction(1, FPS)
        picture = np.zeros((120, 160, 3), np.uint8)
        picture[:, :] = colour
        for n in range(int(seconds * FPS)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = n
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def mean_colour(path: Path, stream_index: int) -> tuple[int, int, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[stream_index]
        frame = next(container.decode(stream))
        rgb = frame.to_ndarray(format="rgb24")
    return tuple(int(c) for c in rgb.reshape(-1, 3).mean(axis=0))


def close_to(got: tuple[int, ...], want: tuple[int, ...]) -> bool:
    return all(abs(g - w) < 40 for g, w in zip(got, want, strict=True))


def test_the_agents_camera_is_a_second_video_stream_beside_the_buyers(tmp_path: Path) -> None:
    buyer = write_vp8(tmp_path / "buyer.webm", 2, (220, 30, 30))
    agent = write_vp8(tmp_path / "agent.webm", 1.5, (30, 30, 220))
    output = tmp_path / "review.webm"
    facts = make_review(
        {
            "output": str(output),
            "format": "webm",
            "origin_ms": 1000,
            "expected_duration_ms": 2000,
            "video": [{"path": str(buyer), "offset_ms": 1000}],
            "agent_video": [{"path": str(agent), "offset_ms": 1500}],
        }
    )
    assert facts["size_bytes"] == output.stat().st_size
    with av.open(str(output)) as container:
        assert [s.type for s in container.streams] == ["video", "video"]
        agent_stream = container.streams.video[1]
        assert agent_stream.metadata.get("title") == "agent camera"
        first_agent = next(p for p in container.demux(agent_stream) if p.pts is not None)
        assert abs(float(first_agent.pts * first_agent.time_base) - 0.5) < 0.05
    assert close_to(mean_colour(output, 0), (220, 30, 30))
    assert close_to(mean_colour(output, 1), (30, 30, 220))
    with av.open(str(output)) as container:
        frames = sum(1 for _ in container.decode(container.streams.video[1]))
    assert frames >= int(1.5 * FPS) - 1


def test_without_the_buyers_camera_the_agents_is_the_only_video(tmp_path: Path) -> None:
    agent = write_vp8(tmp_path / "agent.webm", 1, (30, 200, 30))
    output = tmp_path / "review.webm"
    make_review(
        {
            "output": str(output),
            "format": "webm",
            "origin_ms": 0,
            "expected_duration_ms": 1000,
            "video": [],
            "agent_video": [{"path": str(agent), "offset_ms": 0}],
        }
    )
    with av.open(str(output)) as container:
        assert [s.type for s in container.streams] == ["video"]
    assert close_to(mean_colour(output, 0), (30, 200, 30))
