"""The nodes of one Showdesk installation: heartbeats and the leader lease, in Redis.

Without ``SHOWDESK_REDIS_URL`` there is one node and it always holds the lease: the
cluster-once jobs (restart recovery, the review files a dead process left, retention) run
in it, as they always did. With Redis, every node writes a heartbeat key
(``showdesk:node:<id>``: its id, its URL, when it started, its live calls and its load)
that expires after ``HEARTBEAT_TTLS`` heartbeat intervals unless it is written again; and
one node holds the lease (``showdesk:lease``, taken with SET NX PX and renewed by its
holder only). A holder that stops renewing (stopped, killed, cut off from Redis) loses
the lease when its key expires and another node takes it at its next heartbeat.

``holds_lease`` is judged on this node's own clock, counted from before the request that
took or renewed the lease: a node cut off from Redis stops believing it holds the lease
no later than the key expires in Redis, so two nodes never both run the jobs (as long as
their clocks run at the same rate).

Reading the nodes or the lease holder while Redis is out of reach raises ``Unavailable``
(code ``redis_unavailable``; ``GET /api/cluster`` answers 503) after one warning line,
which names the error but never the Redis URL (it may hold a password).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.errors import Unavailable
from server.infra.config import Settings

log = logging.getLogger("showdesk.cluster")

HEARTBEAT_TTLS = 3  # a heartbeat and the lease live this many heartbeat intervals
NODE_KEY = "showdesk:node:"
LEASE_KEY = "showdesk:lease"
# renew the lease only if this node still holds it (atomic: no other node's lease is
# extended or deleted by mistake)
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""

Figures = Callable[[], int]  # the node's live calls
REDIS_UNAVAILABLE = "redis_unavailable"


@dataclass(frozen=True)
class Node:
    """One node as its last heartbeat describes it."""

    id: str
    url: str
    started_at: datetime
    heartbeat_at: datetime
    calls: int
    load: float  # the 1-minute load average per CPU core (0 where unknown)


def node_load() -> float:
    """This machine's 1-minute load average per CPU core; 0.0 where it is unknown."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        return round(os.getloadavg()[0] / max(1, cores), 3)
    except OSError:
        return 0.0


class Cluster:
    """This node's membership: its heartbeat and its part in the leader lease.

    ``start`` writes the first heartbeat and tries the lease before it returns (so the
    node knows at once whether it runs the cluster-once jobs); a task then repeats both
    every ``node_heartbeat_s``. ``stop`` removes the heartbeat and gives the lease up, so
    another node takes it at its next heartbeat. Redis errors are logged and count as
    not holding the lease; they never stop the node.
    """

    def __init__(self, settings: Settings, calls: Figures | None = None) -> None:
        self.node_id = settings.node_name
        self.url = settings.node_address
        self.started_at = datetime.now(UTC)
        self.calls = calls or (lambda: 0)
        self._redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
        self._interval_s = settings.node_heartbeat_s
        self._ttl_ms = int(self._interval_s * HEARTBEAT_TTLS * 1000)
        self._redis: Any = None
        self._task: asyncio.Task[None] | None = None
        self._lease_until = 0.0  # monotonic time the lease is surely still ours until
        self._was_holder = False

    @property
    def shared(self) -> bool:
        """Several nodes may run (Redis is configured)."""
        return self._redis_url is not None

    @property
    def holds_lease(self) -> bool:
        """This node runs the cluster-once jobs now (always, without Redis)."""
        return not self.shared or time.monotonic() < self._lease_until

    async def start(self) -> None:
        if not self.shared:
            return
        import redis.asyncio as aioredis  # loaded only with several nodes

        self._redis = aioredis.from_url(
            self._redis_url,
            decode_responses=True,
            socket_timeout=self._interval_s,
            socket_connect_timeout=self._interval_s,
        )
        await self.beat()
        self._task = asyncio.create_task(self._run(), name="cluster-heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._redis is None:
            return
        self._lease_until = 0.0
        try:
            await self._redis.eval(_RELEASE, 1, LEASE_KEY, self.node_id)
            await self._redis.delete(NODE_KEY + self.node_id)
        except Exception as exc:  # noqa: BLE001  (Redis away: the keys expire by themselves)
            log.warning("node %s: could not leave the cluster cleanly: %s", self.node_id, exc)
        await self._redis.aclose()
        self._redis = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self.beat()

    def _heartbeat(self) -> str:
        return json.dumps(
            {
                "id": self.node_id,
                "url": self.url,
                "started_at": self.started_at.isoformat(),
                "heartbeat_at": datetime.now(UTC).isoformat(),
                "calls": self.calls(),
                "load": node_load(),
            }
        )

    async def beat(self) -> None:
        """Write the heartbeat, then renew the lease (holder) or try to take it."""
        asked_at = time.monotonic()
        try:
            await self._redis.set(NODE_KEY + self.node_id, self._heartbeat(), px=self._ttl_ms)
            held = await self._redis.eval(_RENEW, 1, LEASE_KEY, self.node_id, self._ttl_ms)
            if not held:
                held = await self._redis.set(LEASE_KEY, self.node_id, nx=True, px=self._ttl_ms)
        except Exception as exc:  # noqa: BLE001  (any Redis failure: not the holder)
            log.warning("node %s: heartbeat failed: %s", self.node_id, exc)
            held = False
        if held:
            self._lease_until = asked_at + self._ttl_ms / 1000
        holder = self.holds_lease
        if holder != self._was_holder:
            log.info("node %s %s the lease", self.node_id, "holds" if holder else "lost")
            self._was_holder = holder

    def _me(self) -> Node:
        return Node(
            id=self.node_id,
            url=self.url,
            started_at=self.started_at,
            heartbeat_at=datetime.now(UTC),
            calls=self.calls(),
            load=node_load(),
        )

    async def nodes(self) -> list[Node]:
        """The nodes whose heartbeat has not expired, by id (this node alone without Redis)."""
        if not self.shared:
            return [self._me()]
        from redis.exceptions import RedisError

        try:
            return await self._read_nodes()
        except RedisError as exc:
            raise self._unavailable("the nodes", exc) from None

    async def _read_nodes(self) -> list[Node]:
        found: list[Node] = []
        async for key in self._redis.scan_iter(match=NODE_KEY + "*", count=100):
            raw = await self._redis.get(key)
            if raw is None:  # expired between the scan and the read
                continue
            try:
                data = json.loads(raw)
                found.append(
                    Node(
                        id=str(data["id"]),
                        url=str(data["url"]),
                        started_at=datetime.fromisoformat(data["started_at"]),
                        heartbeat_at=datetime.fromisoformat(data["heartbeat_at"]),
                        calls=int(data["calls"]),
                        load=float(data["load"]),
                    )
                )
            except (ValueError, KeyError, TypeError):
                log.warning("a heartbeat that is not Showdesk's: %s", key)
        return sorted(found, key=lambda n: n.id)

    async def live_node_ids(self) -> set[str]:
        """The ids of the nodes whose heartbeat has not expired."""
        return {n.id for n in await self.nodes()}

    async def lease_holder(self) -> str | None:
        """The id of the node holding the lease (this node without Redis); None: nobody."""
        if not self.shared:
            return self.node_id
        from redis.exceptions import RedisError

        try:
            return await self._redis.get(LEASE_KEY)
        except RedisError as exc:
            raise self._unavailable("the lease holder", exc) from None

    def _unavailable(self, what: str, exc: Exception) -> Unavailable:
        log.warning(
            "node %s: could not read %s from Redis: %s: %s",
            self.node_id,
            what,
            type(exc).__name__,
            exc,
        )
        return Unavailable(
            "the nodes' shared Redis cannot be reached; try again in a moment",
            REDIS_UNAVAILABLE,
        )
