"""When the buyer page offers to record instead of waiting, and why."""

from __future__ import annotations

from datetime import UTC, datetime

from server.hours.offer import support_status
from server.hours.schedule import Schedule
from signaling.switchboard import Presence

WEDNESDAY_NOON = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
WEDNESDAY_NIGHT = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
HOURS = Schedule.from_spec("Europe/Berlin", {"wed": ["09:00-17:00"], "thu": ["09:00-17:00"]})
ONE_FREE = Presence(agents_online=1, agents_available=1, agents_busy=0, queue_length=0,
                    expected_wait_s=0)  # fmt: skip


def test_outside_hours_the_offer_is_closed_with_the_next_opening():
    status = support_status(HOURS, ONE_FREE, WEDNESDAY_NIGHT, 300)
    assert (status.offer_recording, status.offer_reason) == (True, "closed")
    assert status.next_open_at == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert status.closes_at is None and status.within_hours is False


def test_within_hours_with_a_free_agent_nothing_is_offered():
    status = support_status(HOURS, ONE_FREE, WEDNESDAY_NOON, 300)
    assert (status.offer_recording, status.offer_reason) == (False, None)
    assert status.closes_at == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert status.next_open_at is None


def test_no_hours_set_counts_as_open_and_nobody_online_is_nobody():
    nobody = Presence(0, 0, 0, 0, None)
    status = support_status(None, nobody, WEDNESDAY_NIGHT, 300)
    assert status.hours_configured is False and status.within_hours is True
    assert (status.offer_recording, status.offer_reason) == (True, "nobody")


def test_agents_only_away_is_nobody_and_busy_agents_past_the_threshold_is_a_long_wait():
    away = Presence(2, 0, 0, 3, None)
    assert support_status(None, away, WEDNESDAY_NOON, 300).offer_reason == "nobody"
    busy = Presence(1, 0, 1, 2, 540)
    assert support_status(None, busy, WEDNESDAY_NOON, 300).offer_reason == "long_wait"
    assert support_status(None, busy, WEDNESDAY_NOON, 600).offer_reason is None
