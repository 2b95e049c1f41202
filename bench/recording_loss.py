"""How much of a call's recording a lost machine loses, with the tracks in S3.

    python bench/recording_loss.py [--rounds 8] [--upload-s 5] [--hold 12-20]

Per round: moto's S3 server on loopback (tests/helpers/s3.py), a ``showdesk serve``
process on SQLite with ``SHOWDESK_STORAGE=s3`` and ``SHOWDESK_RECORDING_UPLOAD_S``, and a
call between two aiortc peers (tests/helpers/calls.py: the buyer's video and both
voices). The call is held a random time within ``--hold`` seconds (so the kill falls
anywhere between two uploads), then the process is killed with SIGKILL and its disk is
never read again. Another storage on the same bucket with an empty staging folder
rebuilds each track from the parts that reached the bucket (``S3Storage.restore_live``,
as the lease holder does) and reads it (``probe_file``): what is lost is the time from
the call going live to the kill minus the rebuilt file's duration (a little more than
the loss: a track begins with its first frame, just after the call goes live). Prints per track
the median, p95 and worst loss over the rounds. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (the repository on sys.path)
from sqlmodel import Session, select

from server.db import make_engine
from server.models import Recording
from server.recording.probe import probe_file
from server.storage.s3 import S3Storage
from tests.helpers.calls import engine_cookies, live_call
from tests.helpers.s3 import BUCKET, REGION, create_bucket, moto_s3
from tests.helpers.servers import served

TRACKS = ("buyer_video", "buyer_audio", "agent_audio")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


async def one_round(tmp: Path, s3_url: str, upload_s: float, hold_s: float) -> dict[str, float]:
    """One killed call: the seconds each track lost."""
    env = {
        "SHOWDESK_STORAGE": "s3",
        "SHOWDESK_S3_ENDPOINT_URL": s3_url,
        "SHOWDESK_S3_BUCKET": BUCKET,
        "SHOWDESK_S3_REGION": REGION,
        "SHOWDESK_S3_ACCESS_KEY_ID": "testing",
        "SHOWDESK_S3_SECRET_ACCESS_KEY": "testing",
        "SHOWDESK_RECORDING_UPLOAD_S": str(upload_s),
    }
    engine = make_engine(f"sqlite:///{(tmp / 'data' / 'showdesk.db').resolve()}")
    with served(tmp, env=env) as server:
        staff, buyer = engine_cookies(engine, server.url)
        async with live_call(server.url, await staff("ana@shop.test"), await buyer("L")) as call:
            await asyncio.sleep(hold_s)
            server.proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(server.proc.wait, 20)
            killed_at = time.monotonic()
            live_at = call.live_at
    with Session(engine) as db:
        rows = db.exec(select(Recording).where(Recording.call_id == call.session_id)).all()
    engine.dispose()
    other = S3Storage(
        bucket=BUCKET,
        staging=tmp / "other-node",
        endpoint_url=s3_url,
        region=REGION,
        access_key_id="testing",
        secret_access_key="testing",
    )
    lost: dict[str, float] = {}
    for row in rows:
        if row.kind != "track" or row.track not in TRACKS:
            continue
        recorded_s = killed_at - live_at
        if not await asyncio.to_thread(other.restore_live, row.storage_key):
            lost[row.track] = recorded_s  # no part at all: everything lost
            continue
        facts = await asyncio.to_thread(probe_file, other.local_path(row.storage_key))
        lost[row.track] = recorded_s - (facts.duration_ms or 0) / 1000
    return lost


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--upload-s", type=float, default=5.0)
    parser.add_argument("--hold", default="12-20", help="seconds the call is held: MIN-MAX")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request lines
    low, high = (float(x) for x in args.hold.split("-"))
    rng = random.Random(18)
    losses: dict[str, list[float]] = {track: [] for track in TRACKS}
    for n in range(args.rounds):
        hold_s = rng.uniform(low, high)
        with tempfile.TemporaryDirectory() as tmp, moto_s3() as s3_url:
            create_bucket(s3_url)
            lost = await one_round(Path(tmp), s3_url, args.upload_s, hold_s)
        print(
            f"round {n + 1}: held {hold_s:.1f} s; lost "
            + ", ".join(f"{t} {s:.2f} s" for t, s in sorted(lost.items())),
            flush=True,
        )
        for track, seconds in lost.items():
            losses[track].append(seconds)
    print(f"\nSHOWDESK_RECORDING_UPLOAD_S={args.upload_s:g}, {args.rounds} rounds")
    print(f"{'track':12} {'median s':>9} {'p95 s':>6} {'worst s':>8}")
    for track, values in losses.items():
        if values:
            print(
                f"{track:12} {statistics.median(values):9.2f} {p95(values):6.2f} {max(values):8.2f}"
            )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
