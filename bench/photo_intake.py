"""What a photo upload costs the server before it is kept or refused.

    python bench/photo_intake.py [--runs N] [--baseline]

Cases, each measured in a fresh child process (so its peak memory is its own):

- ``bomb-120mp``: a 12000x10000 grayscale PNG of zeros (a few hundred kB on the wire);
- ``bomb-256mp-16bit``: a 16000x16000 16-bit PNG of zeros;
- ``photo-12mp``: a 4000x3000 JPEG with EXIF location, the size a phone sends.

For each: the median and 95th percentile of the time ``server.evidence.images.clean_copy``
takes (a refusal for the bombs, a clean copy for the photo) and the growth of the child's
peak resident memory over the run. ``--baseline`` also times the previous intake, which
decoded with PyAV before it looked at the pixel count. Prints a table; never part of the
test suite.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import resource
import statistics
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def png_of_zeros(width: int, height: int, bit_depth: int = 8) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    packer = zlib.compressobj(9)
    row = b"\x00" * (width * bit_depth // 8 + 1)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def phone_jpeg() -> bytes:
    import PIL.Image

    image = PIL.Image.effect_noise((4000, 3000), 40).convert("RGB")
    exif = PIL.Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def pyav_intake(data: bytes, content_type: str) -> str:
    """The intake before the header-first check: PyAV opened (and so decoded) the image,
    then compared its pixel count with 100 megapixels."""
    import av

    demuxer = {"image/png": "png_pipe", "image/jpeg": "jpeg_pipe"}[content_type]
    with av.open(io.BytesIO(data), format=demuxer) as container:
        stream = container.streams.video[0]
        if stream.codec_context.width * stream.codec_context.height > 100_000_000:
            return "refused: too many pixels"
        for _ in container.decode(stream):
            return "decoded"
    return "refused: no frame"


def child(case: str, runs: int, baseline: bool) -> dict:
    from server.errors import UnsupportedType
    from server.evidence.images import clean_copy

    data, content_type = {
        "bomb-120mp": lambda: (png_of_zeros(12000, 10000), "image/png"),
        "bomb-256mp-16bit": lambda: (png_of_zeros(16000, 16000, 16), "image/png"),
        "photo-12mp": lambda: (phone_jpeg(), "image/jpeg"),
    }[case]()
    intake = pyav_intake if baseline else clean_copy
    start_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, outcome = [], ""
    for _ in range(runs):
        t0 = time.perf_counter()
        try:
            result = intake(data, content_type)
            outcome = result if isinstance(result, str) else "kept"
        except (UnsupportedType, Exception) as exc:  # noqa: BLE001
            outcome = f"refused: {str(exc)[:40]}"
        times.append((time.perf_counter() - t0) * 1000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times.sort()
    return {
        "case": case,
        "intake": "pyav (before)" if baseline else "header first",
        "bytes": len(data),
        "median_ms": statistics.median(times),
        "p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "peak_growth_mb": (peak - start_peak) / 1024,
        "outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.runs, args.child_baseline)))
        return
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    rows = []
    for case in ("bomb-120mp", "bomb-256mp-16bit", "photo-12mp"):
        for baseline in (False, True) if args.baseline else (False,):
            runs = (
                args.runs if not (baseline and case.startswith("bomb")) else max(3, args.runs // 5)
            )
            command = [sys.executable, __file__, "--child", case, "--runs", str(runs)]
            if baseline:
                command.append("--child-baseline")
            out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=900)
            rows.append(json.loads(out.stdout))
    print(
        f"{'case':<18} {'intake':<14} {'upload':>9} {'median':>10} {'p95':>10} "
        f"{'peak +MB':>9}  outcome"
    )
    for r in rows:
        print(
            f"{r['case']:<18} {r['intake']:<14} {r['bytes'] / 1000:>7.0f}kB "
            f"{r['median_ms']:>8.2f}ms {r['p95_ms']:>8.2f}ms {r['peak_growth_mb']:>9.1f}  "
            f"{r['outcome']}"
        )


if __name__ == "__main__":
    main()
