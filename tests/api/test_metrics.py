"""``/metrics``: who may read it, what it says during a real call, and what it never says."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from server.app import create_app
from server.infra.config import ConfigError, load_settings
from server.infra.loop_lag import LoopLagMonitor
from server.links.buyer_links import create_link
from server.models.link import LinkBase
from tests.helpers.calls import engine_cookies, live_call
from tests.helpers.recordings import all_ready
from tests.helpers.servers import make_settings
from tests.helpers.waiting import NotYet, async_wait_until, wait_in_thread, wait_until

TOKEN = "metrics-token-" + "m" * 40
LOOPBACK = ("127.0.0.1", 41000)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a text exposition, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(parsed: dict, name: str, **labels: str) -> float:
    return parsed[(name, tuple(sorted(labels.items())))]


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_loopback_reads_the_metrics_in_prometheus_format(app) -> None:
    with TestClient(app, client=LOOPBACK) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    assert_security_headers(response)
    parsed = samples(response.text)
    assert value(parsed, "showdesk_calls", state="live") == 0
    assert value(parsed, "showdesk_relay_legs", role="buyer", state="connected") == 0
    for name in (
        "showdesk_relay_frames_forwarded_total",
        "showdesk_relay_frames_dropped_total",
    ):
        assert value(parsed, name, kind="video", consumer="participant") == 0
    assert value(parsed, "showdesk_relay_keyframe_requests_sent_total") == 0
    assert value(parsed, "showdesk_recording_written_bytes_total") == 0
    assert value(parsed, "showdesk_recording_frames_dropped_total") == 0
    assert value(parsed, "showdesk_review_jobs_queued") == 0
    assert value(parsed, "showdesk_recording_calls") == 0
    assert ("showdesk_event_loop_lag_seconds_count", ()) in parsed
    assert ("process_resident_memory_bytes", ()) in parsed


@pytest.mark.parametrize("host", ["testclient", "203.0.113.7", "10.0.0.2"])
def test_other_clients_are_refused_without_a_token(app, host: str) -> None:
    with TestClient(app, client=(host, 41000)) as client:
        response = client.get("/metrics")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "showdesk_" not in response.text
    assert_security_headers(response)


def test_with_a_token_every_client_must_send_it(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, metrics_token=TOKEN))
    for host in (LOOPBACK[0], "203.0.113.7"):
        with TestClient(app, client=(host, 41000)) as client:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
                refused = client.get("/metrics", headers=headers)
                assert refused.status_code == 401, (host, headers)
                assert refused.headers["www-authenticate"] == "Bearer"
                assert refused.json()["error"]["code"] == "not_signed_in"
                assert_security_headers(refused)
            allowed = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert allowed.status_code == 200, host
            assert "showdesk_calls" in allowed.text
            assert_security_headers(allowed)


@pytest.mark.parametrize("token", ["short", "changeme"])
def test_a_weak_metrics_token_is_refused_at_start(monkeypatch, token: str) -> None:
    monkeypatch.setenv("SHOWDESK_METRICS_TOKEN", token)
    with pytest.raises(ConfigError, match="SHOWDESK_METRICS_TOKEN"):
        load_settings()


def test_metrics_are_not_in_the_api_description(app) -> None:
    with TestClient(app) as client:
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]


async def test_the_loop_lag_monitor_sees_a_stalled_loop() -> None:
    histogram = Histogram("lag_seconds", "test", buckets=(0.01, 0.1, 1.0), registry=None)
    monitor = LoopLagMonitor(histogram, interval_s=0.02)
    registry = CollectorRegistry()
    registry.register(histogram)

    def wake_ups_at_least(n: int):
        async def check() -> float | NotYet:
            count = registry.get_sample_value("lag_seconds_count")
            return count if count >= n else NotYet(f"{count:g} wake-ups")

        return check

    monitor.start()
    try:
        before = await async_wait_until(wake_ups_at_least(2), 5, "two wake-ups before the stall")
        time.sleep(0.25)  # noqa: ASYNC251  (the stall being measured)
        await async_wait_until(
            wake_ups_at_least(before + 2), 5, "the stalled wake-up and one after it"
        )
    finally:
        await monitor.stop()
    count = registry.get_sample_value("lag_seconds_count")
    below_100ms = registry.get_sample_value("lag_seconds_bucket", {"le": "0.1"})
    assert count >= 4
    assert count - below_100ms == 1, "exactly the stalled wake-up was late by > 0.1 s"
    assert registry.get_sample_value("lag_seconds_sum") >= 0.15


def test_the_lag_task_runs_with_the_app_and_stops_with_it(app) -> None:
    with TestClient(app, client=LOOPBACK) as client:

        def two_wake_ups() -> dict | NotYet:
            parsed = samples(client.get("/metrics").text)
            count = value(parsed, "showdesk_event_loop_lag_seconds_count")
            return parsed if count >= 2 else NotYet(f"{count:g} wake-ups")

        parsed = wait_until(two_wake_ups, 5, "two wake-ups of the lag monitor in /metrics")
        assert value(parsed, "showdesk_event_loop_lag_seconds_count") >= 2
        task = app.state.metrics.monitor._task
        assert task is not None and not task.done()
    assert app.state.metrics.monitor._task is None and task.done()


async def _scrape(url: str) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{url}/metrics")
    assert response.status_code == 200, response.text
    return response.text


async def test_a_recorded_call_is_counted_and_nothing_personal_is_shown(live_server) -> None:
    engine = live_server.app.state.engine
    staff, _ = engine_cookies(engine, live_server.url)
    agent_cookie = await staff("ana.secret@shop.test")
    with Session(engine, expire_on_commit=False) as db:
        made = create_link(
            db,
            LinkBase(
                order_ref="ORD-SECRET-4711",
                purpose="damage_verification",
                locale="de",
                buyer_name="Zoe Privatname",
                note="fragile vase",
            ),
            ttl_s=3600,
            max_ttl_s=7200,
            public_url=live_server.url,
            now=datetime.now(UTC),
        )
    async with httpx.AsyncClient() as http:
        opened = await http.get(made.url, follow_redirects=False)
    buyer_cookie = f"showdesk_call={opened.cookies['showdesk_call']}"
    secrets = [
        "ORD-SECRET-4711",
        "Zoe",
        "Privatname",
        "fragile",
        "ana.secret",
        "Ana",
        made.url.rsplit("/", 1)[-1],
        agent_cookie.split("=", 1)[1],
        buyer_cookie.split("=", 1)[1],
        live_server.app.state.secret_key,
    ]

    async with live_call(live_server.url, agent_cookie, buyer_cookie) as call:
        secrets.append(call.session_id)

        async def forwarded_and_recorded() -> str | NotYet:
            text = await _scrape(live_server.url)
            during = samples(text)
            forwarded = value(
                during,
                "showdesk_relay_frames_forwarded_total",
                kind="video",
                consumer="participant",
            )
            recorded = value(during, "showdesk_recording_written_bytes_total")
            if forwarded >= 30 and recorded > 0:
                return text
            return NotYet(f"{forwarded:g} video frames forwarded, {recorded:g} bytes recorded")

        text = await async_wait_until(forwarded_and_recorded, 10, "video forwarded and recorded")
        during = samples(text)
        assert value(during, "showdesk_calls", state="live") == 1
        assert value(during, "showdesk_connected_participants", kind="buyer") == 1
        assert value(during, "showdesk_connected_participants", kind="staff") == 1
        assert value(during, "showdesk_staff", status="busy") == 1
        for role in ("buyer", "agent"):
            assert value(during, "showdesk_relay_legs", role=role, state="connected") == 1
        assert value(during, "showdesk_relay_frames_received_total", kind="video") >= 30
        assert value(during, "showdesk_relay_frames_received_total", kind="audio") > 0
        for kind in ("audio", "video"):  # a frame is one packet or more
            assert value(during, "showdesk_relay_packets_received_total", kind=kind) >= value(
                during, "showdesk_relay_frames_received_total", kind=kind
            )
            assert value(during, "showdesk_relay_packets_sent_total", kind=kind) > 0
        recorded = value(
            during, "showdesk_relay_frames_forwarded_total", kind="video", consumer="subscriber"
        )
        assert recorded >= 30, "the recorder reads the buyer's video"
        assert value(during, "showdesk_recording_calls") == 1
        workers = [str(w["slot"]) for w in live_server.app.state.calls.relay.workers()]
        assert value(during, "showdesk_relay_workers") == len(workers) >= 1
        per_worker = [value(during, "showdesk_relay_worker_calls", worker=w) for w in workers]
        assert sorted(per_worker)[-1] == 1 and sum(per_worker) == 1, "the call is on one worker"
        for worker in workers:  # each worker's own event loop is measured
            assert value(during, "showdesk_relay_worker_loop_lag_seconds_count", worker=worker) > 0
        assert value(during, "showdesk_relay_worker_restarts_total") == 0
        for secret in secrets:
            assert secret not in text, secret
        await call.end()

    # after the call: legs gone, counts kept (counters never go backwards), review made
    await wait_in_thread(all_ready(engine, call.session_id), 30, "tracks and review file ready")

    async def review_job_done() -> str | None:
        text = await _scrape(live_server.url)
        return text if value(samples(text), "showdesk_review_jobs_queued") == 0 else None

    after = samples(await async_wait_until(review_job_done, 5, "the review job uncounted"))
    assert value(after, "showdesk_calls", state="live") == 0
    for role in ("buyer", "agent"):
        for state in ("connecting", "connected"):
            assert value(after, "showdesk_relay_legs", role=role, state=state) == 0
    for name, labels in (
        ("showdesk_relay_frames_received_total", {"kind": "video"}),
        ("showdesk_relay_frames_forwarded_total", {"kind": "video", "consumer": "participant"}),
        ("showdesk_relay_frames_forwarded_total", {"kind": "video", "consumer": "subscriber"}),
        ("showdesk_recording_written_bytes_total", {}),
    ):
        assert value(after, name, **labels) >= value(during, name, **labels), name
    assert value(after, "showdesk_review_jobs_queued") == 0
    assert value(after, "showdesk_recording_calls") == 0
    for secret in secrets:
        assert secret not in text, secret
