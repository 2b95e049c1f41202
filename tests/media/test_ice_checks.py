"""A check through the peer's TURN relay is started again as soon as the peer's own check
comes in (server/relay/ice_checks.py): two real aioice agents, one reachable only at its
address on a real coturn, which drops the first check sent there before a permission."""

from __future__ import annotations

import asyncio
import logging
import time

import aioice
import pytest
from aioice.ice import CandidatePair

from server.infra.turn import turn_credential
from server.relay.ice_checks import retrigger_in_progress_checks
from tests.helpers.turn import Coturn


async def _pair(coturn_server: Coturn) -> tuple[aioice.Connection, aioice.Connection]:
    username, password = turn_credential(coturn_server.secret, "page", int(time.time()) + 600)
    relay_side = aioice.Connection(ice_controlling=False, components=1)
    page = aioice.Connection(
        ice_controlling=True,
        components=1,
        turn_server=("127.0.0.1", coturn_server.port),
        turn_username=username,
        turn_password=password,
        turn_transport="udp",
        transport_policy=aioice.TransportPolicy.RELAY,  # like a browser on TURN only
    )
    await asyncio.gather(relay_side.gather_candidates(), page.gather_candidates())
    return relay_side, page


async def test_a_check_to_the_peers_relayed_address_starts_again_when_its_check_arrives(
    coturn_server: Coturn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="server.relay.ice_checks")
    relay_side, page = await _pair(coturn_server)
    try:
        retrigger_in_progress_checks(relay_side)
        relayed = page.local_candidates
        assert [c.type for c in relayed] == ["relay"], "coturn gave the page no relayed address"
        for candidate in relayed:
            await relay_side.add_remote_candidate(candidate)
        await relay_side.add_remote_candidate(None)
        for candidate in relay_side.local_candidates:
            await page.add_remote_candidate(candidate)
        await page.add_remote_candidate(None)
        relay_side.remote_username, relay_side.remote_password = (
            page.local_username,
            page.local_password,
        )
        page.remote_username, page.remote_password = (
            relay_side.local_username,
            relay_side.local_password,
        )
        await asyncio.wait_for(asyncio.gather(relay_side.connect(), page.connect()), 20)
        succeeded = [p for p in relay_side._check_list if p.state == CandidatePair.State.SUCCEEDED]
        assert succeeded and all(p.remote_candidate.type == "relay" for p in succeeded)
        started_again = [r for r in caplog.records if "started again" in r.getMessage()]
        assert started_again, "the check to the relayed address was never started again"
    finally:
        await asyncio.gather(relay_side.close(), page.close())


async def test_wrapping_a_connection_twice_wraps_it_once() -> None:
    connection = aioice.Connection(ice_controlling=False, components=1)
    retrigger_in_progress_checks(connection)
    wrapped = connection.check_incoming
    retrigger_in_progress_checks(connection)
    assert connection.check_incoming is wrapped
    await connection.close()
