"""The switchboard: queue, presence, calls and what each side is told (the call's video
codec and each side's camera and microphone included)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from pydantic import ValidationError

from signaling import (
    AvailabilityUpdate,
    CallState,
    CallUpdate,
    ChatPosted,
    Conflict,
    Effects,
    EndReason,
    Forbidden,
    InspectionChanged,
    InvalidState,
    LinkInfo,
    Moved,
    NoCommonCodec,
    NotFound,
    PeerMedia,
    Pong,
    PositionUpdate,
    ProtocolError,
    QueueFull,
    QueueUpdate,
    Switchboard,
    Welcome,
    parse_client_message,
)
from signaling.vocabulary import CloseCode
from tests.helpers.consent import consent_json


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def link(n: int) -> LinkInfo:
    return LinkInfo(f"link-{n}", f"ORD-{n}", "damage_verification", "en", f"Buyer {n}")


def msg(raw: str):  # noqa: ANN201 - a parsed client message
    return parse_client_message(raw)


CONSENT = consent_json(True)
DECLINE = consent_json(False)
AVAILABLE = '{"type":"set_availability","state":"available"}'
ACCEPT_NEXT = '{"type":"accept_next"}'
END = '{"type":"end"}'


def accept(session_id: str) -> str:
    return f'{{"type":"accept","session_id":"{session_id}"}}'


def chat(text: str) -> str:
    return f'{{"type":"chat","text":"{text}"}}'


def of_type(fx: Effects, conn_id: str, cls: type) -> list:
    return [m for m in fx.to(conn_id) if isinstance(m, cls)]


def last(fx: Effects, conn_id: str, cls: type):  # noqa: ANN201
    found = of_type(fx, conn_id, cls)
    assert found, f"no {cls.__name__} for {conn_id} in {fx.messages}"
    return found[-1]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sb(clock: FakeClock, limits: dict[str, Any]) -> Switchboard:
    counter = itertools.count(1)
    return Switchboard(clock, lambda: f"s{next(counter)}", **limits)


def queue_buyer(sb: Switchboard, n: int) -> str:
    """Buyer n connects as conn ``b<n>`` and consents; returns the session id."""
    sb.connect_buyer(f"b{n}", link(n))
    fx = sb.handle(f"b{n}", msg(CONSENT))
    return fx.events[0].call.session_id


def online_agent(sb: Switchboard, n: int, role: str = "agent") -> Effects:
    sb.connect_staff(f"a{n}", f"u{n}", f"Agent {n}", role)
    return sb.handle(f"a{n}", msg(AVAILABLE))


def live_call(sb: Switchboard) -> str:
    session_id = queue_buyer(sb, 1)
    online_agent(sb, 1)
    sb.handle("a1", msg(accept(session_id)))
    return session_id


# ------------------------------------------------------------------ connect, queue


def test_staff_connect_gets_welcome_away_and_the_queue(sb: Switchboard) -> None:
    queue_buyer(sb, 1)
    fx = sb.connect_staff("a1", "u1", "Bob", "agent")
    welcome = fx.to("a1")[0]
    assert isinstance(welcome, Welcome)
    assert (welcome.role, welcome.name, welcome.availability, welcome.call) == (
        "agent",
        "Bob",
        "away",
        None,
    )
    queue = last(fx, "a1", QueueUpdate)
    assert [item.session_id for item in queue.items] == ["s1"]


def test_buyer_connect_gets_welcome_without_call_until_consent(sb: Switchboard) -> None:
    fx = sb.connect_buyer("b1", link(1))
    assert fx.to("b1") == [Welcome(role="buyer", name="Buyer 1", call=None)]
    assert sb.queued() == []


def test_consent_creates_a_waiting_call_and_enqueues_it(sb: Switchboard) -> None:
    sb.connect_buyer("b1", link(1))
    fx = sb.handle("b1", msg(CONSENT))
    assert [e.event.kind for e in fx.events] == ["created"]
    assert fx.events[0].call.state is CallState.WAITING
    assert last(fx, "b1", CallUpdate).state == "waiting"
    assert sb.queued() == ["s1"]


def test_queue_is_ordered_oldest_first(sb: Switchboard, clock: FakeClock) -> None:
    for n in (1, 2, 3):
        queue_buyer(sb, n)
        clock.advance(10)
    fx = sb.connect_staff("a1", "u1", "Bob", "supervisor")
    queue = last(fx, "a1", QueueUpdate)
    assert [i.session_id for i in queue.items] == ["s1", "s2", "s3"]
    assert [i.waiting_s for i in queue.items] == [30, 20, 10]
    assert queue.items[0].waiting_since_ms == 1_700_000_000_000
    assert queue.items[0].order_ref == "ORD-1"


def test_accept_next_takes_the_oldest_waiting_call(sb: Switchboard) -> None:
    for n in (1, 2):
        queue_buyer(sb, n)
    online_agent(sb, 1)
    fx = sb.handle("a1", msg(ACCEPT_NEXT))
    assert fx.events[0].call.session_id == "s1"
    assert sb.queued() == ["s2"]


def test_no_agent_online_gives_null_expected_wait(sb: Switchboard) -> None:
    sb.connect_buyer("b1", link(1))
    fx = sb.handle("b1", msg(CONSENT))
    position = last(fx, "b1", PositionUpdate)
    assert position.expected_wait_s is None
    assert position.agents_online == 0
    assert position.agents_available == 0
    assert (position.position, position.queue_length) == (1, 1)


def test_positions_and_expected_wait_are_pushed_to_waiting_buyers(sb: Switchboard) -> None:
    for n in (1, 2, 3):
        queue_buyer(sb, n)
    fx = sb.connect_staff("a1", "u1", "Bob", "agent")
    assert [
        (p.position, p.queue_length, p.expected_wait_s, p.agents_online, p.agents_available)
        for p in (last(fx, f"b{n}", PositionUpdate) for n in (1, 2, 3))
    ] == [(1, 3, 180, 1, 0), (2, 3, 360, 1, 0), (3, 3, 540, 1, 0)]
    fx = online_agent(sb, 2)  # second agent halves the wait; availability counted
    assert [last(fx, f"b{n}", PositionUpdate).expected_wait_s for n in (1, 2, 3)] == [
        90,
        180,
        270,
    ]
    assert last(fx, "b1", PositionUpdate).agents_available == 1
    fx = sb.handle("b1", msg(END))  # the first leaves: everyone moves up
    assert [last(fx, f"b{n}", PositionUpdate).position for n in (2, 3)] == [1, 2]


def test_supervisors_do_not_count_as_agents_online(sb: Switchboard) -> None:
    queue_buyer(sb, 1)
    sb.connect_staff("v1", "u9", "Sue", "supervisor")
    fx = sb.handle("b1", msg('{"type":"ping"}'))
    assert fx.to("b1") == [Pong()]
    fx = sb.connect_buyer("b2", link(2))
    sb.handle("b2", msg(CONSENT))
    fx = sb.handle("b2", msg(END))
    assert of_type(fx, "b1", PositionUpdate)[-1].agents_online == 0


def test_expected_wait_uses_the_average_handle_time_of_ended_calls(
    sb: Switchboard, clock: FakeClock
) -> None:
    live_call(sb)
    clock.advance(60)
    sb.handle("a1", msg(END))
    queue_buyer(sb, 2)
    fx = sb.connect_buyer("b3", link(3))
    fx = sb.handle("b3", msg(CONSENT))
    assert last(fx, "b3", PositionUpdate).expected_wait_s == 120  # 2 x 60 s / 1 agent
    assert sb.average_handle_time_s() == 60


def test_agent_going_offline_pushes_null_wait_to_buyers(sb: Switchboard) -> None:
    queue_buyer(sb, 1)
    online_agent(sb, 1)
    fx = sb.disconnect("a1")
    position = last(fx, "b1", PositionUpdate)
    assert (position.expected_wait_s, position.agents_online) == (None, 0)
    assert sb.staff() == []


# ------------------------------------------------------------------ accept


def test_accept_makes_the_call_live_tells_both_and_makes_the_agent_busy(
    sb: Switchboard,
) -> None:
    session_id = queue_buyer(sb, 1)
    online_agent(sb, 1)
    fx = sb.handle("a1", msg(accept(session_id)))
    assert [(e.event.kind, e.call.state) for e in fx.events] == [("answered", "live")]
    assert fx.events[0].call.agent_id == "u1"
    for conn in ("a1", "b1"):
        update = last(fx, conn, CallUpdate)
        assert (update.state, update.agent_name) == ("live", "Agent 1")
    assert last(fx, "a1", AvailabilityUpdate).state == "busy"
    assert last(fx, "a1", QueueUpdate).items == []
    assert sb.queued() == []
    [view] = sb.staff()
    assert (view.availability, view.call_id) == ("busy", session_id)


def test_second_agent_accepting_the_same_call_gets_conflict(sb: Switchboard) -> None:
    session_id = queue_buyer(sb, 1)
    online_agent(sb, 1)
    online_agent(sb, 2)
    sb.handle("a1", msg(accept(session_id)))
    with pytest.raises(Conflict) as caught:
        sb.handle("a2", msg(accept(session_id)))
    assert caught.value.code == "conflict"
    assert sb.call(session_id).agent_id == "u1"


def test_accept_of_an_unknown_session_is_not_found(sb: Switchboard) -> None:
    online_agent(sb, 1)
    with pytest.raises(NotFound):
        sb.handle("a1", msg(accept("nope")))
    with pytest.raises(NotFound, match="queue is empty"):
        sb.handle("a1", msg(ACCEPT_NEXT))


def test_agent_already_in_a_call_cannot_accept_another(sb: Switchboard) -> None:
    live_call(sb)
    other = queue_buyer(sb, 2)
    with pytest.raises(Conflict, match="Already in call"):
        sb.handle("a1", msg(accept(other)))
    assert sb.queued() == [other]


def test_supervisor_accept_is_forbidden(sb: Switchboard) -> None:
    session_id = queue_buyer(sb, 1)
    sb.connect_staff("v1", "u9", "Sue", "supervisor")
    with pytest.raises(Forbidden) as caught:
        sb.handle("v1", msg(accept(session_id)))
    assert caught.value.code == "forbidden"
    with pytest.raises(Forbidden):
        sb.handle("v1", msg(AVAILABLE))
    assert sb.queued() == [session_id]


def test_buyer_cannot_accept_or_set_availability_and_staff_cannot_consent(
    sb: Switchboard,
) -> None:
    session_id = queue_buyer(sb, 1)
    sb.connect_staff("a1", "u1", "Bob", "agent")
    for raw in (accept(session_id), ACCEPT_NEXT, AVAILABLE):
        with pytest.raises(Forbidden):
            sb.handle("b1", msg(raw))
    with pytest.raises(Forbidden):
        sb.handle("a1", msg(CONSENT))


def test_agent_returns_to_available_when_the_call_ends(sb: Switchboard) -> None:
    live_call(sb)
    fx = sb.handle("a1", msg(END))
    assert [(e.event.kind, e.call.end_reason) for e in fx.events] == [("ended", "agent_ended")]
    assert last(fx, "a1", AvailabilityUpdate).state == "available"
    assert last(fx, "b1", CallUpdate).end_reason == "agent_ended"
    assert sb.staff()[0].availability == "available"


def test_buyer_ending_a_live_call_is_buyer_ended(sb: Switchboard) -> None:
    live_call(sb)
    fx = sb.handle("b1", msg(END))
    assert fx.events[0].call.end_reason is EndReason.BUYER_ENDED
    assert last(fx, "a1", CallUpdate).state == "ended"


def test_set_availability_while_busy_is_refused(sb: Switchboard) -> None:
    live_call(sb)
    with pytest.raises(InvalidState, match='"busy"'):
        sb.handle("a1", msg('{"type":"set_availability","state":"away"}'))


# ------------------------------------------------------------------ leaving, reconnecting


def test_buyer_disconnect_while_waiting_is_buyer_left_queue(sb: Switchboard) -> None:
    session_id = queue_buyer(sb, 1)
    sb.connect_staff("a1", "u1", "Bob", "agent")
    fx = sb.disconnect("b1")
    assert [(e.event.kind, e.call.end_reason) for e in fx.events] == [("ended", "buyer_left_queue")]
    assert last(fx, "a1", QueueUpdate).items == []
    assert sb.queued() == []
    assert sb.call(session_id) is None


def test_buyer_end_while_waiting_is_buyer_left_queue(sb: Switchboard) -> None:
    queue_buyer(sb, 1)
    fx = sb.handle("b1", msg(END))
    assert fx.events[0].call.end_reason is EndReason.BUYER_LEFT_QUEUE
    assert last(fx, "b1", CallUpdate).state == "ended"


def test_buyer_disconnect_during_live_call_then_reconnect_resumes(sb: Switchboard) -> None:
    session_id = live_call(sb)
    fx = sb.disconnect("b1")
    assert [(e.event.kind, e.call.state) for e in fx.events] == [("reconnecting", "reconnecting")]
    assert fx.events[0].event.data == {"side": "buyer"}
    assert last(fx, "a1", CallUpdate).state == "reconnecting"
    fx = sb.connect_buyer("b1-new", link(1))
    welcome = fx.to("b1-new")[0]
    assert isinstance(welcome, Welcome) and welcome.call.session_id == session_id
    assert [(e.event.kind, e.call.state) for e in fx.events] == [("resumed", "live")]
    assert last(fx, "a1", CallUpdate).state == "live"
    assert last(fx, "b1-new", CallUpdate).state == "live"


def test_agent_disconnect_during_live_call_then_reconnect_resumes(sb: Switchboard) -> None:
    session_id = live_call(sb)
    fx = sb.disconnect("a1")
    assert fx.events[0].event.data == {"side": "agent"}
    assert last(fx, "b1", CallUpdate).state == "reconnecting"
    fx = sb.connect_staff("a1-new", "u1", "Agent 1", "agent")
    welcome = fx.to("a1-new")[0]
    assert welcome.call.session_id == session_id and welcome.availability == "busy"
    assert [e.event.kind for e in fx.events] == ["resumed"]


def test_grace_expiry_ends_with_buyer_lost(sb: Switchboard, clock: FakeClock) -> None:
    live_call(sb)
    sb.disconnect("b1")
    clock.advance(29.9)
    assert sb.tick().events == []
    assert sb.next_deadline() == pytest.approx(clock.now + 0.1)
    clock.advance(0.1)
    fx = sb.tick()
    assert [(e.event.kind, e.call.end_reason) for e in fx.events] == [("ended", "buyer_lost")]
    assert last(fx, "a1", CallUpdate).end_reason == "buyer_lost"
    assert last(fx, "a1", AvailabilityUpdate).state == "available"


def test_grace_expiry_ends_with_agent_lost(sb: Switchboard, clock: FakeClock) -> None:
    live_call(sb)
    sb.disconnect("a1")
    clock.advance(30)
    fx = sb.tick()
    assert fx.events[0].call.end_reason is EndReason.AGENT_LOST
    assert last(fx, "b1", CallUpdate).end_reason == "agent_lost"
    assert sb.staff() == []


def test_both_gone_ends_for_the_side_gone_first(sb: Switchboard, clock: FakeClock) -> None:
    live_call(sb)
    sb.disconnect("a1")
    clock.advance(10)
    fx = sb.disconnect("b1")
    assert fx.events == []  # already reconnecting
    clock.advance(20)
    assert sb.tick().events[0].call.end_reason is EndReason.AGENT_LOST


def test_reconnect_within_grace_is_not_expired(sb: Switchboard, clock: FakeClock) -> None:
    session_id = live_call(sb)
    sb.disconnect("b1")
    clock.advance(20)
    sb.connect_buyer("b1", link(1))
    clock.advance(20)
    assert sb.tick().events == []
    assert sb.call(session_id).state is CallState.LIVE


def test_max_duration_ends_a_long_call(sb: Switchboard, clock: FakeClock) -> None:
    session_id = live_call(sb)
    clock.advance(7199)
    assert sb.tick().events == []
    clock.advance(1)
    fx = sb.tick()
    assert [(e.call.session_id, e.call.end_reason) for e in fx.events] == [
        (session_id, "max_duration")
    ]
    assert last(fx, "b1", CallUpdate).end_reason == "max_duration"


def test_reopening_the_link_moves_the_buyer(sb: Switchboard) -> None:
    session_id = live_call(sb)
    fx = sb.connect_buyer("b1-tab2", link(1))
    assert fx.to("b1") == [Moved()]
    assert fx.closes == [("b1", CloseCode.MOVED, "moved")]
    assert [(e.event.kind, e.event.data) for e in fx.events] == [("moved", {"side": "buyer"})]
    assert fx.to("b1-tab2")[0].call.session_id == session_id
    assert sb.call(session_id).state is CallState.LIVE
    assert sb.disconnect("b1").events == []  # the old socket's close changes nothing
    fx = sb.handle("b1-tab2", msg(chat("still here")))
    assert last(fx, "a1", ChatPosted).text == "still here"


def test_reopening_the_link_while_waiting_keeps_the_queue_place(sb: Switchboard) -> None:
    queue_buyer(sb, 1)
    session_id = queue_buyer(sb, 2)
    fx = sb.connect_buyer("b2-new", link(2))
    assert fx.closes == [("b2", CloseCode.MOVED, "moved")]
    assert last(fx, "b2-new", PositionUpdate).position == 2
    assert sb.queued() == ["s1", session_id]


def test_staff_reconnect_supersedes_the_older_connection(sb: Switchboard) -> None:
    online_agent(sb, 1)
    fx = sb.connect_staff("a1-tab2", "u1", "Agent 1", "agent")
    assert fx.closes == [("a1", CloseCode.SUPERSEDED, "superseded")]
    assert fx.to("a1-tab2")[0].availability == "available"
    assert sb.disconnect("a1").messages == []
    assert [v.conn_id for v in sb.staff()] == ["a1-tab2"]


def test_decline_ends_the_call_buyer_declined_without_a_queue_entry(sb: Switchboard) -> None:
    sb.connect_staff("a1", "u1", "Bob", "agent")
    sb.connect_buyer("b1", link(1))
    fx = sb.handle("b1", msg(DECLINE))
    assert [(e.event.kind, e.call.state, e.call.end_reason) for e in fx.events] == [
        ("declined", "ended", "buyer_declined")
    ]
    assert last(fx, "b1", CallUpdate).end_reason == "buyer_declined"
    assert fx.to("a1") == []
    assert sb.queued() == []
    assert sb.active_calls() == []
    sb.handle("b1", msg(CONSENT))  # may change their mind
    assert sb.queued() == ["s2"]


def test_consent_twice_is_refused(sb: Switchboard) -> None:
    queue_buyer(sb, 1)
    with pytest.raises(InvalidState, match='"waiting"'):
        sb.handle("b1", msg(CONSENT))


# ------------------------------------------------------------------ chat


def test_chat_goes_both_ways_in_a_live_call(sb: Switchboard, clock: FakeClock) -> None:
    session_id = live_call(sb)
    clock.advance(2)
    fx = sb.handle("b1", msg(chat("the box is crushed")))
    posted = last(fx, "a1", ChatPosted)
    assert (posted.from_, posted.name, posted.text, posted.t_ms) == (
        "buyer",
        "Buyer 1",
        "the box is crushed",
        2000,
    )
    assert last(fx, "b1", ChatPosted) == posted
    assert [(e.event.kind, e.event.data) for e in fx.events] == [
        ("chat", {"from": "buyer", "name": "Buyer 1", "text": "the box is crushed"})
    ]
    fx = sb.handle("a1", msg(chat("thanks")))
    assert last(fx, "b1", ChatPosted).from_ == "agent"
    assert '"from":"agent"' in last(fx, "b1", ChatPosted).to_json()
    assert fx.events[0].call.session_id == session_id


def test_chat_is_refused_outside_a_live_call(sb: Switchboard) -> None:
    queue_buyer(sb, 1)
    with pytest.raises(InvalidState, match='Cannot chat in call state "waiting"'):
        sb.handle("b1", msg(chat("hello?")))
    sb.connect_staff("a1", "u1", "Bob", "agent")
    with pytest.raises(InvalidState, match="no current call"):
        sb.handle("a1", msg(chat("hi")))


def test_chat_while_reconnecting_reaches_whoever_is_there(sb: Switchboard) -> None:
    live_call(sb)
    sb.disconnect("b1")
    fx = sb.handle("a1", msg(chat("are you there?")))
    assert [cid for cid, _ in fx.messages] == ["a1"]
    assert fx.events[0].event.kind == "chat"


# ------------------------------------------------------------------ revoke, shutdown


def test_revoke_link_ends_the_call_and_closes_the_buyer(sb: Switchboard) -> None:
    session_id = live_call(sb)
    fx = sb.revoke_link("link-1")
    assert [(e.call.session_id, e.call.end_reason) for e in fx.events] == [
        (session_id, "link_revoked")
    ]
    assert fx.closes == [("b1", CloseCode.REVOKED, "link revoked")]
    assert last(fx, "a1", CallUpdate).end_reason == "link_revoked"
    assert last(fx, "a1", AvailabilityUpdate).state == "available"
    with pytest.raises(Forbidden):
        sb.connect_buyer("b1-again", link(1))


def test_revoke_link_of_a_waiting_buyer_removes_the_queue_entry(sb: Switchboard) -> None:
    queue_buyer(sb, 1)
    fx = sb.revoke_link("link-1")
    assert fx.events[0].call.end_reason is EndReason.LINK_REVOKED
    assert sb.queued() == []


def test_end_all_ends_every_active_call(sb: Switchboard) -> None:
    live_call(sb)
    queue_buyer(sb, 2)
    fx = sb.end_all(EndReason.SERVER_SHUTDOWN)
    assert sorted(e.call.end_reason for e in fx.events) == ["server_shutdown"] * 2
    assert sb.active_calls() == [] and sb.queued() == []


def test_end_call_for_an_external_reason(sb: Switchboard) -> None:
    session_id = live_call(sb)
    fx = sb.end_call(session_id, EndReason.RELAY_FAILED)
    assert fx.events[0].call.end_reason is EndReason.RELAY_FAILED
    with pytest.raises(NotFound):
        sb.end_call(session_id, EndReason.RELAY_FAILED)


# ------------------------------------------------------------------ misc


def test_second_hello_and_unknown_connections_are_refused(sb: Switchboard) -> None:
    sb.connect_buyer("b1", link(1))
    with pytest.raises(InvalidState):
        sb.handle("b1", msg('{"type":"hello","v":1}'))
    with pytest.raises(NotFound):
        sb.handle("ghost", msg('{"type":"ping"}'))
    assert sb.disconnect("ghost") == Effects()


def test_a_connection_id_cannot_be_reused_while_open(sb: Switchboard) -> None:
    sb.connect_buyer("c1", link(1))
    with pytest.raises(Conflict):
        sb.connect_staff("c1", "u1", "Bob", "agent")


def test_end_without_a_call_is_refused(sb: Switchboard) -> None:
    sb.connect_staff("a1", "u1", "Bob", "agent")
    with pytest.raises(InvalidState, match="no current call"):
        sb.handle("a1", msg(END))


def test_a_role_change_mid_call_keeps_the_call_until_it_ends(sb: Switchboard) -> None:
    session_id = live_call(sb)
    sb.disconnect("a1")
    fx = sb.connect_staff("a1-new", "u1", "Agent 1", "supervisor")
    assert fx.to("a1-new")[0].call.session_id == session_id
    assert sb.staff()[0].availability == "busy"
    fx = sb.handle("a1-new", msg(END))
    assert fx.events[0].call.end_reason is EndReason.AGENT_ENDED
    assert sb.staff()[0].availability is None


def test_buyer_may_send_media_from_consent_and_agent_once_live(sb: Switchboard) -> None:
    sb.connect_buyer("b1", link(1))
    with pytest.raises(InvalidState):
        sb.media_leg("b1")  # no consent yet
    session_id = queue_buyer(sb, 2)
    assert sb.media_leg("b2") == (session_id, "buyer")
    online_agent(sb, 1)
    with pytest.raises(InvalidState):
        sb.media_leg("a1")  # not in a call
    sb.handle("a1", msg(accept(session_id)))
    assert sb.media_leg("a1") == (session_id, "agent")


def test_declined_buyer_may_never_send_media(sb: Switchboard) -> None:
    sb.connect_buyer("b1", link(1))
    sb.handle("b1", msg(DECLINE))
    with pytest.raises(InvalidState):
        sb.media_leg("b1")
    offer = msg('{"type":"offer","sdp":"v=0"}')
    with pytest.raises(InvalidState):
        sb.handle("b1", offer)


def test_media_state_goes_to_the_other_side_and_onto_the_timeline(sb: Switchboard) -> None:
    session_id = live_call(sb)
    fx = sb.handle("a1", msg('{"type":"media","camera":true,"microphone":true}'))
    update = last(fx, "b1", PeerMedia)
    assert (update.side, update.camera, update.microphone) == ("agent", True, True)
    assert not of_type(fx, "a1", PeerMedia)
    assert [e.event.kind for e in fx.events] == ["media"]
    assert fx.events[0].call.session_id == session_id


def test_buyer_ending_a_live_call_tells_staff_the_agent_is_available_again(
    sb: Switchboard,
) -> None:
    live_call(sb)
    sb.connect_staff("s1", "u9", "Sam", "supervisor")
    fx = sb.handle("b1", msg(END))
    assert last(fx, "s1", QueueUpdate).agents_available == 1


def test_agent_capture_asks_the_buyers_page_for_a_photo(sb: Switchboard) -> None:
    session_id = live_call(sb)
    fx = sb.handle("a1", msg('{"type":"capture"}'))
    assert [type(m).__name__ for m in fx.to("b1")] == ["TakePhoto"]
    assert fx.to("b1")[0].session_id == session_id
    with pytest.raises(Forbidden):
        sb.handle("b1", msg('{"type":"capture"}'))


def test_capture_without_a_live_call_is_refused(sb: Switchboard) -> None:
    online_agent(sb, 1)
    with pytest.raises(InvalidState):
        sb.handle("a1", msg('{"type":"capture"}'))


def test_a_stored_photo_is_on_the_timeline_and_both_sides_are_told_its_own_time(
    sb: Switchboard,
) -> None:
    session_id = live_call(sb)
    fx = sb.photo_added(session_id, 7, 4032, 3024, 1234)
    assert [e.event.kind for e in fx.events] == ["photo"]
    assert fx.events[0].event.data == {"photo_id": 7, "width": 4032, "height": 3024}
    for conn in ("a1", "b1"):
        assert [(type(m).__name__, m.t_ms) for m in fx.to(conn)] == [("PhotoTaken", 1234)]
    with pytest.raises(NotFound):
        sb.photo_added("nope", 1, 1, 1, 0)


def test_both_sides_are_told_of_an_inspection_change_and_only_of_an_active_call(
    sb: Switchboard,
) -> None:
    session_id = live_call(sb)
    items = [
        {"key": "shipping_label", "state": "shot", "photo_ids": [7], "clip": None},
        {
            "key": "powered_on",
            "state": "shot",
            "photo_ids": [],
            "clip": {"start_ms": 4000, "end_ms": 9500},
        },
    ]
    fx = sb.inspection_changed(session_id, items, None)
    assert fx.events == []  # not a moment of the call's timeline
    for conn in ("a1", "b1"):
        [message] = fx.to(conn)
        assert json.loads(message.to_json()) == {
            "type": "inspection",
            "session_id": session_id,
            "items": items,
            "signoff": None,
        }
    with pytest.raises(NotFound):
        sb.inspection_changed("nope", items, None)


def test_the_inspection_message_holds_to_its_documented_shape() -> None:
    base = {"session_id": "s1", "items": [], "signoff": "approved"}
    assert InspectionChanged.model_validate(base).signoff == "approved"
    for wrong in (
        {**base, "signoff": "maybe"},
        {**base, "items": [{"key": "a b", "state": "shot", "photo_ids": []}]},
        {**base, "items": [{"key": "a", "state": "lost", "photo_ids": []}]},
        {**base, "items": [{"key": "a", "state": "shot", "photo_ids": [0]}]},
        *(
            {**base, "items": [{"key": "a", "state": "shot", "photo_ids": [], "clip": clip}]}
            for clip in ({"start_ms": -1}, {"end_ms": 5})
        ),
        {
            **base,
            "items": [
                {"key": "a", "state": "shot", "photo_ids": [], "clip": {"start_ms": 1, "x": 2}}
            ],
        },
        {
            **base,
            "items": [{"key": f"k{n}", "state": "pending", "photo_ids": []} for n in range(51)],
        },
    ):
        with pytest.raises(ValidationError):
            InspectionChanged.model_validate(wrong)
    # a client never sends it
    with pytest.raises(ProtocolError) as refused:
        parse_client_message(json.dumps({"type": "inspection", **base}))
    assert refused.value.code == "bad_message"


def test_consent_beyond_the_queue_cap_is_refused_and_changes_nothing(
    clock: FakeClock, limits: dict[str, Any]
) -> None:
    sb = Switchboard(clock, **{**limits, "max_queue_length": 1})
    queue_buyer(sb, 1)
    sb.connect_buyer("b2", link(2))
    with pytest.raises(QueueFull):
        sb.handle("b2", msg(CONSENT))
    assert len(sb.queued()) == 1
    sb.handle("b2", msg(DECLINE))  # declining is always possible


# ------------------------------------------------------------------ video codec, media state

MEDIA_OFF = '{"type":"media","camera":false,"microphone":true}'


def test_the_first_agreed_codec_is_the_calls_and_pages_read_it(sb) -> None:
    session_id = queue_buyer(sb, 1)
    sb.video_codec_agreed(session_id, "buyer", "H264")
    sb.video_codec_agreed(session_id, "agent", "VP8")  # never: the relay answers in H264
    online_agent(sb, 1)
    fx = sb.handle("a1", msg(f'{{"type":"accept","session_id":"{session_id}"}}'))
    assert last(fx, "a1", CallUpdate).video_codec == "H264"


def test_a_side_without_the_codec_is_told_both_sides_and_the_call_ends_after_the_grace(
    sb, clock: FakeClock
) -> None:
    session_id = live_call(sb)
    sb.video_codec_agreed(session_id, "buyer", "H264")
    fx = sb.no_common_codec(session_id, "agent", "H264")
    for conn in ("a1", "b1"):
        notice = last(fx, conn, NoCommonCodec)
        assert (notice.side, notice.video_codec) == ("agent", "H264")
        assert notice.ends_in_s == sb.no_common_codec_grace_s
    assert fx.events[-1].event.kind == "no_common_codec"
    assert sb.next_deadline() == clock() + sb.no_common_codec_grace_s

    clock.advance(sb.no_common_codec_grace_s - 0.5)
    assert not sb.tick().events, "still within the grace"
    clock.advance(0.5)
    fx = sb.tick()
    ended = last(fx, "b1", CallUpdate)
    assert (ended.state, ended.end_reason) == ("ended", EndReason.NO_COMMON_CODEC)
    assert last(fx, "a1", CallUpdate).end_reason == EndReason.NO_COMMON_CODEC


def test_a_waiting_buyer_without_any_codec_leaves_with_the_reason(sb, clock: FakeClock) -> None:
    session_id = queue_buyer(sb, 1)
    fx = sb.no_common_codec(session_id, "buyer", None)
    assert last(fx, "b1", NoCommonCodec).video_codec is None
    clock.advance(sb.no_common_codec_grace_s)
    assert last(sb.tick(), "b1", CallUpdate).end_reason == EndReason.NO_COMMON_CODEC


def test_a_side_that_comes_back_in_the_calls_codec_keeps_the_call(sb, clock: FakeClock) -> None:
    session_id = live_call(sb)
    sb.video_codec_agreed(session_id, "buyer", "VP8")
    sb.no_common_codec(session_id, "agent", "VP8")
    sb.video_codec_agreed(session_id, "agent", "VP8")  # the agent reopened another browser
    clock.advance(sb.no_common_codec_grace_s + 1)
    assert not sb.tick().events
    deadline = sb.next_deadline()
    assert deadline is not None and deadline > clock() + 60, "only the call's cap is left"


def test_codec_news_about_a_call_that_is_not_active_is_not_found(sb) -> None:
    for report in (
        lambda: sb.video_codec_agreed("nope", "buyer", "VP8"),
        lambda: sb.no_common_codec("nope", "buyer", None),
    ):
        try:
            report()
        except NotFound:
            continue
        raise AssertionError("no NotFound")


def test_a_reloaded_buyer_page_is_told_the_agents_camera_and_the_agent_the_buyers(sb) -> None:
    live_call(sb)
    sb.handle("a1", msg(MEDIA_OFF))
    sb.handle("b1", msg('{"type":"media","camera":true,"microphone":false}'))
    fx = sb.connect_buyer("b1-again", link(1))  # the buyer's page reloaded
    assert isinstance(fx.to("b1-again")[0], Welcome)
    told = last(fx, "b1-again", PeerMedia)
    assert (told.side, told.camera, told.microphone) == ("agent", False, True)
    fx = sb.connect_staff("a1-again", "u1", "Agent 1", "agent")  # and the agent's
    told = last(fx, "a1-again", PeerMedia)
    assert (told.side, told.camera, told.microphone) == ("buyer", True, False)


def test_the_agent_who_answers_is_told_the_waiting_buyers_media(sb) -> None:
    session_id = queue_buyer(sb, 1)
    sb.handle("b1", msg(MEDIA_OFF))
    online_agent(sb, 1)
    fx = sb.handle("a1", msg(f'{{"type":"accept","session_id":"{session_id}"}}'))
    told = last(fx, "a1", PeerMedia)
    assert (told.side, told.camera) == ("buyer", False)
    assert of_type(fx, "b1", PeerMedia) == [], "the buyer hears nothing of itself"


def test_a_reloaded_page_is_told_again_of_a_missing_codec(sb) -> None:
    session_id = live_call(sb)
    sb.no_common_codec(session_id, "buyer", "VP8")
    fx = sb.connect_buyer("b1-again", link(1))
    assert last(fx, "b1-again", NoCommonCodec).side == "buyer"


# ------------------------------------------------------------------ presence


def test_presence_with_nobody_online_has_no_wait_estimate(sb: Switchboard) -> None:
    queue_buyer(sb, 1)
    sb.connect_staff("a1", "u1", "Away Agent", "agent")  # connected, away
    presence = sb.presence()
    assert (presence.agents_online, presence.agents_available, presence.agents_busy) == (1, 0, 0)
    assert (presence.queue_length, presence.expected_wait_s) == (1, None)


def test_presence_an_available_agent_and_an_empty_line_mean_no_wait(sb: Switchboard) -> None:
    online_agent(sb, 1)
    presence = sb.presence()
    assert (presence.agents_available, presence.queue_length, presence.expected_wait_s) == (1, 0, 0)


def test_presence_a_busy_agent_makes_a_newcomer_wait_behind_the_line(sb: Switchboard) -> None:
    live_call(sb)  # agent 1 busy
    queue_buyer(sb, 2)
    presence = sb.presence()
    assert (presence.agents_available, presence.agents_busy, presence.queue_length) == (0, 1, 1)
    assert presence.expected_wait_s == 360  # (1 waiting + the newcomer) x 180 s / 1 agent
