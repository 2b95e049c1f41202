"""A call is bound to the buyer's device: another device opening the link during the call
waits for the agent, who admits it (the call moves) or refuses it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from signaling import (
    CallUpdate,
    DevicePending,
    DeviceRequest,
    EndReason,
    InvalidState,
    LinkInfo,
    Moved,
    NotFound,
    Switchboard,
    Welcome,
    parse_client_message,
)
from signaling.vocabulary import CloseCode
from tests.helpers.consent import consent_json

LINK = LinkInfo("7", "ORD-7", "damage_verification", "en", "Ana")


def msg(raw: str):  # noqa: ANN201
    return parse_client_message(raw)


@pytest.fixture
def sb(limits: dict[str, Any]) -> Switchboard:
    counter = itertools.count(1)
    return Switchboard(lambda: 1_700_000_000.0, lambda: f"s{next(counter)}", **limits)


def live_call(sb: Switchboard) -> str:
    sb.connect_staff("a1", "1", "Agent", "agent")
    sb.handle("a1", msg('{"type":"set_availability","state":"available"}'))
    sb.connect_buyer("laptop", LINK, device="d1")
    session_id = sb.handle("laptop", msg(consent_json(True))).events[0]
    session_id = session_id.call.session_id
    sb.handle("a1", msg(f'{{"type":"accept","session_id":"{session_id}"}}'))
    return session_id


def test_another_device_waits_and_the_agent_is_asked(sb: Switchboard) -> None:
    session_id = live_call(sb)
    fx = sb.connect_buyer("phone", LINK, device="d2")
    assert fx.to("phone") == [Welcome(role="buyer", name="Ana", call=None), DevicePending()]
    assert fx.to("a1") == [DeviceRequest(session_id=session_id, pending=True)]
    assert fx.to("laptop") == [] and fx.closes == []
    with pytest.raises(InvalidState):
        sb.handle("phone", msg('{"type":"chat","text":"hi"}'))


def test_an_admitted_device_takes_over_and_the_old_page_is_moved(sb: Switchboard) -> None:
    session_id = live_call(sb)
    sb.connect_buyer("phone", LINK, device="d2")
    fx = sb.handle("a1", msg('{"type":"admit_device","admit":true}'))
    assert Moved() in fx.to("laptop")
    assert ("laptop", CloseCode.MOVED, "moved") in fx.closes
    update = [m for m in fx.to("phone") if isinstance(m, CallUpdate)][-1]
    assert update.session_id == session_id and update.state == "live"
    assert DeviceRequest(session_id=session_id, pending=False) in fx.to("a1")
    assert sb.media_leg("phone") == (session_id, "buyer")
    # the call is now bound to the phone: the laptop would have to ask in turn
    again = sb.connect_buyer("laptop2", LINK, device="d1")
    assert DevicePending() in again.to("laptop2")


def test_a_refused_device_is_closed_and_the_call_goes_on(sb: Switchboard) -> None:
    session_id = live_call(sb)
    sb.connect_buyer("phone", LINK, device="d2")
    fx = sb.handle("a1", msg('{"type":"admit_device","admit":false}'))
    assert fx.closes == [("phone", CloseCode.DEVICE_REFUSED, "refused by the agent")]
    assert [e.event.kind for e in fx.events] == ["device"]
    assert sb.media_leg("laptop") == (session_id, "buyer")
    with pytest.raises(NotFound):
        sb.handle("a1", msg('{"type":"admit_device","admit":true}'))


def test_the_same_device_reconnecting_resumes_without_asking(sb: Switchboard) -> None:
    live_call(sb)
    fx = sb.connect_buyer("laptop-reload", LINK, device="d1")
    assert Moved() in fx.to("laptop")
    assert not [m for m in fx.to("a1") if isinstance(m, DeviceRequest)]


def test_a_waiting_device_is_closed_when_the_call_ends(sb: Switchboard) -> None:
    session_id = live_call(sb)
    sb.connect_buyer("phone", LINK, device="d2")
    fx = sb.end_call(session_id, EndReason.AGENT_ENDED)
    assert ("phone", CloseCode.DEVICE_REFUSED, "the call ended") in fx.closes
    # afterwards the second device may start a call of its own
    fx = sb.connect_buyer("phone2", LINK, device="d2")
    assert fx.to("phone2")[0] == Welcome(role="buyer", name="Ana", call=None)
    assert DevicePending() not in fx.to("phone2")


def test_a_device_that_asks_while_the_call_waits_is_shown_to_the_agent_who_answers(
    sb: Switchboard,
) -> None:
    sb.connect_staff("a1", "1", "Agent", "agent")
    sb.connect_buyer("laptop", LINK, device="d1")
    session_id = sb.handle("laptop", msg(consent_json(True))).events[0]
    session_id = session_id.call.session_id
    sb.connect_buyer("phone", LINK, device="d2")
    sb.handle("a1", msg('{"type":"set_availability","state":"available"}'))
    fx = sb.handle("a1", msg(f'{{"type":"accept","session_id":"{session_id}"}}'))
    assert DeviceRequest(session_id=session_id, pending=True) in fx.to("a1")


def test_a_waiting_device_that_leaves_withdraws_its_request(sb: Switchboard) -> None:
    session_id = live_call(sb)
    sb.connect_buyer("phone", LINK, device="d2")
    fx = sb.disconnect("phone")
    assert fx.to("a1") == [DeviceRequest(session_id=session_id, pending=False)]
    with pytest.raises(NotFound):
        sb.handle("a1", msg('{"type":"admit_device","admit":true}'))
