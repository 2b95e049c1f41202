"""How long a webhook takes from the change it reports to a receiver on loopback.

    python bench/webhooks.py [--events N] [--burst M]

A real server (in this process, as the tests run it) and a receiver that verifies each
delivery with ``standardwebhooks``. For each poll interval (the default 1 s, and 0.1 s):

- ``latency``: N verdicts set one at a time through the API; for each, the time from
  the API's answer to the receiver's verified delivery (median, p95);
- ``burst``: M verdicts set as fast as the API takes them, then the time until the
  receiver has all of them (deliveries a second).

Prints a table; never part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.helpers.accounts import add_user, login  # noqa: E402
from tests.helpers.servers import start_live_server  # noqa: E402
from tests.helpers.stored_calls import store_call  # noqa: E402
from tests.helpers.waiting import wait_until  # noqa: E402
from tests.helpers.webhook_receiver import Receiver  # noqa: E402


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(poll_s: float, events: int, burst: int) -> dict[str, float]:
    receiver = Receiver().start()
    with tempfile.TemporaryDirectory() as tmp:
        live, server, thread = start_live_server(
            Path(tmp), webhooks_allow_private=True, webhooks_poll_s=poll_s
        )
        try:
            add_user(live.app, "root@shop.test", "admin")
            agent_id = add_user(live.app, "ana@shop.test", "agent")
            with httpx.Client(base_url=live.url) as admin, httpx.Client(base_url=live.url) as ana:
                admin.headers["X-CSRF-Token"] = login(admin, "root@shop.test")
                ana.headers["X-CSRF-Token"] = login(ana, "ana@shop.test")
                made = admin.post(
                    "/api/webhooks", json={"url": receiver.url, "events": ["outcome.set"]}
                ).json()
                receiver.secrets = [made["secret"]]
                calls = [
                    store_call(live.app, f"B-{n}", agent_id=agent_id) for n in range(events + burst)
                ]

                def tag(call_id: str) -> None:
                    answer = ana.put(
                        f"/api/sessions/{call_id}/outcome",
                        json={"outcome": "damage", "decision": "refund", "note": None},
                    )
                    assert answer.status_code == 200, answer.text

                latencies = []
                for n, call_id in enumerate(calls[:events], start=1):
                    tag(call_id)
                    set_at = time.monotonic()
                    wait_until(lambda n=n: len(receiver.verified()) >= n, 30, "a delivery")
                    latencies.append(receiver.received[n - 1].at - set_at)
                started = time.monotonic()
                for call_id in calls[events:]:
                    tag(call_id)
                wait_until(lambda: len(receiver.verified()) >= events + burst, 120, "the burst")
                drained_s = time.monotonic() - started
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            receiver.stop()
    return {
        "median_ms": statistics.median(latencies) * 1000,
        "p95_ms": p95(latencies) * 1000,
        "burst_per_s": burst / drained_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--burst", type=int, default=200)
    args = parser.parse_args()
    print(f"{'poll_s':>7} {'latency median ms':>18} {'p95 ms':>8} {'burst deliveries/s':>19}")
    for poll_s in (1.0, 0.1):
        got = run(poll_s, args.events, args.burst)
        print(
            f"{poll_s:>7} {got['median_ms']:>18.0f} {got['p95_ms']:>8.0f} "
            f"{got['burst_per_s']:>19.1f}"
        )


if __name__ == "__main__":
    main()
