"""Fixtures for the media tests: a real LocalRelay and its event log, and the clients a
test made (tests/helpers/peers.py), closed after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.relay.local import LocalRelay
from tests.helpers.peers import Client


@pytest.fixture
def events() -> list[dict[str, Any]]:
    return []


@pytest.fixture
async def relay(events: list[dict[str, Any]]) -> AsyncIterator[LocalRelay]:
    relay = LocalRelay(
        on_event=events.append, ice_servers=[], connect_timeout_s=5.0, video_codecs=("VP8",)
    )
    yield relay
    await relay.aclose()


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    """Clients created by a test; closed after it."""
    made: list[Client] = []
    yield made
    for client in made:
        await client.close()
