"""The server side through TURN (a server behind NAT): with ``SHOWDESK_RELAY_USES_TURN``
each relay leg gets a credential of its own, sent to its worker with the leg, and a peer
that can reach the relay only through coturn still connects."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.helpers.peers import Client
from tests.helpers.servers import LiveServer
from tests.helpers.turn import Coturn
from tests.helpers.waiting import poll_until

CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ (\w+).*$", re.M)


def _only_relayed(sdp: str) -> str:
    """``sdp`` with every candidate but the relayed ones removed: whoever reads it can
    reach its sender only through the TURN server."""
    lines = [
        line
        for line in sdp.split("\r\n")
        if not line.startswith("a=candidate:") or " typ relay" in line
    ]
    return "\r\n".join(lines)


async def test_a_relay_leg_gathers_a_turn_candidate_and_a_peer_connects_through_it_alone(
    server_factory: Callable[..., LiveServer], coturn_server: Coturn, clients: list[Client]
) -> None:
    server = server_factory(
        turn_urls=coturn_server.urls, turn_secret=coturn_server.secret, relay_uses_turn=True
    )
    media = server.app.state.calls.media
    await server.arun(server.app.state.calls.relay.wait_ready(), 35)
    buyer = Client()
    buyer.send("video")
    clients.append(buyer)
    answer = await server.arun(media.offer("conn-1", "call-turn", "buyer", await buyer.offer()))
    found = CANDIDATE.findall(answer)
    relayed = [(host, port) for host, port, kind in found if kind == "relay"]
    assert relayed == [("127.0.0.1", relayed[0][1])], found  # coturn's relay address
    await buyer.accept(_only_relayed(answer))
    await poll_until(
        lambda: buyer.pc.connectionState == "connected",
        lambda: f"the buyer's connection is {buyer.pc.connectionState}",
        timeout_s=10,
    )
    await server.arun(media.connection_gone("conn-1"))
