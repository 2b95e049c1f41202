"""Link rules in the switchboard: a link starts a bounded number of calls, none after it
expires and not too many a minute; waiting has an end; revoked links are not kept forever."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest

from signaling import (
    CallUpdate,
    EndReason,
    Forbidden,
    LinkInfo,
    LinkUnusable,
    Switchboard,
    TooMany,
    parse_client_message,
)
from signaling.switchboard import REVOKED_MEMORY_S
from tests.helpers.consent import consent_json

START = 1_700_000_000.0
CONSENT = parse_client_message(consent_json(True))
DECLINE = parse_client_message(consent_json(False))
END = parse_client_message('{"type":"end"}')


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sb(clock: Clock, limits: dict[str, Any]) -> Switchboard:
    counter = itertools.count(1)
    return Switchboard(clock, lambda: f"s{next(counter)}", **limits)


LINK = LinkInfo("7", "ORD-7", "damage_verification", "en", "Ana", expires_at=START + 3600)


def consent_and_leave(sb: Switchboard, conn_id: str, link: LinkInfo = LINK) -> None:
    sb.connect_buyer(conn_id, link)
    sb.handle(conn_id, CONSENT)
    sb.handle(conn_id, END)
    sb.disconnect(conn_id)


def test_a_link_starts_no_more_calls_than_its_maximum(sb: Switchboard, clock: Clock) -> None:
    link = replace(LINK, max_calls=2)
    for n in range(2):
        consent_and_leave(sb, f"b{n}", link)
        clock.now += 61  # past the per-minute cap
    sb.connect_buyer("b9", link)
    with pytest.raises(LinkUnusable) as refused:
        sb.handle("b9", CONSENT)
    assert refused.value.code == "link_used_up"


def test_declined_calls_count_against_the_maximum(sb: Switchboard) -> None:
    sb.connect_buyer("b1", replace(LINK, max_calls=1))
    sb.handle("b1", DECLINE)
    with pytest.raises(LinkUnusable):
        sb.handle("b1", CONSENT)


def test_calls_the_database_already_holds_count_against_the_maximum(sb: Switchboard) -> None:
    sb.connect_buyer("b1", replace(LINK, max_calls=3, calls_made=3))
    with pytest.raises(LinkUnusable):
        sb.handle("b1", CONSENT)


def test_an_expired_link_starts_no_call(sb: Switchboard, clock: Clock) -> None:
    sb.connect_buyer("b1", LINK)
    clock.now = START + 3600
    with pytest.raises(LinkUnusable) as refused:
        sb.handle("b1", CONSENT)
    assert refused.value.code == "link_expired"


def test_consents_from_one_link_are_capped_per_minute(
    sb: Switchboard, clock: Clock, limits: dict[str, Any]
) -> None:
    per_minute = limits["consents_per_link_per_minute"]
    sb.connect_buyer("b1", LINK)
    for _ in range(per_minute):
        sb.handle("b1", DECLINE)
    with pytest.raises(TooMany):
        sb.handle("b1", DECLINE)
    clock.now += 60
    sb.handle("b1", DECLINE)  # a minute later it may again


def test_a_waiting_call_ends_queue_timeout_after_the_maximum_wait(
    sb: Switchboard, clock: Clock, limits: dict[str, Any]
) -> None:
    sb.connect_buyer("b1", replace(LINK, expires_at=None))
    session_id = sb.handle("b1", CONSENT).events[0].call.session_id
    assert sb.next_deadline() == START + limits["max_wait_s"]
    clock.now = START + limits["max_wait_s"] - 1
    assert sb.tick().events == []
    clock.now = START + limits["max_wait_s"]
    fx = sb.tick()
    assert [(e.call.session_id, e.call.end_reason) for e in fx.events] == [
        (session_id, EndReason.QUEUE_TIMEOUT)
    ]
    update = [m for m in fx.to("b1") if isinstance(m, CallUpdate)][-1]
    assert update.state == "ended" and update.end_reason == "queue_timeout"
    assert sb.queued() == []


def test_a_waiting_call_ends_when_its_link_expires(sb: Switchboard, clock: Clock) -> None:
    link = replace(LINK, expires_at=START + 60)
    sb.connect_buyer("b1", link)
    sb.handle("b1", CONSENT)
    clock.now = START + 90
    fx = sb.tick()
    assert [e.call.end_reason for e in fx.events] == [EndReason.LINK_EXPIRED]
    assert sb.queued() == []


def test_a_revoked_link_is_refused_and_then_forgotten(sb: Switchboard, clock: Clock) -> None:
    sb.revoke_link("7")
    with pytest.raises(Forbidden):
        sb.connect_buyer("b1", LINK)
    clock.now += REVOKED_MEMORY_S
    sb.tick()
    assert sb._revoked == {}
