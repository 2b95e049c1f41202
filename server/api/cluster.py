"""``GET /api/cluster``: the nodes of this installation and which one holds the lease
(``server/infra/cluster.py``). One node without Redis: that node, holding the lease.
Admins only. Redis out of reach: 503 ``redis_unavailable``."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from server.api.deps import Admin

router = APIRouter(tags=["system"])


class NodeOut(BaseModel):
    id: str = Field(description="the node's name (SHOWDESK_NODE_ID, or hostname-process id)")
    url: str = Field(description="the address the node advertises (SHOWDESK_NODE_URL)")
    started_at: datetime
    heartbeat_at: datetime = Field(description="its last heartbeat")
    calls: int = Field(ge=0, description="its calls not yet ended")
    load: float = Field(ge=0, description="its machine's 1-minute load average per CPU core")
    holds_lease: bool = Field(description="it runs the jobs done once for all nodes")


class ClusterOut(BaseModel):
    shared: bool = Field(description="nodes share Redis (SHOWDESK_REDIS_URL is set)")
    this_node: str = Field(description="the id of the node that answered")
    lease_holder: str | None = Field(description="the id of the lease holder; null: none now")
    nodes: list[NodeOut] = Field(description="the nodes whose heartbeat has not expired, by id")


@router.get(
    "/api/cluster",
    response_model=ClusterOut,
    responses={503: {"description": "the nodes' Redis cannot be reached (redis_unavailable)"}},
)
async def read_cluster(principal: Admin, request: Request) -> ClusterOut:
    """The live nodes (id, URL, last heartbeat, calls, load) and the lease holder.
    Admins only. 503 ``redis_unavailable`` while the nodes' shared Redis cannot be
    reached."""
    cluster = request.app.state.calls.cluster
    holder = await cluster.lease_holder()
    return ClusterOut(
        shared=cluster.shared,
        this_node=cluster.node_id,
        lease_holder=holder,
        nodes=[
            NodeOut(
                id=n.id,
                url=n.url,
                started_at=n.started_at,
                heartbeat_at=n.heartbeat_at,
                calls=n.calls,
                load=n.load,
                holds_lease=n.id == holder,
            )
            for n in await cluster.nodes()
        ],
    )
