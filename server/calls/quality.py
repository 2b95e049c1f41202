"""How each side's connection is during a call, and the summary stored with it.

Two sources say how a side's connection is:

- the relay: a leg whose media stops (``media_stopped``, nothing of any kind for 0.6 s)
  makes its side ``lost`` until its media resumes (``media_resumed``);
- the side's own page: its ``quality`` report (``good``, ``poor`` or ``lost``), measured
  with ``getStats`` (web/js/quality.js).

A side's state is ``lost`` while the relay says so, else what its page last reported
(``good`` until it reports). ``QualityBook`` keeps both per answered call and says which
side's state changed; the call desk tells both participants (``quality`` messages).

When each of the buyer's legs closes, the relay reports what its connection was like
(``leg_quality``); ``summarize`` turns a call's buyer legs into the ``CallQuality``
stored with the call and shown on review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from server.models.call import CallQuality

Side = Literal["buyer", "agent"]
State = Literal["good", "poor", "lost"]
SIDES: tuple[Side, ...] = ("buyer", "agent")

# A call's network was poor (the review marks it) with any of these.
POOR_LOSS_PCT = 3.0
POOR_RTT_MS = 400
MAX_LEGS_PER_CALL = 64  # a buyer reloading again and again: later legs are not kept


@dataclass(frozen=True)
class LegFigures:
    """One closed leg's figures, as the relay's ``leg_quality`` event has them."""

    packets_expected: int
    packets_lost: int
    rtt_ms: int | None
    rtt_samples: int
    stalls: int
    worst_stall_ms: int

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> LegFigures:
        """The figures of a ``leg_quality`` event; ValueError for a malformed one."""

        def count(name: str) -> int:
            value = event.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"leg_quality.{name} must be a count, not {value!r}")
            return value

        rtt = event.get("rtt_ms")
        if rtt is not None and (not isinstance(rtt, int) or isinstance(rtt, bool) or rtt < 0):
            raise ValueError(f"leg_quality.rtt_ms must be a count or null, not {rtt!r}")
        return cls(
            packets_expected=count("packets_expected"),
            packets_lost=count("packets_lost"),
            rtt_ms=rtt,
            rtt_samples=count("rtt_samples"),
            stalls=count("stalls"),
            worst_stall_ms=count("worst_stall_ms"),
        )


def summarize(legs: Iterable[LegFigures]) -> CallQuality | None:
    """The call's quality from its buyer legs: freezes and the worst stall over all legs,
    loss over all their packets (percent, one decimal), the round trip as the median
    legs' round trips weighted by their samples; None without any leg. ``poor`` when there
    was a freeze, ``POOR_LOSS_PCT`` loss or more, or a round trip of ``POOR_RTT_MS`` or
    more."""
    legs = list(legs)
    if not legs:
        return None
    expected = sum(leg.packets_expected for leg in legs)
    lost = sum(min(leg.packets_lost, leg.packets_expected) for leg in legs)
    loss_pct = round(100 * lost / expected, 1) if expected else None
    if loss_pct == 0.0 and lost:
        loss_pct = 0.1  # some loss is never shown as none
    weighted = sorted((leg.rtt_ms, leg.rtt_samples) for leg in legs if leg.rtt_ms is not None)
    rtt_ms = _weighted_median(weighted)
    freezes = sum(leg.stalls for leg in legs)
    poor = (
        freezes > 0
        or (loss_pct is not None and loss_pct >= POOR_LOSS_PCT)
        or (rtt_ms is not None and rtt_ms >= POOR_RTT_MS)
    )
    return CallQuality(
        freezes=freezes,
        worst_stall_ms=max(leg.worst_stall_ms for leg in legs),
        loss_pct=loss_pct,
        rtt_ms=rtt_ms,
        poor=poor,
    )


def _weighted_median(values: list[tuple[int, int]]) -> int | None:
    """The median of ``(value, weight)`` pairs sorted by value (weight 0 counts as 1)."""
    if not values:
        return None
    weights = [max(1, weight) for _, weight in values]
    half = sum(weights) / 2
    seen = 0
    for (value, _), weight in zip(values, weights, strict=True):
        seen += weight
        if seen >= half:
            return value
    return values[-1][0]


@dataclass
class _Call:
    relay_lost: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(SIDES, False))
    page: dict[str, State] = field(default_factory=lambda: dict.fromkeys(SIDES, "good"))
    told: dict[str, State] = field(default_factory=lambda: dict.fromkeys(SIDES, "good"))
    buyer_legs: list[LegFigures] = field(default_factory=list)


class QualityBook:
    """Connection states and buyer-leg figures of the answered calls (module docstring).

    ``start`` when a call is answered, ``finish`` when it ended and its legs closed;
    anything about a call that is not started is ignored (returns no change)."""

    def __init__(self) -> None:
        self._calls: dict[str, _Call] = {}

    def start(self, session_id: str) -> None:
        self._calls.setdefault(session_id, _Call())

    def media_flow(self, session_id: str, side: Side, flowing: bool) -> State | None:
        """The relay says ``side``'s media stopped or resumed; returns the side's new
        state when it changed, else None."""
        call = self._calls.get(session_id)
        if call is None:
            return None
        call.relay_lost[side] = not flowing
        return self._changed(call, side)

    def new_leg(self, session_id: str, side: Side) -> State | None:
        """``side`` has a new connection whose media arrives (a reloaded or reconnected
        page): the relay's stop and its old page's report no longer hold; returns the
        side's new state when it changed, else None."""
        call = self._calls.get(session_id)
        if call is None:
            return None
        call.relay_lost[side] = False
        call.page[side] = "good"
        return self._changed(call, side)

    def page_report(self, session_id: str, side: Side, state: State) -> State | None:
        """``side``'s page measured ``state``; returns the side's new state when it
        changed, else None."""
        call = self._calls.get(session_id)
        if call is None:
            return None
        call.page[side] = state
        return self._changed(call, side)

    def state(self, session_id: str, side: Side) -> State:
        """The side's state as last told (``good`` for a call not started)."""
        call = self._calls.get(session_id)
        return call.told[side] if call is not None else "good"

    def leg_closed(self, session_id: str, side: Side, figures: LegFigures) -> None:
        """A leg of the call closed with these figures (only the buyer's are summarized)."""
        call = self._calls.get(session_id)
        if call is not None and side == "buyer" and len(call.buyer_legs) < MAX_LEGS_PER_CALL:
            call.buyer_legs.append(figures)

    def finish(self, session_id: str) -> CallQuality | None:
        """Forget the call; its summary (None without any buyer leg)."""
        call = self._calls.pop(session_id, None)
        return summarize(call.buyer_legs) if call is not None else None

    @staticmethod
    def _changed(call: _Call, side: Side) -> State | None:
        state: State = "lost" if call.relay_lost[side] else call.page[side]
        if state == call.told[side]:
            return None
        call.told[side] = state
        return state
