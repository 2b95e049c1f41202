"""``GET /metrics``: the server's metrics in Prometheus' text format
(``server/infra/metrics.py``), for the clients ``metrics_reader`` lets in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.api.deps import MetricsReader
from server.infra.metrics import CONTENT_TYPE_LATEST

router = APIRouter()


@router.get("/metrics", include_in_schema=False, dependencies=[MetricsReader])
async def read_metrics(request: Request) -> Response:
    return Response(
        await request.app.state.metrics.exposition(),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )
