"""The switchboard's side of provable consent and quick phrases: what a call records of
the consent, what each side is told, and who may send a phrase."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from signaling import (
    CallUpdate,
    ChatPosted,
    Forbidden,
    InvalidState,
    LinkInfo,
    NotFound,
    ProtocolError,
    QueueUpdate,
    SendPhrase,
    Switchboard,
    parse_client_message,
)
from tests.helpers.consent import consent_json, consent_message

TEXTS = {
    "en": "Move a little closer.",
    "de": "Gehen Sie bitte etwas näher heran.",
    "zh-CN": "请再靠近一点。",
}


@pytest.fixture
def sb(limits: dict[str, Any]) -> Switchboard:
    counter = itertools.count(1)
    return Switchboard(lambda: 1_700_000_000.0, lambda: f"s{next(counter)}", **limits)


def consent(accept: bool = True, **fields: Any):  # noqa: ANN201 - a parsed message
    """A parsed consent naming the shipped English text, ``fields`` replacing its own."""
    return parse_client_message(consent_json(accept, **fields))


def live(sb: Switchboard, agent_locale: str = "en", **consent_fields: Any) -> str:
    sb.connect_buyer("b1", LinkInfo("link-1", "ORD-1", "damage_verification", "de-AT", "Bo"))
    fx = sb.handle("b1", consent(**consent_fields))
    session_id = fx.events[0].call.session_id
    sb.connect_staff("a1", "u1", "Ana", "agent", agent_locale)
    sb.handle("a1", parse_client_message('{"type":"set_availability","state":"available"}'))
    sb.handle("a1", parse_client_message(json.dumps({"type": "accept", "session_id": session_id})))
    return session_id


def phrase(session_id: str, phrase_id: int = 3) -> SendPhrase:
    return SendPhrase(type="phrase", session_id=session_id, phrase_id=phrase_id)


def test_a_declined_consent_records_its_text_and_time_zone_on_the_ended_call(sb):
    sb.connect_buyer("b1", LinkInfo("link-1", "ORD-1", "damage_verification", "de", "Bo"))
    fx = sb.handle("b1", consent(False, locale="de", consent_version=4, timezone="Europe/Berlin"))
    snap = fx.events[0].call
    assert (snap.consent_decision, snap.consent_locale, snap.consent_version) == (
        "declined",
        "de",
        4,
    )
    assert snap.buyer_timezone == "Europe/Berlin"
    [update] = fx.to("b1")
    assert isinstance(update, CallUpdate) and update.buyer_locale == "de"


def test_the_queue_and_the_call_tell_the_agent_the_buyers_language_and_time_zone(sb):
    sb.connect_staff("a1", "u1", "Ana", "agent")
    sb.connect_buyer("b1", LinkInfo("link-1", "ORD-1", "product_demo", "ja", "Kei"))
    fx = sb.handle("b1", consent(locale="ja", consent_version=1, timezone="Asia/Tokyo"))
    [queue] = [m for m in fx.to("a1") if isinstance(m, QueueUpdate)]
    assert (queue.items[0].buyer_locale, queue.items[0].buyer_timezone) == ("ja", "Asia/Tokyo")
    assert fx.events[0].call.consent_decision == "accepted"


@pytest.mark.parametrize("missing", ["locale", "consent_version", "timezone"])
def test_a_consent_that_does_not_name_its_text_and_time_zone_does_not_parse(missing):
    message = {k: v for k, v in consent_message().items() if k != missing}
    with pytest.raises(ProtocolError) as refused:
        parse_client_message(json.dumps(message))
    assert refused.value.code == "bad_message"
    assert refused.value.message == f"consent.{missing}: Field required"


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"locale": "xx"}, "consent.locale"),
        ({"timezone": "Europe/Nowhere"}, "consent.timezone"),
        ({"consent_version": "1"}, "consent.consent_version"),
        ({"consent_version": 0}, "consent.consent_version"),
    ],
)
def test_a_consent_with_an_unknown_text_or_time_zone_does_not_parse(fields, where):
    with pytest.raises(ProtocolError) as refused:
        consent(**fields)
    assert refused.value.code == "bad_message" and refused.value.message.startswith(where)


def test_a_phrase_reads_in_the_buyers_consent_locale_and_the_agents_own(sb):
    session_id = live(sb, agent_locale="zh-CN", locale="de", consent_version=1)
    fx = sb.post_phrase("a1", phrase(session_id), TEXTS)
    [to_buyer] = [m for m in fx.to("b1") if isinstance(m, ChatPosted)]
    [to_agent] = [m for m in fx.to("a1") if isinstance(m, ChatPosted)]
    assert to_buyer.text == TEXTS["de"] and to_agent.text == TEXTS["zh-CN"]
    assert to_buyer.phrase_id == to_agent.phrase_id == 3
    [event] = [e.event for e in fx.events]
    assert event.data == {
        "from": "agent",
        "name": "Ana",
        "text": TEXTS["zh-CN"],
        "phrase_id": 3,
        "buyer_text": TEXTS["de"],
        "buyer_locale": "de",
    }


def test_a_phrase_without_the_buyers_language_reads_in_english(sb):
    session_id = live(sb, locale="ko", consent_version=1)
    fx = sb.post_phrase("a1", phrase(session_id), TEXTS)
    assert [m.text for m in fx.to("b1") if isinstance(m, ChatPosted)] == [TEXTS["en"]]
    assert [m.text for m in fx.to("a1") if isinstance(m, ChatPosted)] == [TEXTS["en"]]


def test_only_the_calls_own_agent_sends_a_phrase_and_only_in_an_answered_call(sb):
    sb.connect_buyer("b1", LinkInfo("link-1", "ORD-1", "damage_verification", "de", "Bo"))
    waiting = sb.handle("b1", consent()).events[0].call.session_id
    sb.connect_staff("a2", "u2", "Bob", "agent")
    with pytest.raises(Forbidden):
        sb.phrase_call("a2", waiting)  # not his call (it is nobody's yet)
    with pytest.raises(Forbidden):
        sb.phrase_call("b1", waiting)  # a buyer
    with pytest.raises(NotFound):
        sb.phrase_call("nobody", waiting)
    with pytest.raises(InvalidState):
        sb.handle("a2", phrase(waiting))  # phrases go through post_phrase, with their texts


def test_a_staff_member_who_changes_language_gets_the_next_phrase_in_it(sb):
    session_id = live(sb, locale="de", consent_version=1)
    sb.set_staff_locale("u1", "zh-CN")
    fx = sb.post_phrase("a1", phrase(session_id), TEXTS)
    assert [m.text for m in fx.to("a1") if isinstance(m, ChatPosted)] == [TEXTS["zh-CN"]]
    sb.set_staff_locale("u1", "de")  # not a staff language: English
    fx = sb.post_phrase("a1", phrase(session_id), TEXTS)
    assert [m.text for m in fx.to("a1") if isinstance(m, ChatPosted)] == [TEXTS["en"]]
    sb.set_staff_locale("nobody", "zh-CN")  # not connected: nothing to change
