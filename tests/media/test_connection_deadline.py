"""A leg whose peer never connects fails with connection_failed after the deadline."""

from __future__ import annotations

import time
from typing import Any

import pytest

from server.relay import UnknownParticipantError
from server.relay.local import LocalRelay
from tests.helpers.peers import Client, events_of
from tests.helpers.waiting import poll_until

DEADLINE_S = 1.0


async def test_unconnected_leg_fails_with_connection_failed_after_deadline(clients):
    events: list[dict[str, Any]] = []
    relay = LocalRelay(
        on_event=events.append, ice_servers=[], connect_timeout_s=DEADLINE_S, video_codecs=("VP8",)
    )
    buyer = Client()
    buyer.send("video")
    clients.append(buyer)
    try:
        await relay.open("call-1", "buyer-1", "buyer")
        answered = time.monotonic()
        # The answer is never given to the buyer, so ICE/DTLS never come up.
        await relay.answer("buyer-1", await buyer.offer())
        await poll_until(
            lambda: bool(events_of(events, "closed", "buyer-1")),
            lambda: f"events: {events}",
            timeout_s=DEADLINE_S + 3,
        )
        failed_after_s = time.monotonic() - answered
        assert events_of(events, "failed", "buyer-1") == [
            {
                "type": "failed",
                "call_id": "call-1",
                "participant_id": "buyer-1",
                "reason": "connection_failed",
            }
        ]
        assert events_of(events, "closed", "buyer-1")[0]["reason"] == "connection_failed"
        assert [e["type"] for e in events if e["type"] in ("failed", "closed")] == [
            "failed",
            "closed",
        ]
        assert failed_after_s >= DEADLINE_S
        assert not events_of(events, "connected", "buyer-1")
        with pytest.raises(UnknownParticipantError):
            relay.sources("buyer-1")
    finally:
        await relay.aclose()
