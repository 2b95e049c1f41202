"""The server's metrics in Prometheus' text format: what it is doing right now.

``server/api/metrics.py`` serves them at ``/metrics`` (and decides who may read them).

Nothing here sits on the media path. ``ShowdeskCollector`` reads the live objects when
``/metrics`` is scraped (on the event loop, so each scrape is one consistent snapshot):
the switchboard (calls by state, signaling sockets, staff), the relay workers' figures
(read from each worker just before: legs, frames received/forwarded/dropped, keyframe
requests, the recorders' bytes written, frames dropped and writer backlog, calls per
worker, restarts, each worker's event-loop lag) and the review jobs. The one thing
measured continuously in this process is the event loop's lag: ``LoopLagMonitor`` sleeps
``LOOP_LAG_INTERVAL_S`` at a time and records how late it woke up (a histogram). A loop
that carries media must not stall: a late wake-up is time every packet waited too.

No label or value names a call, an order, a person or a token: only counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

__all__ = ["CONTENT_TYPE_LATEST", "ShowdeskCollector", "ShowdeskMetrics"]
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from server.infra.loop_lag import LOOP_LAG_BUCKETS, LoopLagMonitor
from signaling import CallState

log = logging.getLogger("showdesk.metrics")

CALL_STATES = (CallState.WAITING, CallState.LIVE, CallState.RECONNECTING)
SOCKET_KINDS = ("buyer", "staff")
STAFF_STATUSES = ("available", "away", "busy")
KINDS = ("audio", "video")
ROLES = ("buyer", "agent", "agent_camera")  # agent_camera: the agent's phone as the camera
LEG_STATES = ("connecting", "connected")
CONSUMERS = ("participant", "subscriber")


class ShowdeskCollector(Collector):
    """Reads the call desk's live objects at scrape time (see the module docstring)."""

    def __init__(self, desk: Callable[[], Any]) -> None:
        self._desk = desk

    def collect(self) -> Iterator[Metric]:
        calls = self._desk()
        if calls is None:
            return
        yield from self._signaling(calls.switchboard)
        stats = calls.relay.stats()
        yield from self._relay(stats)
        yield from self._workers(stats)
        yield from self._recording(stats.get("recording", {}), calls.reviews)

    @staticmethod
    def _signaling(switchboard: Any) -> Iterator[Metric]:
        by_state = dict.fromkeys(CALL_STATES, 0)
        for call in switchboard.active_calls():
            if call.state in by_state:
                by_state[call.state] += 1
        calls = GaugeMetricFamily(
            "showdesk_calls", "Calls not yet ended, by state.", labels=["state"]
        )
        for state, count in by_state.items():
            calls.add_metric([str(state)], count)
        yield calls

        sockets = dict.fromkeys(SOCKET_KINDS, 0)
        for kind, _ in switchboard.connections().values():
            sockets[kind] = sockets.get(kind, 0) + 1
        connected = GaugeMetricFamily(
            "showdesk_connected_participants",
            "Signaling sockets open (buyers' pages, staff consoles), by kind.",
            labels=["kind"],
        )
        for kind, count in sockets.items():
            connected.add_metric([kind], count)
        yield connected

        statuses = dict.fromkeys(STAFF_STATUSES, 0)
        for staff in switchboard.staff():
            if staff.conn_id is not None and staff.availability in statuses:
                statuses[staff.availability] += 1
        staff_gauge = GaugeMetricFamily(
            "showdesk_staff", "Staff members connected, by status.", labels=["status"]
        )
        for status, count in statuses.items():
            staff_gauge.add_metric([status], count)
        yield staff_gauge

    @staticmethod
    def _relay(stats: dict[str, Any]) -> Iterator[Metric]:
        legs = GaugeMetricFamily(
            "showdesk_relay_legs",
            "Media legs (one peer connection per participant) open in the relay.",
            labels=["role", "state"],
        )
        open_legs = stats.get("legs", {})
        for role in ROLES:
            for state in LEG_STATES:
                legs.add_metric([role, state], open_legs.get((role, state), 0))
        yield legs

        totals = stats.get("totals", {})

        def total(name: str, kind: str, consumer: str) -> int:
            return int(totals.get((name, kind, consumer), 0))

        for name, consumer, text in (
            ("frames_received", "", "Whole encoded frames received from participants."),
            (
                "frames_lost",
                "",
                "Video frames given up: a packet lost for good (its retransmission did "
                "not come in time), and the frames after it up to the next keyframe.",
            ),
            ("packets_received", "", "RTP media packets received from participants."),
            (
                "fec_packets_received",
                "",
                "Forward error correction packets received with participants' video (ULPFEC).",
            ),
            (
                "packets_recovered",
                "",
                "Media packets lost on the way and rebuilt from forward error correction.",
            ),
            (
                "packets_sent",
                "participant",
                "RTP media packets sent to participants (the relay drops whole frames, "
                "never single packets: see frames_dropped).",
            ),
        ):
            per_kind = CounterMetricFamily(f"showdesk_relay_{name}", text, labels=["kind"])
            for kind in KINDS:
                per_kind.add_metric([kind], total(name, kind, consumer))
            yield per_kind
        for name, text in (
            (
                "frames_forwarded",
                "Encoded frames handed on: to the other participant's sender, or to an "
                "in-process subscriber (the recorder).",
            ),
            (
                "frames_dropped",
                "Encoded frames dropped by a consumer's bounded queue (a consumer fallen "
                "behind, or video waiting for a keyframe).",
            ),
        ):
            family = CounterMetricFamily(
                f"showdesk_relay_{name}", text, labels=["kind", "consumer"]
            )
            for kind in KINDS:
                for consumer in CONSUMERS:
                    family.add_metric([kind, consumer], total(name, kind, consumer))
            yield family
        asked = CounterMetricFamily(
            "showdesk_relay_keyframe_requests_received",
            "Video keyframe requests from consumers: PLI/FIR from a receiving participant, "
            "or a subscriber (the recorder) that fell behind.",
            labels=["consumer"],
        )
        for consumer in CONSUMERS:
            asked.add_metric([consumer], total("keyframe_requests_received", "video", consumer))
        yield asked
        sent = CounterMetricFamily(
            "showdesk_relay_keyframe_requests_sent",
            "Video keyframe requests (PLI) the relay sent to sending participants.",
        )
        sent.add_metric([], total("keyframe_requests_sent", "video", ""))
        yield sent

    @staticmethod
    def _workers(stats: dict[str, Any]) -> Iterator[Metric]:
        workers = stats.get("workers", [])
        yield GaugeMetricFamily(
            "showdesk_relay_workers",
            "Relay worker processes running.",
            value=sum(1 for w in workers if w["alive"]),
        )
        calls = GaugeMetricFamily(
            "showdesk_relay_worker_calls", "Calls placed on each relay worker.", labels=["worker"]
        )
        for worker in workers:
            calls.add_metric([str(worker["slot"])], worker["calls"])
        yield calls
        yield CounterMetricFamily(
            "showdesk_relay_worker_restarts",
            "Relay workers that stopped unexpectedly (their calls ended relay_failed) and "
            "were restarted.",
            value=stats.get("restarts", 0),
        )
        lag = HistogramMetricFamily(
            "showdesk_relay_worker_loop_lag_seconds",
            "How late a periodic sleep on each relay worker's event loop woke up.",
            labels=["worker"],
        )
        for worker in workers:
            figures = worker.get("loop_lag")
            if figures:
                buckets = [(str(le), float(n)) for le, n in figures["buckets"]]
                lag.add_metric([str(worker["slot"])], buckets, sum_value=float(figures["sum"]))
        yield lag

    @staticmethod
    def _recording(recording: dict[str, Any], reviews: Any) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "showdesk_recording_written_bytes",
            "Encoded frame bytes written to recording track files.",
            value=recording.get("written_bytes", 0),
        )
        yield CounterMetricFamily(
            "showdesk_recording_frames_dropped",
            "Frames the recorder dropped because its writer thread fell behind.",
            value=recording.get("frames_dropped", 0),
        )
        yield GaugeMetricFamily(
            "showdesk_recording_calls",
            "Calls being recorded, or whose track files are still being finalized.",
            value=recording.get("calls", 0),
        )
        yield GaugeMetricFamily(
            "showdesk_recording_writer_backlog_frames",
            "Frames handed to the recording writer threads and not yet written.",
            value=recording.get("writer_backlog", 0),
        )
        yield GaugeMetricFamily(
            "showdesk_review_jobs_queued",
            "Calls whose review file is waiting to be made or being made.",
            value=reviews.queued,
        )


class SignInCollector(Collector):
    """Failed and refused sign-ins (attacks show up here first): this process's own
    answers, also when the nodes share the throttle's counts in Redis (each node's
    /metrics counts what it answered; a scrape of every node adds up)."""

    def __init__(self, throttle: Any) -> None:
        self._throttle = throttle

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "showdesk_sign_in_failures",
            "Sign-ins with a wrong email or password.",
            value=self._throttle.failures,
        )
        yield CounterMetricFamily(
            "showdesk_sign_in_refusals",
            "Sign-ins refused before the password was checked (throttled, or too many checks "
            "at once).",
            value=self._throttle.refusals,
        )


class ShowdeskMetrics:
    """The server's metrics: its own registry (not the process-global one), the collector
    and the loop-lag monitor. ``desk`` returns the running ``CallDesk`` (None before the
    server has started one); it is read at each scrape. ``sign_in`` is the sign-in
    throttle, whose counts are exported too."""

    def __init__(self, desk: Callable[[], Any], sign_in: Any = None) -> None:
        self._desk = desk
        self.registry = CollectorRegistry(auto_describe=True)
        if sign_in is not None:
            self.registry.register(SignInCollector(sign_in))
        self.loop_lag = Histogram(
            "showdesk_event_loop_lag_seconds",
            "How late a periodic sleep on the server's event loop woke up.",
            buckets=LOOP_LAG_BUCKETS,
            registry=self.registry,
        )
        self.monitor = LoopLagMonitor(self.loop_lag)
        self.registry.register(ShowdeskCollector(desk))
        ProcessCollector(registry=self.registry)  # CPU seconds, memory, open files

    async def start(self) -> None:
        self.monitor.start()

    async def stop(self) -> None:
        await self.monitor.stop()

    async def exposition(self) -> bytes:
        """The text exposition, with the relay workers' figures read just before."""
        calls = self._desk()
        if calls is not None:
            await calls.relay.refresh_stats()
        return generate_latest(self.registry)
