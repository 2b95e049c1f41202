"""A relay leg's ICE checks through a browser's TURN relay: retried at once, not after 0.5 s.

When a page uses TURN only (``iceTransportPolicy: "relay"``), the relay's first check
to the page's relayed address reaches the TURN server before the page has asked it for
a permission for the relay's address, and is dropped. aioice 0.13 then retransmits only
after 0.5 s (``stun.RETRY_RTO``), even though the page's own check has meanwhile come in
through the TURN server, proving that the way is open: answer time measured +450 ms
against a direct connection.

RFC 8445, section 7.3.1.4, says what to do with an incoming check on a pair whose own
check is In-Progress: start a new (triggered) check of the pair. aioice starts triggered
checks for Waiting and Frozen pairs only. ``retrigger_in_progress_checks`` adds it for
one aioice ``Connection``: the In-Progress check is cancelled and started again, once
per pair (so a slow path is not restarted over and over). It wraps that connection's
``check_incoming`` only, per peer connection of the relay (``LocalRelay.answer``):
nothing module-level changes, so any other aioice user in the process keeps aioice's
own behaviour. ``check_ice_seams`` fails loudly if an aioice upgrade moves what it uses
(aioice is pinned through aiortc 1.16.x; tested in tests/media/test_aiortc_seams.py).
"""

from __future__ import annotations

import logging
from typing import Any

from aioice import Connection
from aioice.ice import CandidatePair
from aiortc import RTCPeerConnection

logger = logging.getLogger(__name__)

_CHECK_LIST_ATTR = "_check_list"  # aioice Connection: the CandidatePair list, by priority
_GATHERER_CONNECTION_ATTR = "_connection"  # aiortc RTCIceGatherer: its aioice Connection
_WRAPPED = "_showdesk_retriggers"


class IceSeamError(RuntimeError):
    """aioice or aiortc no longer has what ``retrigger_in_progress_checks`` relies on."""


def check_ice_seams(connection: Connection) -> None:
    """Raise ``IceSeamError`` unless ``connection`` can be given the retriggered checks."""
    if not isinstance(getattr(connection, _CHECK_LIST_ATTR, None), list):
        raise IceSeamError(f"aioice Connection has no {_CHECK_LIST_ATTR} list")
    for name in ("check_incoming", "check_state", "check_start_task"):
        if not callable(getattr(connection, name, None)):
            raise IceSeamError(f"aioice Connection has no {name}()")
    for state in ("IN_PROGRESS", "WAITING"):
        if not hasattr(CandidatePair.State, state):
            raise IceSeamError(f"aioice CandidatePair.State has no {state}")


def ice_connections(pc: RTCPeerConnection) -> list[Connection]:
    """The aioice connections of ``pc``'s transceivers (one when bundled)."""
    found: list[Connection] = []
    for transceiver in pc.getTransceivers():
        transport = transceiver.sender.transport
        gatherer = transport.transport.iceGatherer if transport is not None else None
        connection = getattr(gatherer, _GATHERER_CONNECTION_ATTR, None)
        if connection is None:
            raise IceSeamError(f"aiortc RTCIceGatherer has no {_GATHERER_CONNECTION_ATTR}")
        if all(connection is not seen for seen in found):
            found.append(connection)
    return found


def retrigger_in_progress_checks(connection: Connection) -> None:
    """From now on, an incoming check on a pair of ``connection`` whose own check is
    In-Progress starts that check again at once (once per pair). Idempotent."""
    if getattr(connection, _WRAPPED, False):
        return
    check_ice_seams(connection)
    original = connection.check_incoming
    retriggered: set[int] = set()
    in_progress = CandidatePair.State.IN_PROGRESS

    def check_incoming(message: Any, addr: tuple[str, int], protocol: Any) -> None:
        pair = next(
            (
                p
                for p in getattr(connection, _CHECK_LIST_ATTR)
                if p.protocol is protocol and p.remote_addr == addr
            ),
            None,
        )
        original(message, addr, protocol)
        if pair is None or pair.state != in_progress or id(pair) in retriggered:
            return
        task = pair.task
        if task is None or task.done():
            return
        retriggered.add(id(pair))
        task.cancel()
        pair.task = None
        connection.check_state(pair, CandidatePair.State.WAITING)
        connection.check_start_task(pair)
        logger.debug("ICE check of %s started again: the peer's check came in first", pair)

    connection.check_incoming = check_incoming  # type: ignore[method-assign]
    setattr(connection, _WRAPPED, True)
