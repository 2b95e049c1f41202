"""Support hours: a weekly schedule in a time zone, closed dates, and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.errors import InvalidInput
from server.hours.schedule import Schedule

WEEKDAYS_9_TO_17 = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(closed: tuple[str, ...] = ()) -> Schedule:
    return Schedule.from_spec("Europe/Berlin", WEEKDAYS_9_TO_17, list(closed))


def test_open_inside_an_interval_in_the_shops_zone_and_closed_outside():
    hours = berlin()
    # Wednesday 2026-12-02: Berlin is UTC+1 in winter
    assert hours.is_open(utc(2026, 12, 2, 8, 0))  # 09:00 Berlin
    assert not hours.is_open(utc(2026, 12, 2, 7, 59))
    assert hours.is_open(utc(2026, 12, 2, 15, 59))
    assert not hours.is_open(utc(2026, 12, 2, 16, 0))  # 17:00 Berlin: the end is open
    assert hours.closes_at(utc(2026, 12, 2, 12, 0)) == utc(2026, 12, 2, 16, 0)
    assert hours.closes_at(utc(2026, 12, 2, 17, 0)) is None


def test_next_opening_is_the_moment_itself_when_open_and_monday_morning_after_friday():
    hours = berlin()
    assert hours.next_open_at(utc(2026, 12, 2, 10, 0)) == utc(2026, 12, 2, 10, 0)
    friday_evening = utc(2026, 12, 4, 18, 0)
    assert hours.next_open_at(friday_evening) == utc(2026, 12, 7, 8, 0)


def test_a_closed_date_is_skipped_in_the_shops_own_calendar():
    hours = berlin(closed=("2026-12-24", "2026-12-25"))
    assert not hours.is_open(utc(2026, 12, 24, 10, 0))
    # Wednesday 23rd after hours: Thursday and Friday closed, then the weekend
    assert hours.next_open_at(utc(2026, 12, 23, 20, 0)) == utc(2026, 12, 28, 8, 0)


def test_a_week_with_every_day_closed_never_opens():
    hours = Schedule.from_spec("Europe/Berlin", {}, [])
    assert not hours.is_open(utc(2026, 12, 2, 10, 0))
    assert hours.next_open_at(utc(2026, 12, 2, 10, 0)) is None
    assert hours.closes_at(utc(2026, 12, 2, 10, 0)) is None


def test_berlin_opens_at_nine_local_on_both_sides_of_the_spring_change():
    hours = berlin()
    # Clocks go forward on Sunday 2027-03-28: Friday 26th is UTC+1, Monday 29th UTC+2
    assert hours.next_open_at(utc(2027, 3, 26, 7, 30)) == utc(2027, 3, 26, 8, 0)
    assert hours.next_open_at(utc(2027, 3, 26, 18, 0)) == utc(2027, 3, 29, 7, 0)
    assert hours.closes_at(utc(2027, 3, 29, 7, 0)) == utc(2027, 3, 29, 15, 0)


def test_berlin_opens_at_nine_local_after_the_autumn_change():
    hours = berlin()
    # Clocks go back on Sunday 2026-10-25: Friday 23rd UTC+2, Monday 26th UTC+1
    assert hours.next_open_at(utc(2026, 10, 23, 16, 0)) == utc(2026, 10, 26, 8, 0)
    assert hours.is_open(utc(2026, 10, 23, 7, 0))
    assert not hours.is_open(utc(2026, 10, 26, 7, 30))


def test_new_york_a_skipped_hour_opens_when_the_clocks_jump():
    # 2027-03-14 02:00 EST becomes 03:00 EDT (07:00 UTC); 02:30 never happens
    hours = Schedule.from_spec("America/New_York", {"sun": ["02:30-05:00"]})
    before = utc(2027, 3, 14, 5, 0)  # 00:00 EST
    assert hours.next_open_at(before) == utc(2027, 3, 14, 7, 0)
    assert hours.is_open(utc(2027, 3, 14, 7, 0))  # 03:00 EDT
    assert not hours.is_open(utc(2027, 3, 14, 6, 59))  # 01:59 EST
    assert hours.closes_at(utc(2027, 3, 14, 7, 30)) == utc(2027, 3, 14, 9, 0)  # 05:00 EDT


def test_new_york_an_interval_inside_the_skipped_hour_never_opens_that_day():
    hours = Schedule.from_spec("America/New_York", {"sun": ["02:10-02:40"]})
    # that Sunday has no 02:10-02:40; the next is a week later, in EDT (UTC-4)
    assert hours.next_open_at(utc(2027, 3, 14, 5, 0)) == utc(2027, 3, 21, 6, 10)


def test_new_york_autumn_a_repeated_hour_counts_once_from_its_first_occurrence():
    # 2026-11-01 02:00 EDT becomes 01:00 EST (06:00 UTC): 01:00-01:59 happens twice
    hours = Schedule.from_spec("America/New_York", {"sun": ["00:00-01:30"]})
    assert hours.is_open(utc(2026, 11, 1, 5, 15))  # 01:15 EDT, first pass
    assert hours.closes_at(utc(2026, 11, 1, 4, 0)) == utc(2026, 11, 1, 5, 30)
    assert not hours.is_open(utc(2026, 11, 1, 6, 15))  # 01:15 EST, the second pass


def test_touching_intervals_across_midnight_close_once():
    hours = Schedule.from_spec("UTC", {"mon": ["22:00-24:00"], "tue": ["00:00-02:00"]})
    monday_night = utc(2026, 11, 30, 23, 0)
    assert hours.closes_at(monday_night) == utc(2026, 12, 1, 2, 0)
    assert hours.is_open(utc(2026, 12, 1, 0, 0))


def test_the_schedule_survives_its_stored_form():
    hours = berlin(closed=("2026-12-25",))
    again = Schedule.from_spec(**_as_kwargs(hours.to_spec()))
    assert again == hours
    assert hours.to_spec()["week"]["sat"] == []


def _as_kwargs(spec: dict) -> dict:
    return {
        "timezone": spec["timezone"],
        "week": spec["week"],
        "closed_dates": spec["closed_dates"],
    }


@pytest.mark.parametrize(
    ("timezone", "week", "closed", "message"),
    [
        ("Mars/Olympus", {}, [], '"Mars/Olympus" is not an IANA time zone'),
        ("UTC", {"monday": ["09:00-17:00"]}, [], '"monday" is not a weekday'),
        ("UTC", {"mon": ["9-5"]}, [], 'mon: "9-5" is not an interval like "09:00-17:30"'),
        ("UTC", {"mon": ["09:00-25:00"]}, [], 'mon: "09:00-25:00" has a time that'),
        ("UTC", {"tue": ["22:00-02:00"]}, [], 'tue: "22:00-02:00" ends before it starts'),
        ("UTC", {"wed": ["09:00-12:00", "11:00-13:00"]}, [], 'wed: "09:00-12:00" and "11:00-13'),
        ("UTC", {}, ["25/12/2026"], '"25/12/2026" is not a date like "2026-12-25"'),
    ],
)  # fmt: skip
def test_a_bad_schedule_is_refused_with_a_sentence_that_names_the_day(
    timezone, week, closed, message
):
    with pytest.raises(InvalidInput) as refused:
        Schedule.from_spec(timezone, week, closed)
    assert refused.value.message.startswith(message)


def test_a_naive_moment_is_a_programming_error():
    with pytest.raises(ValueError, match="aware"):
        berlin().is_open(datetime(2026, 12, 2, 10, 0))


def test_always_open_closes_far_ahead_not_never():
    hours = Schedule.from_spec(
        "UTC", {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    )
    now = utc(2026, 12, 2, 10, 0)
    assert hours.closes_at(now) > now + timedelta(days=365)
