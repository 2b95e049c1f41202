"""H.264 track files carry the stream's own codec configuration: the Matroska track's
avcC holds the SPS and PPS of the frames it records (not an encoder's made-up ones), so
the review file, an MP4 copy of it, is an ``avc1`` stream that browsers configure from it
(the review page playing one is tests/e2e/test_call_codec.py)."""

from __future__ import annotations

import fractions
from pathlib import Path

import av
import numpy as np

from server.recording.muxer import MuxThread, TrackSpec
from server.recording.review import make_review

WIDTH, HEIGHT, FRAMES = 320, 240, 60


def annex_b_frames() -> list[tuple[bytes, bool]]:
    """Constrained-baseline H.264 as a browser sends it: Annex B, SPS and PPS before each
    keyframe (one a second)."""
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    encoder.options = {
        "profile": "baseline",
        "tune": "zerolatency",
        "x264-params": "keyint=30:annexb=1:repeat-headers=1",
    }
    frames = []
    for n in range(FRAMES):
        picture = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        picture[:, (n * 4) % WIDTH : (n * 4) % WIDTH + 20] = (255, 0, 0)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts = n
        frames += [(bytes(p), p.is_keyframe) for p in encoder.encode(frame)]
    frames += [(bytes(p), p.is_keyframe) for p in encoder.encode(None)]
    return frames


def stream_sps(frame: bytes) -> bytes:
    """The first SPS NAL unit (type 7) of an Annex B frame, without its start code."""
    for nal in frame.split(b"\x00\x00\x01")[1:]:
        if nal and nal[0] & 0x1F == 7:
            return nal.rstrip(b"\x00")
    raise AssertionError("no SPS in the frame")


def test_an_h264_track_and_its_review_file_carry_the_streams_own_avcc(tmp_path: Path) -> None:
    frames = annex_b_frames()
    track = tmp_path / "buyer_video-0.mkv"
    mux = MuxThread()
    mux.open(1, TrackSpec(path=track, kind="video", codec="h264"))
    for n, (data, keyframe) in enumerate(frames):
        mux.write(1, data, n * 3000, keyframe)
    result = mux.close(1).result(timeout=10)
    mux.stop()
    assert result.error is None and result.packets == len(frames)

    sps = stream_sps(frames[0][0])
    review = tmp_path / "review.mp4"
    make_review(
        {
            "output": str(review),
            "format": "mp4",
            "origin_ms": 0,
            "expected_duration_ms": 2000,
            "video": [{"path": str(track), "offset_ms": 0}],
            "audio": [],
        }
    )
    for path in (track, review):
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            avcc = bytes(stream.codec_context.extradata or b"")
            assert avcc[:1] == b"\x01", f"{path.name}: no avcC ({avcc[:8].hex()})"
            assert avcc[1:4] == sps[1:4], f"{path.name}: profile and level of another stream"
            assert sps in avcc, f"{path.name}: the avcC holds another SPS"
            assert (stream.codec_context.width, stream.codec_context.height) == (WIDTH, HEIGHT)
            assert sum(1 for _ in container.decode(stream)) == len(frames)
    with av.open(str(review)) as container:
        assert container.streams.video[0].codec_tag == "avc1"
