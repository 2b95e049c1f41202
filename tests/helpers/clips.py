"""Pre-encoded media for fake peers: VP8 video whose only keyframe is its first frame,
and Opus audio. Encoded once per process (cached) and then passed through by
``peers.ClipTrack``, so a fake peer costs no encoding while a call runs."""

from __future__ import annotations

import array
import fractions
import functools
import math
from collections.abc import Callable

import av

VIDEO_SIZE = (320, 240)
VIDEO_FPS = 30
VIDEO_CLIP_FRAMES = 60  # 2 s: the clip restarts (with its keyframe) when it ends
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
AUDIO_RATE = 48000
AUDIO_SAMPLES_PER_FRAME = 960  # 20 ms of Opus at 48 kHz
AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_RATE)
AUDIO_CLIP_FRAMES = 50

Painter = Callable[[av.VideoFrame, int], None]  # fills frame number ``index``'s planes


def encode_vp8(
    width: int, height: int, frames: int, bit_rate: int, paint: Painter
) -> tuple[bytes, ...]:
    """``frames`` frames of ``width`` x ``height`` at ``VIDEO_FPS`` painted by ``paint``,
    as VP8 (realtime settings, as a browser encodes) at about ``bit_rate``; the first
    frame is the only keyframe (asserted)."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuv420p"
    codec.time_base = fractions.Fraction(1, VIDEO_FPS)
    codec.bit_rate = bit_rate
    codec.gop_size = 10_000  # more than any clip: one keyframe
    codec.options = {"deadline": "realtime", "lag-in-frames": "0", "cpu-used": "8"}
    out: list[bytes] = []
    for index in range(frames):
        frame = av.VideoFrame(width, height, "yuv420p")
        paint(frame, index)
        frame.pts = index
        out.extend(bytes(packet) for packet in codec.encode(frame))
    out.extend(bytes(packet) for packet in codec.encode(None))
    assert out[0][0] & 1 == 0, "the clip must start with a keyframe"
    assert all(f[0] & 1 == 1 for f in out[1:]), "the clip must have one keyframe"
    return tuple(out)


def _diagonal_pattern(frame: av.VideoFrame, index: int) -> None:
    pattern = bytes(range(256)) * 8
    for plane_index, plane in enumerate(frame.planes):
        rows = plane.buffer_size // plane.line_size
        plane.update(
            b"".join(
                pattern[(row * 2 + index * 5 + plane_index * 40) % 256 :][: plane.line_size]
                for row in range(rows)
            )
        )


@functools.cache
def vp8_clip() -> tuple[bytes, ...]:
    """A 320x240 VP8 clip of 60 frames (a moving diagonal pattern, about 500 kbit/s):
    frame 0 is the only keyframe, the rest are deltas."""
    return encode_vp8(*VIDEO_SIZE, VIDEO_CLIP_FRAMES, 500_000, _diagonal_pattern)


@functools.cache
def vp8_clip_of(width: int, height: int, frames: int = 60) -> tuple[bytes, ...]:
    """A VP8 clip of the given size (flat colours changing each frame, about 300 kbit/s)
    whose only keyframe is the first frame."""

    def flat(frame: av.VideoFrame, index: int) -> None:
        for plane_index, plane in enumerate(frame.planes):
            value = (index * 3 + plane_index * 60) % 256
            plane.update(bytes([value]) * plane.buffer_size)

    return encode_vp8(width, height, frames, 300_000, flat)


@functools.cache
def opus_clip(
    frames: int = AUDIO_CLIP_FRAMES, tone_hz: float = 440.0, amplitude: int = 8000
) -> tuple[bytes, ...]:
    """A stereo sine tone as 20 ms Opus packets (default: one second of 440 Hz)."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = AUDIO_RATE
    codec.layout = "stereo"
    codec.format = "s16"
    codec.time_base = AUDIO_TIME_BASE
    packets = []
    for index in range(frames):
        samples = array.array("h")
        for n in range(AUDIO_SAMPLES_PER_FRAME):
            t = (index * AUDIO_SAMPLES_PER_FRAME + n) / AUDIO_RATE
            value = int(amplitude * math.sin(2 * math.pi * tone_hz * t))
            samples.extend((value, value))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_SAMPLES_PER_FRAME)
        frame.sample_rate = AUDIO_RATE
        frame.pts = index * AUDIO_SAMPLES_PER_FRAME
        frame.planes[0].update(samples.tobytes())
        packets.extend(bytes(p) for p in codec.encode(frame))
    return tuple(packets)
