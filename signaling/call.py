"""The call state machine: one :class:`Call` per session, with its timeline.

States and legal transitions::

    waiting -> live           answered by an agent            (event "answered")
    waiting -> ended          left the queue, revoked, ...     (event "ended")
    live -> reconnecting      a participant's connection went  (event "reconnecting")
    reconnecting -> live      everybody is back                (event "resumed")
    live -> ended             hung up, max duration, ...       (event "ended")
    reconnecting -> ended     grace expired, hung up, ...      (event "ended")

A declined call is created directly as ``ended`` with ``buyer_declined`` (event
"declined"); every other call starts ``waiting`` (event "created"). Anything else raises
:class:`~signaling.errors.IllegalTransition` quoting both states, e.g.
``Cannot go from "ended" to "live"``. Time comes from the injected clock (seconds);
timeline ``t_ms`` counts milliseconds from the call's creation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .errors import IllegalTransition
from .vocabulary import CallState, EndReason, Purpose

Clock = Callable[[], float]


def elapsed_ms(start: float | datetime, at: float | datetime) -> int:
    """Milliseconds from ``start`` to ``at`` on the call clock, never negative.

    The one conversion of "time in the call": timeline events, photos, recordings and
    verdicts all count from the call's creation. Both arguments are epoch seconds or both
    are aware datetimes.
    """
    if isinstance(start, datetime) and isinstance(at, datetime):
        seconds = (at - start).total_seconds()
    elif isinstance(start, datetime) or isinstance(at, datetime):
        raise TypeError("elapsed_ms takes two epoch times or two datetimes")
    else:
        seconds = at - start
    return max(0, round(seconds * 1000))


class EventKind(StrEnum):
    CREATED = "created"
    DECLINED = "declined"
    ANSWERED = "answered"
    RECONNECTING = "reconnecting"
    RESUMED = "resumed"
    ENDED = "ended"
    CHAT = "chat"
    MOVED = "moved"
    MEDIA = "media"
    FIRST_FRAME = "first_frame"
    PHOTO = "photo"
    DEVICE = "device"  # another device asked to take over the buyer's side: refused
    NO_COMMON_CODEC = "no_common_codec"  # a side's browser has none of the call's codecs


_STATELESS_KINDS = frozenset(
    {
        EventKind.CHAT,
        EventKind.MOVED,
        EventKind.MEDIA,
        EventKind.FIRST_FRAME,
        EventKind.PHOTO,
        EventKind.DEVICE,
        EventKind.NO_COMMON_CODEC,
    }
)

LEGAL_TRANSITIONS: frozenset[tuple[CallState, CallState]] = frozenset(
    {
        (CallState.WAITING, CallState.LIVE),
        (CallState.WAITING, CallState.ENDED),
        (CallState.LIVE, CallState.RECONNECTING),
        (CallState.RECONNECTING, CallState.LIVE),
        (CallState.LIVE, CallState.ENDED),
        (CallState.RECONNECTING, CallState.ENDED),
    }
)


@dataclass(frozen=True)
class LinkInfo:
    """The buyer's link as the server knows it (never the token itself)."""

    link_id: str
    order_ref: str
    purpose: Purpose
    locale: str
    buyer_name: str
    expires_at: float | None = None  # epoch seconds; no new call, nor waiting, after it
    max_calls: int | None = None  # calls the link may start, declined ones included
    calls_made: int = 0  # calls it had started when the buyer connected (from the database)
    order: dict[str, Any] | None = None  # the order the link is about, shown to staff only


@dataclass(frozen=True)
class ConsentRecord:
    """What the buyer decided, on which consent text (``locale`` and ``version``; None
    when the page did not say), and the buyer's IANA time zone (None: not sent)."""

    accepted: bool
    locale: str | None = None
    version: int | None = None
    timezone: str | None = None

    @property
    def decision(self) -> str:
        return "accepted" if self.accepted else "declined"


@dataclass(frozen=True)
class TimelineEvent:
    """One entry of a call's timeline; ``t_ms`` is relative to the call's creation."""

    kind: EventKind
    t_ms: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallSnapshot:
    """The persistent fields of a call at one moment (times are epoch seconds)."""

    session_id: str
    link_id: str
    order_ref: str
    purpose: Purpose
    locale: str
    buyer_name: str
    state: CallState
    agent_id: str | None
    agent_name: str | None
    created_at: float
    answered_at: float | None
    ended_at: float | None
    end_reason: EndReason | None
    consent_decision: str | None = None  # accepted | declined; at created_at
    consent_locale: str | None = None
    consent_version: int | None = None
    buyer_timezone: str | None = None


class Call:
    """One call and its timeline. Mutated only through its methods, which guard states.

    ``absent`` maps a participant side (``"buyer"``/``"agent"``) to the clock time its
    connection went away; the switchboard maintains it to time the reconnect grace.
    """

    def __init__(
        self,
        session_id: str,
        link: LinkInfo,
        clock: Clock,
        *,
        declined: bool = False,
        consent: ConsentRecord | None = None,
    ) -> None:
        self.session_id = session_id
        self.link = link
        self.consent = consent or ConsentRecord(accepted=not declined)
        self._clock = clock
        self.created_at: float = clock()
        self.answered_at: float | None = None
        self.ended_at: float | None = None
        self.agent_id: str | None = None
        self.agent_name: str | None = None
        self.end_reason: EndReason | None = None
        self.absent: dict[str, float] = {}
        self.timeline: list[TimelineEvent] = []
        self.video_codec: str | None = None  # fixed by the first leg's offer (the relay's)
        self.media: dict[str, tuple[bool, bool]] = {}  # side -> its last (camera, microphone)
        self.codec_missing: dict[str, float] = {}  # side -> when the call ends for it
        if declined:
            self.state = CallState.ENDED
            self.end_reason = EndReason.BUYER_DECLINED
            self.ended_at = self.created_at
            self._append(EventKind.DECLINED, {"reason": EndReason.BUYER_DECLINED.value})
        else:
            self.state = CallState.WAITING
            self._append(EventKind.CREATED, {})

    # -- state changes ------------------------------------------------------------

    def move_to(
        self,
        target: CallState,
        *,
        reason: EndReason | None = None,
        data: dict[str, Any] | None = None,
    ) -> TimelineEvent:
        """Change state to ``target`` and append the matching timeline event.

        Raises :class:`IllegalTransition` for a pair not in :data:`LEGAL_TRANSITIONS`, for
        ``ended`` without a reason, and for a reason given with any other target.
        """
        source = self.state
        if (source, target) not in LEGAL_TRANSITIONS:
            raise IllegalTransition(
                f'Cannot go from "{source}" to "{target}"', str(source), str(target)
            )
        if target is CallState.ENDED and reason is None:
            raise IllegalTransition(
                f'Cannot go from "{source}" to "ended" without an end reason',
                str(source),
                str(target),
            )
        if target is not CallState.ENDED and reason is not None:
            raise IllegalTransition(
                f'Cannot go from "{source}" to "{target}" with an end reason',
                str(source),
                str(target),
            )
        payload = dict(data or {})
        now = self._clock()
        self.state = target
        if target is CallState.ENDED:
            assert reason is not None
            self.end_reason = EndReason(reason)
            self.ended_at = now
            kind = EventKind.ENDED
            payload["reason"] = self.end_reason.value
        elif target is CallState.RECONNECTING:
            kind = EventKind.RECONNECTING
        elif source is CallState.WAITING:
            self.answered_at = now
            kind = EventKind.ANSWERED
        else:
            kind = EventKind.RESUMED
        return self._append(kind, payload, now)

    def answer(self, agent_id: str, agent_name: str) -> TimelineEvent:
        """waiting -> live, taken by ``agent_id``."""
        if self.state is not CallState.WAITING:
            raise IllegalTransition(
                f'Cannot answer a call in state "{self.state}"', str(self.state), "live"
            )
        event = self.move_to(CallState.LIVE, data={"agent_id": agent_id, "agent_name": agent_name})
        self.agent_id = agent_id
        self.agent_name = agent_name
        return event

    def interrupt(self, side: str) -> TimelineEvent:
        """live -> reconnecting because ``side``'s connection went away."""
        return self.move_to(CallState.RECONNECTING, data={"side": side})

    def resume(self) -> TimelineEvent:
        """reconnecting -> live: every participant is connected again."""
        return self.move_to(CallState.LIVE)

    def end(self, reason: EndReason) -> TimelineEvent:
        """Any active state -> ended, for ``reason``."""
        return self.move_to(CallState.ENDED, reason=reason)

    # -- other events --------------------------------------------------------------

    def record(self, kind: EventKind, data: dict[str, Any] | None = None) -> TimelineEvent:
        """Append an event that does not change state (``chat``, ``moved``, ``media``,
        ``first_frame``, ``photo``)."""
        if kind not in _STATELESS_KINDS:
            raise IllegalTransition(
                f'Cannot record "{kind}" without a state change', str(self.state), str(self.state)
            )
        return self._append(kind, dict(data or {}))

    @property
    def active(self) -> bool:
        return self.state is not CallState.ENDED

    def t_ms(self, now: float | None = None) -> int:
        """Milliseconds since the call was created (never negative)."""
        when = self._clock() if now is None else now
        return elapsed_ms(self.created_at, when)

    def snapshot(self) -> CallSnapshot:
        return CallSnapshot(
            session_id=self.session_id,
            link_id=self.link.link_id,
            order_ref=self.link.order_ref,
            purpose=self.link.purpose,
            locale=self.link.locale,
            buyer_name=self.link.buyer_name,
            state=self.state,
            agent_id=self.agent_id,
            agent_name=self.agent_name,
            created_at=self.created_at,
            answered_at=self.answered_at,
            ended_at=self.ended_at,
            end_reason=self.end_reason,
            consent_decision=self.consent.decision,
            consent_locale=self.consent.locale,
            consent_version=self.consent.version,
            buyer_timezone=self.consent.timezone,
        )

    def _append(
        self, kind: EventKind, data: dict[str, Any], now: float | None = None
    ) -> TimelineEvent:
        event = TimelineEvent(kind=kind, t_ms=self.t_ms(now), data=data)
        self.timeline.append(event)
        return event

    def __repr__(self) -> str:
        return f"<Call {self.session_id} {self.state.value}>"
