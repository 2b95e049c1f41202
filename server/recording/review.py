"""Make a call's review file: one file a browser plays and seeks.

- Video: the buyer's video segments remuxed as recorded (packets copied, never
  re-encoded), each placed at its start offset on the call clock, so a gap (a page
  reload) stays a gap; the agent's camera the same way as a second video stream (a
  player that switches streams shows it; the review page plays the agent's track files
  beside it). With no buyer video (a demo, the buyer's camera off) the agent's camera
  is the file's only video stream.
- Audio: every voice (both sides, every segment) decoded and mixed into one track
  (a browser plays one audio track), encoded once: Opus in WebM, AAC in MP4.
- WebM with ``cues_to_front=1`` (VP8); MP4 with ``movflags=+faststart`` (H264): the
  seek index is at the front, so a player seeks with a range request or two.

Time 0 of the review file is ``origin_ms`` on the call clock (the earliest track start).
Decoding and encoding audio is slow for an event loop that carries media, so this runs
in its own process: ``python -m server.recording.review -`` (spec on stdin) prints
``progress <percent>`` lines and a last ``result <json>`` line (jobs.py runs it).
Memory stays bounded: inputs are read in time order, and a voice that is silent (not
started yet, or in a gap) is fed silence so the mixer never waits on it.
"""

from __future__ import annotations

import contextlib
import fractions
import heapq
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.filter

RATE = 48000
AUDIO_TIME_BASE = fractions.Fraction(1, RATE)
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
SILENCE_CHUNK = 960  # 20 ms
MAX_LAG_SAMPLES = RATE // 2  # a voice this far behind the others is padded with silence
OUTPUTS = {
    # format: (muxer, muxer options, audio encoder, encoder sample format)
    "webm": ("webm", {"cues_to_front": "1"}, "libopus", "flt"),
    "mp4": ("mp4", {"movflags": "+faststart"}, "aac", "fltp"),
}


@dataclass
class Input:
    path: str
    offset_ms: int  # on the call clock


def review_format(video_codec: str | None) -> str:
    """WebM for VP8 (or audio only), MP4 for H264."""
    return "mp4" if (video_codec or "").lower() == "h264" else "webm"


# ---------------------------------------------------------------- video


def _video_packets(inputs: list[Input], origin_ms: int, stream: Any) -> Iterator[tuple[float, Any]]:
    """Every video packet of every segment, on the review clock (seconds), in order.

    Segments may overlap in time (the agent's phone as the camera records beside the
    console's own camera, which sends again once the phone stops): their packets are
    merged by time, each segment being in order by itself."""
    last_dts: int | None = None
    merged = heapq.merge(
        *(_segment_packets(item, origin_ms) for item in inputs), key=lambda pair: pair[0]
    )
    for ticks, packet in merged:
        if last_dts is not None and ticks <= last_dts:
            ticks = last_dts + 90  # strictly increasing, 1 ms apart at least
        last_dts = ticks
        packet.stream = stream
        packet.time_base = VIDEO_TIME_BASE
        packet.pts = packet.dts = ticks
        yield float(ticks * VIDEO_TIME_BASE), packet


def _segment_packets(item: Input, origin_ms: int) -> Iterator[tuple[int, Any]]:
    """One segment's video packets with their time on the review clock, in 1/90000 s."""
    offset = fractions.Fraction(item.offset_ms - origin_ms, 1000)
    with av.open(item.path) as container:
        source = container.streams.video[0]
        first = None
        try:
            for packet in container.demux(source):
                if packet.dts is None or packet.pts is None:
                    continue  # the demuxer's flush packet
                if first is None:
                    first = packet.pts
                t = offset + (packet.pts - first) * source.time_base
                yield max(0, round(t / VIDEO_TIME_BASE)), packet
        except (av.error.FFmpegError, EOFError):
            return  # a file cut off by a killed process: up to its last packet


# ---------------------------------------------------------------- audio


def _silence(samples: int, pts: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="fltp", layout="stereo", samples=samples)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate = RATE
    frame.pts = pts
    frame.time_base = AUDIO_TIME_BASE
    return frame


def _decoded(item: Input, origin_ms: int) -> Iterator[av.AudioFrame]:
    """A voice's frames as fltp stereo 48 kHz, ``pts`` in samples on the review clock."""
    start = round((item.offset_ms - origin_ms) * RATE / 1000)
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
    with av.open(item.path) as container:
        first = None
        try:
            for frame in container.decode(audio=0):
                if frame.pts is None:
                    continue
                if first is None:
                    first = frame.time
                pts = start + round((frame.time - first) * RATE)
                for out in resampler.resample(frame):
                    out.pts = pts
                    out.time_base = AUDIO_TIME_BASE
                    pts += out.samples
                    yield out
        except (av.error.FFmpegError, EOFError):
            return


class _Mixer:
    """abuffer -> aresample(async, first_pts=0) per voice -> amix -> aformat -> frames of
    the encoder's size."""

    def __init__(self, voices: int, sample_format: str, frame_size: int) -> None:
        graph = av.filter.Graph()
        mix = graph.add(
            "amix",
            inputs=str(voices),
            duration="longest",
            dropout_transition="0",
            normalize="0",
        )
        self.sources = []
        for index in range(voices):
            source = graph.add_abuffer(
                format="fltp", sample_rate=RATE, layout="stereo", time_base=AUDIO_TIME_BASE
            )
            resample = graph.add("aresample", **{"async": "1", "first_pts": "0"})
            source.link_to(resample)
            resample.link_to(mix, 0, index)
            self.sources.append(source)
        fmt = graph.add(
            "aformat", sample_fmts=sample_format, channel_layouts="stereo", sample_rates=str(RATE)
        )
        size = graph.add("asetnsamples", nb_out_samples=str(frame_size), pad="1")
        self.sink = graph.add("abuffersink")
        mix.link_to(fmt)
        fmt.link_to(size)
        size.link_to(self.sink)
        graph.configure()
        self.graph = graph  # the contexts die with the graph: keep it alive

    def push(self, index: int, frame: av.AudioFrame | None) -> None:
        self.sources[index].push(frame)

    def pull(self) -> Iterator[av.AudioFrame]:
        while True:
            try:
                yield self.sink.pull()
            except (av.error.BlockingIOError, av.error.EOFError, EOFError):
                return


def _audio_packets(
    inputs: list[Input], origin_ms: int, stream: Any, sample_format: str
) -> Iterator[tuple[float, Any]]:
    """The mixed voices, encoded, on the review clock (seconds), in order."""
    codec = stream.codec_context
    frame_size = codec.frame_size or 1024
    mixer = _Mixer(len(inputs), sample_format, frame_size)
    voices = [_decoded(item, origin_ms) for item in inputs]
    fed = [0] * len(inputs)
    done = [False] * len(inputs)
    heap: list[tuple[int, int, av.AudioFrame]] = []

    def advance(index: int) -> None:
        frame = next(voices[index], None)
        if frame is None:
            done[index] = True
            mixer.push(index, None)
        else:
            heapq.heappush(heap, (frame.pts, index, frame))

    for index in range(len(inputs)):
        advance(index)
    written = 0

    def encoded(frames: Iterator[av.AudioFrame | None]) -> Iterator[tuple[float, Any]]:
        nonlocal written
        for frame in frames:
            if frame is not None:
                frame.pts = written
                frame.time_base = AUDIO_TIME_BASE
                written += frame.samples
            for packet in stream.encode(frame):
                yield float(packet.pts * packet.time_base), packet

    while heap:
        pts, index, frame = heapq.heappop(heap)
        for other in range(len(inputs)):
            # A voice that is silent right now (not started, or in a gap) gets silence,
            # so the mixer can go on without buffering the others.
            while other != index and not done[other] and fed[other] + MAX_LAG_SAMPLES < pts:
                mixer.push(other, _silence(SILENCE_CHUNK, fed[other]))
                fed[other] += SILENCE_CHUNK
        mixer.push(index, frame)
        fed[index] = max(fed[index], pts + frame.samples)
        advance(index)
        yield from encoded(mixer.pull())
    yield from encoded(mixer.pull())
    yield from encoded(iter([None]))  # flush the encoder


# ---------------------------------------------------------------- the file


def make_review(
    spec: dict[str, Any], progress: Callable[[int], None] = lambda percent: None
) -> dict[str, Any]:
    """Write the review file described by ``spec`` (see ``main``); returns its facts."""
    output = Path(spec["output"])
    origin_ms = int(spec["origin_ms"])
    video = [Input(i["path"], int(i["offset_ms"])) for i in spec.get("video", [])]
    agent_video = [Input(i["path"], int(i["offset_ms"])) for i in spec.get("agent_video", [])]
    if not video:
        video, agent_video = agent_video, []
    audio = [Input(i["path"], int(i["offset_ms"])) for i in spec.get("audio", [])]
    total_s = max(float(spec.get("expected_duration_ms") or 0) / 1000, 0.001)
    if not video and not audio:
        raise ValueError("nothing to put in a review file")
    muxer, options, encoder_name, sample_format = OUTPUTS[spec["format"]]
    part = output.with_name(output.name + ".part")
    out = av.open(str(part), "w", format=muxer, options=options)
    streams: list[Iterator[tuple[float, Any]]] = []
    try:
        if video:
            with av.open(video[0].path) as first:
                template = first.streams.video[0]
                vstream = out.add_stream_from_template(template)
            vstream.time_base = VIDEO_TIME_BASE
            streams.append(_video_packets(video, origin_ms, vstream))
        if agent_video:
            with av.open(agent_video[0].path) as first:
                template = first.streams.video[0]
                astream_video = out.add_stream_from_template(template)
            astream_video.time_base = VIDEO_TIME_BASE
            astream_video.metadata["title"] = "agent camera"
            streams.append(_video_packets(agent_video, origin_ms, astream_video))
        if audio:
            astream = out.add_stream(encoder_name, rate=RATE)
            astream.codec_context.layout = "stereo"
            astream.codec_context.format = sample_format
            astream.time_base = AUDIO_TIME_BASE
            if encoder_name == "aac":
                astream.codec_context.bit_rate = 96_000
            astream.codec_context.open()
            streams.append(_audio_packets(audio, origin_ms, astream, sample_format))
        reported = -1
        end_s = 0.0
        for t, packet in heapq.merge(*streams, key=lambda item: item[0]):
            out.mux(packet)
            end_s = max(end_s, t)
            percent = min(99, int(100 * t / total_s))
            if percent > reported:
                reported = percent
                progress(percent)
    finally:
        out.close()
    os.replace(part, output)
    with av.open(str(output)) as check:
        duration_ms = round((check.duration or 0) / 1000)
    progress(100)
    return {"duration_ms": duration_ms or round(end_s * 1000), "size_bytes": output.stat().st_size}


def main(argv: list[str]) -> int:
    """``python -m server.recording.review SPEC.json`` (``-``: the spec on stdin).

    SPEC has ``output``, ``format`` (webm|mp4), ``origin_ms``, ``expected_duration_ms``,
    and ``video`` (the buyer's), ``agent_video`` (optional) and ``audio`` lists of
    ``{"path", "offset_ms"}``."""
    source = argv[0] if argv else "-"
    spec = json.loads(sys.stdin.read() if source == "-" else Path(source).read_text())
    with contextlib.suppress(OSError):
        os.nice(10)  # the relay's media comes first

    def report(percent: int) -> None:
        print(f"progress {percent}", flush=True)

    try:
        facts = make_review(spec, report)
    except Exception as exc:  # noqa: BLE001  (the parent stores the message)
        print("error " + json.dumps(f"{type(exc).__name__}: {exc}"[:500]), flush=True)
        return 1
    print("result " + json.dumps(facts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
