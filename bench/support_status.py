"""How long the buyer context's ``support`` takes to work out (server/hours/offer.py),
per schedule shape: a shop's working week, one open day a week, always open (the
longest ``closes_at``: it follows touching days up to two years), every day closed.

    python bench/support_status.py [--repeat R]

Times ``support_status`` (parsing the stored schedule as ``GET /api/buyer/context``
does, then the offer) at R moments spread over a year, and prints the median and p95 in
microseconds. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.hours.offer import support_status  # noqa: E402
from server.hours.schedule import WEEKDAYS, Schedule  # noqa: E402
from signaling.switchboard import Presence  # noqa: E402

SHAPES = {
    "working week": {day: ["09:00-12:30", "13:30-18:00"] for day in WEEKDAYS[:5]},
    "one day a week": {"wed": ["09:00-17:00"]},
    "always open": {day: ["00:00-24:00"] for day in WEEKDAYS},
    "every day closed": {},
}
PRESENCE = Presence(agents_online=2, agents_available=1, agents_busy=1, queue_length=0,
                    expected_wait_s=0)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(minutes=263 * i) for i in range(args.repeat)]
    closed = [f"2026-12-{d:02d}" for d in (24, 25, 26, 31)]
    print(f"support_status, {args.repeat} moments over a year, Europe/Berlin")
    for name, week in SHAPES.items():
        times = []
        for moment in moments:
            began = time.perf_counter()
            support_status(Schedule.from_spec("Europe/Berlin", week, closed), PRESENCE, moment, 300)
            times.append((time.perf_counter() - began) * 1e6)
        times.sort()
        p95 = times[int(len(times) * 0.95)]
        print(f"  {name:18} median {statistics.median(times):8.0f} us   p95 {p95:8.0f} us")


if __name__ == "__main__":
    main()
