"""The call state machine: legal and illegal transitions, timeline timestamps."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

import signaling
from signaling import (
    LEGAL_TRANSITIONS,
    Call,
    CallState,
    EndReason,
    EventKind,
    IllegalTransition,
    LinkInfo,
    SignalingError,
)

LINK = LinkInfo("link-1", "ORD-1", "damage_verification", "en", "Ann")


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def call_in(state: CallState, clock: FakeClock | None = None) -> Call:
    """A call brought to ``state`` through legal transitions only."""
    call = Call("s1", LINK, clock or FakeClock())
    if state is CallState.WAITING:
        return call
    call.answer("u1", "Bob")
    if state is CallState.LIVE:
        return call
    if state is CallState.RECONNECTING:
        call.interrupt("buyer")
        return call
    call.end(EndReason.AGENT_ENDED)
    return call


def test_exactly_the_six_documented_transitions_are_legal() -> None:
    assert {(a.value, b.value) for a, b in LEGAL_TRANSITIONS} == {
        ("waiting", "live"),
        ("waiting", "ended"),
        ("live", "reconnecting"),
        ("reconnecting", "live"),
        ("live", "ended"),
        ("reconnecting", "ended"),
    }


def test_end_reasons_are_exactly_those_protocol_md_lists() -> None:
    doc = (Path(signaling.__file__).parent / "PROTOCOL.md").read_text(encoding="utf-8")
    listed = doc.split("End reasons:", 1)[1].split("\n\n", 1)[0]
    assert {r.value for r in EndReason} == set(re.findall(r"`(\w+)`", listed))


@pytest.mark.parametrize(("source", "target"), sorted(LEGAL_TRANSITIONS))
def test_every_legal_transition_changes_state_and_appends_one_event(
    source: CallState, target: CallState
) -> None:
    call = call_in(source)
    before = len(call.timeline)
    reason = EndReason.CONNECTION_FAILED if target is CallState.ENDED else None
    event = call.move_to(target, reason=reason)
    assert call.state is target
    assert call.timeline[before:] == [event]
    expected_kind = {
        (CallState.WAITING, CallState.LIVE): EventKind.ANSWERED,
        (CallState.RECONNECTING, CallState.LIVE): EventKind.RESUMED,
        (CallState.LIVE, CallState.RECONNECTING): EventKind.RECONNECTING,
    }.get((source, target), EventKind.ENDED)
    assert event.kind is expected_kind
    if target is CallState.ENDED:
        assert call.end_reason is EndReason.CONNECTION_FAILED
        assert event.data == {"reason": "connection_failed"}


ILLEGAL = [
    pair for pair in itertools.product(CallState, CallState) if pair not in LEGAL_TRANSITIONS
]


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_every_illegal_transition_is_refused_quoting_both_states(
    source: CallState, target: CallState
) -> None:
    call = call_in(source)
    timeline = list(call.timeline)
    reason = EndReason.AGENT_ENDED if target is CallState.ENDED else None
    with pytest.raises(IllegalTransition) as caught:
        call.move_to(target, reason=reason)
    assert str(caught.value) == f'Cannot go from "{source.value}" to "{target.value}"'
    assert caught.value.code == "illegal_transition"
    assert isinstance(caught.value, SignalingError)
    assert call.state is source
    assert call.timeline == timeline


def test_ten_illegal_pairs_are_covered() -> None:
    assert len(ILLEGAL) == 10


def test_ending_without_a_reason_is_refused() -> None:
    call = call_in(CallState.LIVE)
    with pytest.raises(IllegalTransition, match='Cannot go from "live" to "ended" without'):
        call.move_to(CallState.ENDED)
    assert call.state is CallState.LIVE


def test_a_reason_on_a_non_ending_transition_is_refused() -> None:
    call = call_in(CallState.WAITING)
    with pytest.raises(IllegalTransition):
        call.move_to(CallState.LIVE, reason=EndReason.AGENT_ENDED)


def test_an_ended_call_cannot_be_revived() -> None:
    call = call_in(CallState.ENDED)
    with pytest.raises(IllegalTransition, match='Cannot go from "ended" to "live"'):
        call.resume()


def test_answering_a_live_call_is_refused_and_keeps_the_first_agent() -> None:
    call = call_in(CallState.LIVE)
    with pytest.raises(IllegalTransition, match='"live"'):
        call.answer("u2", "Eve")
    assert call.agent_id == "u1"


def test_answering_a_reconnecting_call_is_refused() -> None:
    call = call_in(CallState.RECONNECTING)
    with pytest.raises(IllegalTransition, match='"reconnecting"'):
        call.answer("u2", "Eve")


def test_a_declined_call_is_created_ended_with_buyer_declined() -> None:
    clock = FakeClock(50.0)
    call = Call("s1", LINK, clock, declined=True)
    assert call.state is CallState.ENDED
    assert call.end_reason is EndReason.BUYER_DECLINED
    assert call.ended_at == 50.0
    assert [e.kind for e in call.timeline] == [EventKind.DECLINED]


def test_timeline_t_ms_counts_from_creation_with_the_injected_clock() -> None:
    clock = FakeClock(1_000.0)
    call = Call("s1", LINK, clock)
    clock.advance(12.5)
    call.answer("u1", "Bob")
    clock.advance(0.25)
    call.record(EventKind.CHAT, {"from": "buyer", "name": "Ann", "text": "hi"})
    clock.advance(3)
    call.interrupt("agent")
    clock.advance(1.001)
    call.resume()
    clock.advance(60)
    call.end(EndReason.BUYER_ENDED)
    assert [(e.kind.value, e.t_ms) for e in call.timeline] == [
        ("created", 0),
        ("answered", 12_500),
        ("chat", 12_750),
        ("reconnecting", 15_750),
        ("resumed", 16_751),
        ("ended", 76_751),
    ]
    assert call.answered_at == 1_012.5
    assert call.ended_at == pytest.approx(1_076.751)
    assert call.timeline[1].data == {"agent_id": "u1", "agent_name": "Bob"}
    assert call.timeline[3].data == {"side": "agent"}


def test_snapshot_carries_the_persistent_fields() -> None:
    call = call_in(CallState.ENDED, FakeClock(7.0))
    snap = call.snapshot()
    assert snap.session_id == "s1"
    assert (snap.link_id, snap.order_ref, snap.purpose, snap.locale, snap.buyer_name) == (
        "link-1",
        "ORD-1",
        "damage_verification",
        "en",
        "Ann",
    )
    assert snap.state is CallState.ENDED
    assert snap.agent_id == "u1"
    assert (snap.created_at, snap.answered_at, snap.ended_at) == (7.0, 7.0, 7.0)
    assert snap.end_reason is EndReason.AGENT_ENDED


def test_state_changing_kinds_cannot_be_recorded_without_a_transition() -> None:
    call = call_in(CallState.LIVE)
    with pytest.raises(IllegalTransition):
        call.record(EventKind.ENDED)
