"""Several nodes on one PostgreSQL, one Redis and one S3 bucket: both are listed, one
holds the lease and another takes it when the holder stops or dies, only the holder runs
the cluster-once jobs (retention, recovering a dead node's calls), and rate limits count
one address across nodes. Without Redis, the one node holds the lease."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlmodel import Session, select

from server.evidence.audit import AUDIT_RETENTION_RUN
from server.infra.config import ConfigError, load_settings
from server.models import AuditEntry, Call
from signaling.vocabulary import CallState, EndReason, Purpose
from tests.helpers.accounts import add_user, create_account, login
from tests.helpers.calls import engine_cookies, live_call
from tests.helpers.links import make_link
from tests.helpers.postgres import fresh_database
from tests.helpers.recordings import all_ready, decoded_video
from tests.helpers.s3 import create_bucket, moto_s3, s3_client, s3_settings
from tests.helpers.servers import LiveServer, served, start_live_server
from tests.helpers.stored_calls import ended_call
from tests.helpers.waiting import NotYet, wait_in_thread, wait_until

# the lease and heartbeats expire after 6 s without one: a busy machine may stall a
# node's event loop for a second or two, which must not move the lease in these tests
HEARTBEAT_S = 2.0
TAKEOVER_DEADLINE_S = 60.0  # generous: the machine may be busy; never a speed claim
ADMIN = "admin@shop.test"
_names = itertools.count(1)


@pytest.fixture
def shared(postgres_admin_url: str, redis_url: str) -> Iterator[dict[str, object]]:
    """The settings every node of one installation shares: PostgreSQL, Redis, S3."""
    pg_url = fresh_database(postgres_admin_url, f"showdesk_cluster_{next(_names)}")
    with moto_s3() as s3_url:
        create_bucket(s3_url)
        yield {
            "database_url": pg_url,
            "redis_url": redis_url,
            "node_heartbeat_s": HEARTBEAT_S,
            **s3_settings(s3_url),
        }


@dataclass
class Node:
    live: LiveServer
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    @property
    def id(self) -> str:
        return self.live.app.state.calls.cluster.node_id


@pytest.fixture
def start_node(tmp_path: Path, shared: dict[str, object]) -> Iterator[Callable[..., Node]]:
    """Start a node (a real server, data directory of its own) on the shared services."""
    started: list[Node] = []

    def start(name: str, **overrides: object) -> Node:
        live, server, thread = start_live_server(
            tmp_path / name, node_id=name, **(shared | overrides)
        )
        started.append(Node(live, server, thread))
        return started[-1]

    yield start
    for node in started:
        node.server.should_exit = True
    for node in started:
        node.thread.join(timeout=30)


@contextmanager
def admin_client(node: Node) -> Iterator[httpx.Client]:
    """An admin signed in on ``node`` (the session is in the shared database)."""
    with httpx.Client(base_url=node.live.url, timeout=10) as client:
        login(client, ADMIN)
        yield client


def cluster_of(client: httpx.Client) -> dict:
    answer = client.get("/api/cluster")
    assert answer.status_code == 200, answer.text
    return answer.json()


def holder_of(client: httpx.Client) -> str | None:
    return cluster_of(client)["lease_holder"]


def test_both_nodes_are_listed_and_exactly_one_holds_the_lease(start_node, caplog):
    caplog.set_level(logging.INFO, logger="showdesk.cluster")
    a = start_node("node-a")
    b = start_node("node-b")
    add_user(a.live.app, ADMIN, "admin")
    with admin_client(a) as on_a, admin_client(b) as on_b:
        seen_a, seen_b = cluster_of(on_a), cluster_of(on_b)
    assert seen_a["shared"] and seen_a["this_node"] == "node-a"
    assert seen_b["this_node"] == "node-b"
    for seen in (seen_a, seen_b):
        assert [n["id"] for n in seen["nodes"]] == ["node-a", "node-b"]
        assert [n["url"] for n in seen["nodes"]] == [a.live.url, b.live.url]
        assert [n["holds_lease"] for n in seen["nodes"]].count(True) == 1
        assert all(n["calls"] == 0 and n["load"] >= 0 for n in seen["nodes"])
    leases = [r.getMessage() for r in caplog.records if r.name == "showdesk.cluster"]
    assert seen_a["lease_holder"] == seen_b["lease_holder"] == "node-a", leases  # the first
    holders = [n for n in (a, b) if n.live.app.state.calls.cluster.holds_lease]
    assert [n.id for n in holders] == ["node-a"]


def test_stopping_the_lease_holder_lets_the_other_node_take_the_lease(start_node):
    a = start_node("node-a")
    b = start_node("node-b")
    add_user(a.live.app, ADMIN, "admin")
    with admin_client(b) as on_b:
        assert holder_of(on_b) == "node-a"
        a.stop()
        wait_until(
            lambda: holder_of(on_b) == "node-b" or None,
            TAKEOVER_DEADLINE_S,
            "node-b to take the lease",
        )
        assert [n["id"] for n in cluster_of(on_b)["nodes"]] == ["node-b"]
    assert b.live.app.state.calls.cluster.holds_lease


def retention_runs(app) -> list[dict]:
    with Session(app.state.engine) as db:
        rows = db.exec(select(AuditEntry).where(AuditEntry.action == AUDIT_RETENTION_RUN))
        return [row.detail for row in rows]


def test_retention_runs_on_the_lease_holder_only_and_deletes_an_old_calls_files_once(
    start_node, caplog
):
    caplog.set_level(logging.INFO, logger="showdesk.cluster")
    a = start_node("node-a", retention_interval_s=1.0)
    b = start_node("node-b", retention_interval_s=1.0)
    old = ended_call(a.live.app, "ORD-OLD", days_ago=100)
    storage = b.live.app.state.storage
    keys = [f"calls/{old}/recording.bin", f"calls/{old}/photo.bin"]
    assert all(storage.exists(key) for key in keys)  # the bucket both nodes use

    def purged() -> bool:
        with Session(b.live.app.state.engine) as db:
            return db.get(Call, old).media_deleted_at is not None

    wait_until(purged, TAKEOVER_DEADLINE_S, "the old call's media to be deleted")
    wait_until(lambda: len(retention_runs(a.live.app)) >= 4, 60, "a few retention runs")
    runs = retention_runs(a.live.app)
    leases = [r.getMessage() for r in caplog.records if r.name == "showdesk.cluster"]
    assert {run["node"] for run in runs} == {"node-a"}, (runs, leases)  # never node-b's timer
    assert sum(run["calls"] for run in runs) == 1  # the old call's media went once
    assert not any(storage.exists(key) for key in keys)


def open_call(app, order_ref: str, node_id: str) -> str:
    """An answered call that ``node_id`` carries (as its desk would have stored it)."""
    link, _ = make_link(app, order_ref)
    call_id = f"open{next(_names):04d}"
    now = datetime.now(UTC)
    with Session(app.state.engine) as db:
        db.add(
            Call(
                id=call_id,
                link_id=link.id,
                order_ref=order_ref,
                purpose=Purpose.DAMAGE_VERIFICATION,
                state=CallState.LIVE,
                created_at=now - timedelta(minutes=2),
                answered_at=now - timedelta(minutes=1),
                node_id=node_id,
            )
        )
        db.commit()
    return call_id


def call_row(app, call_id: str) -> Call:
    with Session(app.state.engine, expire_on_commit=False) as db:
        return db.get(Call, call_id)


def test_the_lease_holder_ends_the_calls_of_a_gone_node_and_leaves_a_live_nodes(start_node, caplog):
    caplog.set_level(logging.INFO, logger="showdesk.calls")
    a = start_node("node-a")
    b = start_node("node-b")
    alive = open_call(a.live.app, "ORD-ALIVE", "node-b")  # node-b's heartbeat is there
    for n in range(3):  # one at a time: each is ended by whichever node sweeps first
        gone = open_call(a.live.app, f"ORD-GONE-{n}", f"node-gone-{n}")  # died: no heartbeat
        wait_until(
            lambda gone=gone: call_row(a.live.app, gone).state == CallState.ENDED or None,
            TAKEOVER_DEADLINE_S,
            "the gone node's call to be ended",
        )
        assert call_row(a.live.app, gone).end_reason == EndReason.SERVER_RESTART
    sweeps = [r.getMessage() for r in caplog.records if "finished what nodes" in r.getMessage()]
    assert len(sweeps) == 3, sweeps  # once each: the next sweeps find nothing left
    assert all(m.startswith("node node-a ") for m in sweeps), sweeps  # never node-b
    assert call_row(b.live.app, alive).state == CallState.LIVE


def test_a_killed_lease_holder_loses_the_lease_and_its_calls_are_ended_by_the_next(
    tmp_path, shared, start_node
):
    """A real ``showdesk serve`` process holds the lease; it is killed (SIGKILL: no
    goodbye); the other node takes the lease once it expires and ends the dead node's call."""
    env = {
        "SHOWDESK_DATABASE_URL": str(shared["database_url"]),
        "SHOWDESK_REDIS_URL": str(shared["redis_url"]),
        "SHOWDESK_NODE_ID": "node-p",
        "SHOWDESK_NODE_HEARTBEAT_S": str(HEARTBEAT_S),
    }
    (tmp_path / "proc").mkdir()
    with served(tmp_path / "proc", env=env) as proc:
        b = start_node("node-b")
        create_account(b.live.app.state.engine, ADMIN, "admin")
        left = open_call(b.live.app, "ORD-KILLED", "node-p")
        with admin_client(b) as on_b:
            seen = cluster_of(on_b)
            assert seen["lease_holder"] == "node-p"
            assert [n["id"] for n in seen["nodes"]] == ["node-b", "node-p"]
            assert call_row(b.live.app, left).state == CallState.LIVE
            os.kill(proc.proc.pid, signal.SIGKILL)
            proc.proc.wait(timeout=20)
            wait_until(
                lambda: holder_of(on_b) == "node-b" or None,
                TAKEOVER_DEADLINE_S,
                "node-b to take the expired lease",
            )
            wait_until(
                lambda: call_row(b.live.app, left).state == CallState.ENDED or None,
                TAKEOVER_DEADLINE_S,
                "the killed node's call to be ended",
            )
            assert [n["id"] for n in cluster_of(on_b)["nodes"]] == ["node-b"]
    assert call_row(b.live.app, left).end_reason == EndReason.SERVER_RESTART


def _as_env(settings: dict[str, object]) -> dict[str, str]:
    """Setting overrides as the SHOWDESK_ variables a ``showdesk serve`` process reads."""
    return {
        f"SHOWDESK_{name.upper()}": (
            value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        )
        for name, value in settings.items()
    }


TRACKS = ("buyer_video", "buyer_audio", "agent_audio")
HELD_S = 14.0  # longer than the bound, so that a kept second is one the uploads saved
LOSS_BOUND_S = 10.0  # what a lost node may lose of a call's recording (docs/architecture.md)


async def test_a_killed_nodes_call_keeps_its_recording_in_the_bucket_up_to_its_last_seconds(
    tmp_path, shared, start_node
):
    """A call on a real ``showdesk serve`` process (aiortc peers) whose machine is lost:
    SIGKILL, and its disk is never read again. The other node ends the call and rebuilds
    its tracks from the parts that reached the bucket while it ran, then makes the review
    file: the recording is there up to at most ``LOSS_BOUND_S`` before the kill."""
    env = _as_env(shared | {"node_id": "node-p", "recording_upload_s": 1.0})
    (tmp_path / "proc").mkdir()
    with served(tmp_path / "proc", env=env) as proc:
        b = start_node("node-b")
        engine, storage = b.live.app.state.engine, b.live.app.state.storage
        staff, buyer = engine_cookies(engine, proc.url)
        bucket = s3_client(str(shared["s3_endpoint_url"]))
        async with live_call(proc.url, await staff("ana@shop.test"), await buyer("LOST")) as call:
            tracks_prefix = f"calls/{call.session_id}/tracks/"

            def held_with_parts_sent() -> bool | NotYet:
                listed = bucket.list_objects_v2(
                    Bucket=str(shared["s3_bucket"]), Prefix=tracks_prefix
                )
                names = [o["Key"][len(tracks_prefix) :] for o in listed.get("Contents", [])]
                parts = {t: sum(n.startswith(f"{t}-0.webm.live/") for n in names) for t in TRACKS}
                live_s = time.monotonic() - call.live_at
                if live_s < HELD_S or min(parts.values()) < 3:
                    return NotYet(f"live {live_s:.1f} s, parts in the bucket {parts}")
                return True

            await wait_in_thread(
                held_with_parts_sent, HELD_S + TAKEOVER_DEADLINE_S, "the call held, parts sent"
            )
            os.kill(proc.proc.pid, signal.SIGKILL)
            await asyncio.to_thread(proc.proc.wait, 20)
            killed_after_s = time.monotonic() - call.live_at
        assert call_row(b.live.app, call.session_id).node_id == "node-p"
        rows = await wait_in_thread(
            all_ready(engine, call.session_id), TAKEOVER_DEADLINE_S, "tracks and review ready"
        )
    ended = call_row(b.live.app, call.session_id)
    assert (ended.state, ended.end_reason) == (CallState.ENDED, EndReason.SERVER_RESTART)
    tracks = {r.track: r for r in rows if r.kind == "track"}
    assert set(TRACKS) <= set(tracks), tracks
    video = tracks["buyer_video"]
    frames = await asyncio.to_thread(decoded_video, storage.local_path(video.storage_key))
    kept_s = frames[-1][2]
    print(f"killed {killed_after_s:.1f} s after going live; {kept_s:.1f} s of video kept")
    assert kept_s >= killed_after_s - LOSS_BOUND_S, (kept_s, killed_after_s)
    assert video.duration_ms >= 1000 * (killed_after_s - LOSS_BOUND_S)
    # the whole files are in the bucket, their parts are gone
    listed = bucket.list_objects_v2(
        Bucket=str(shared["s3_bucket"]), Prefix=f"calls/{call.session_id}/"
    )
    stored = {o["Key"]: o["Size"] for o in listed.get("Contents", [])}
    assert stored == {r.storage_key: r.size_bytes for r in rows}, stored


def test_two_nodes_count_one_addresses_link_opens_together(start_node):
    a = start_node("node-a", limit_link_opens_per_address="4/minute")
    b = start_node("node-b", limit_link_opens_per_address="4/minute")
    statuses = []
    with httpx.Client(timeout=10) as client:
        for n in range(6):
            node = (a, b)[n % 2]
            answer = client.get(f"{node.live.url}/j/guess{n}", follow_redirects=False)
            statuses.append(answer.status_code)
    # each node saw three; together they saw six: the fifth is past the shared limit
    assert statuses == [404, 404, 404, 404, 429, 429]


def test_one_node_without_redis_is_the_only_node_and_holds_the_lease(client, app):
    assert client.get("/api/cluster").status_code == 401
    add_user(app, "agent@shop.test", "agent")
    login(client, "agent@shop.test")
    assert client.get("/api/cluster").status_code == 403
    client.cookies.clear()
    add_user(app, ADMIN, "admin")
    login(client, ADMIN)
    seen = client.get("/api/cluster").json()
    node_id = app.state.calls.cluster.node_id
    assert seen["shared"] is False and seen["lease_holder"] == node_id == seen["this_node"]
    assert [(n["id"], n["holds_lease"], n["url"]) for n in seen["nodes"]] == [
        (node_id, True, app.state.settings.public_url)
    ]


def test_the_node_settings_say_what_is_wrong(monkeypatch):
    monkeypatch.setenv("SHOWDESK_REDIS_URL", "http://redis:6379")
    with pytest.raises(ConfigError, match="SHOWDESK_REDIS_URL must start with redis://"):
        load_settings()
    monkeypatch.setenv("SHOWDESK_REDIS_URL", "redis://:hunter2-password@redis:6379/0")
    monkeypatch.setenv("SHOWDESK_NODE_ID", "node one")
    with pytest.raises(ConfigError, match="node_id") as refused:
        load_settings()
    assert "hunter2" not in str(refused.value)
    monkeypatch.delenv("SHOWDESK_NODE_ID")
    settings = load_settings()
    assert settings.node_name == f"{os.uname().nodename}-{os.getpid()}"
    assert "hunter2" not in repr(settings)
    for bad in ("0", "0.1", "61", "soon"):
        monkeypatch.setenv("SHOWDESK_RECORDING_UPLOAD_S", bad)
        with pytest.raises(ConfigError, match="recording_upload_s"):
            load_settings()
    monkeypatch.setenv("SHOWDESK_RECORDING_UPLOAD_S", "2.5")
    assert load_settings().recording_upload_s == 2.5
