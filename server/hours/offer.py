"""Whether, and why, the buyer page offers to record a video instead of waiting. Pure:
the schedule, who is online and the moment go in, a :class:`SupportStatus` comes out.

The reasons, first that applies: ``closed`` (hours are set and it is outside them),
``nobody`` (no agent is available or in a call: nobody will answer), ``long_wait`` (the
expected wait passes the threshold). The buyer may record at any time regardless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from server.hours.schedule import Schedule
from signaling.switchboard import Presence

OfferReason = Literal["closed", "nobody", "long_wait"]


@dataclass(frozen=True)
class SupportStatus:
    hours_configured: bool
    within_hours: bool
    next_open_at: datetime | None  # outside hours: when support opens again (None: never)
    closes_at: datetime | None  # within configured hours: when they end
    agents_online: int
    agents_available: int
    agents_busy: int
    queue_length: int
    expected_wait_s: int | None
    record_offer_wait_s: int
    offer_recording: bool
    offer_reason: OfferReason | None


def support_status(
    schedule: Schedule | None, presence: Presence, now: datetime, record_offer_wait_s: int
) -> SupportStatus:
    """The buyer's view of support at ``now``; no schedule counts as always open."""
    within = schedule is None or schedule.is_open(now)
    reason: OfferReason | None = None
    if not within:
        reason = "closed"
    elif presence.agents_available == 0 and presence.agents_busy == 0:
        reason = "nobody"
    elif presence.expected_wait_s is not None and presence.expected_wait_s > record_offer_wait_s:
        reason = "long_wait"
    return SupportStatus(
        hours_configured=schedule is not None,
        within_hours=within,
        next_open_at=None if within or schedule is None else schedule.next_open_at(now),
        closes_at=schedule.closes_at(now) if schedule is not None and within else None,
        agents_online=presence.agents_online,
        agents_available=presence.agents_available,
        agents_busy=presence.agents_busy,
        queue_length=presence.queue_length,
        expected_wait_s=presence.expected_wait_s,
        record_offer_wait_s=record_offer_wait_s,
        offer_recording=reason is not None,
        offer_reason=reason,
    )
