"""A shop's support hours: a weekly schedule of open intervals in one IANA time zone,
plus closed dates. Pure: no database, no clock (every question takes the moment).

Intervals are wall-clock times ``"HH:MM-HH:MM"`` of one weekday (``"24:00"`` may end
one; none crosses midnight: write ``mon 22:00-24:00`` and ``tue 00:00-02:00``, which
count as one opening). Overlapping intervals of a day are refused; touching ones join.

Daylight saving: a wall time stands for its first occurrence (fold 0) when the clocks
go back, and a wall time the clocks skip stands for the moment they jump. So an opening
at 09:00 is at 09:00 local time on either side of a change, and an interval entirely
inside a skipped hour never opens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.errors import InvalidInput
from signaling.locales import IANA_TIMEZONES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
MAX_INTERVALS_PER_DAY = 6  # a split shift or two, with room; more is a typo
MAX_CLOSED_DATES = 400  # a year of holidays and more
HORIZON_DAYS = 731  # next_open_at looks this far ahead (two years), then says "never"
MINUTES_PER_DAY = 24 * 60
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True, order=True)
class Interval:
    """An open interval of a day, in minutes since local midnight: ``[start, end)``."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_interval(text: str, day: str = "") -> Interval:
    """``"09:00-17:30"`` as an :class:`Interval`; InvalidInput naming ``day`` otherwise."""
    where = f"{day}: " if day else ""
    match = _INTERVAL.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(f'{where}"{text}" is not an interval like "09:00-17:30"')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise InvalidInput(f'{where}"{text}" has a time that does not exist (00:00 to 24:00)')
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise InvalidInput(
            f'{where}"{text}" ends before it starts; an interval cannot cross midnight '
            f'(write "...-24:00" and the next day "00:00-...")'
        )
    return Interval(start, end)


@dataclass(frozen=True)
class Schedule:
    """Support hours: ``week[i]`` are the intervals of weekday ``i`` (Monday 0), sorted and
    not overlapping; ``closed`` are local dates without any opening."""

    timezone: str
    week: tuple[tuple[Interval, ...], ...]
    closed: frozenset[date]

    @classmethod
    def from_spec(
        cls,
        timezone: str,
        week: Mapping[str, Sequence[str]],
        closed_dates: Sequence[str] = (),
    ) -> Schedule:
        """Build and check a schedule from its stored or sent form: ``week`` maps
        ``mon``..``sun`` (a missing day is closed) to interval strings, ``closed_dates``
        are ISO dates. InvalidInput says what is wrong, naming the day or date."""
        if not isinstance(timezone, str) or timezone not in IANA_TIMEZONES:
            raise InvalidInput(f'"{timezone}" is not an IANA time zone (e.g. Europe/Berlin)')
        unknown = sorted(set(week) - set(WEEKDAYS))
        if unknown:
            raise InvalidInput(f'"{unknown[0]}" is not a weekday (use {", ".join(WEEKDAYS)})')
        days: list[tuple[Interval, ...]] = []
        for name in WEEKDAYS:
            texts = list(week.get(name, ()))
            if len(texts) > MAX_INTERVALS_PER_DAY:
                raise InvalidInput(f"{name}: at most {MAX_INTERVALS_PER_DAY} intervals a day")
            intervals = sorted(parse_interval(text, name) for text in texts)
            for before, after in zip(intervals, intervals[1:], strict=False):
                if after.start < before.end:
                    raise InvalidInput(f'{name}: "{before}" and "{after}" overlap')
            days.append(tuple(intervals))
        if len(closed_dates) > MAX_CLOSED_DATES:
            raise InvalidInput(f"at most {MAX_CLOSED_DATES} closed dates")
        closed: set[date] = set()
        for text in closed_dates:
            try:
                closed.add(date.fromisoformat(text))
            except (TypeError, ValueError):
                raise InvalidInput(f'"{text}" is not a date like "2026-12-25"') from None
        return cls(timezone=timezone, week=tuple(days), closed=frozenset(closed))

    def to_spec(self) -> dict:
        """The stored and shown form (the inverse of :meth:`from_spec`)."""
        return {
            "timezone": self.timezone,
            "week": {name: [str(i) for i in self.week[n]] for n, name in enumerate(WEEKDAYS)},
            "closed_dates": sorted(d.isoformat() for d in self.closed),
        }

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def never_open(self) -> bool:
        """No weekday has an interval: no opening, ever."""
        return not any(self.week)

    # ------------------------------------------------------------------ questions
    def is_open(self, at: datetime) -> bool:
        """Whether support is open at the aware moment ``at``."""
        return self._span_at(at) is not None

    def next_open_at(self, at: datetime) -> datetime | None:
        """The first moment at or after ``at`` when support is open (``at`` itself when
        open), as aware UTC; None when there is none within :data:`HORIZON_DAYS`."""
        if self.never_open:
            return None
        for start, end in self._spans(_utc(at), HORIZON_DAYS):
            if end > at:
                return max(start, _utc(at))
        return None

    def closes_at(self, at: datetime) -> datetime | None:
        """When the opening that holds ``at`` ends (touching intervals, also across
        midnight, count as one), as aware UTC; None when closed at ``at``."""
        span = self._span_at(at)
        if span is None:
            return None
        end = span[1]
        for start, later_end in self._spans(end, HORIZON_DAYS):
            if start > end:
                break
            end = max(end, later_end)
        return end

    # ------------------------------------------------------------------ instants
    def _span_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        moment = _utc(at)
        for start, end in self._spans(moment - timedelta(days=1), 3):
            if start <= moment < end:
                return start, end
            if start > moment:
                return None
        return None

    def _spans(self, after: datetime, days: int) -> Iterator[tuple[datetime, datetime]]:
        """The openings as UTC instants, in order, from the local day before ``after``
        on, for ``days`` + 1 local days; empty ones (inside a skipped hour) left out."""
        zone = self.zone
        first = after.astimezone(zone).date() - timedelta(days=1)
        for offset in range(days + 1):
            day = first + timedelta(days=offset)
            if day in self.closed:
                continue
            for interval in self.week[day.weekday()]:
                start = _instant(zone, day, interval.start)
                end = _instant(zone, day, interval.end)
                if start < end:
                    yield start, end


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("support hours take an aware datetime")
    return at.astimezone(UTC)


def _instant(zone: ZoneInfo, day: date, minute: int) -> datetime:
    """The UTC instant of wall time ``minute`` on local ``day`` (1440: the next day's
    midnight): its first occurrence, or for a skipped time the moment the clocks jump."""
    day += timedelta(days=minute // MINUTES_PER_DAY)
    minute %= MINUTES_PER_DAY
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # skipped: fold=1 reads it with the offset after the jump, which lands before the
    # jump; the jump is the first whole minute from there whose wall time is past ``wall``
    moment = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    while moment.astimezone(zone).replace(tzinfo=None) < wall:
        moment += timedelta(minutes=1)
    return moment
