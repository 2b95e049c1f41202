"""Product cards: the agent shares one in a live call's chat; every field is checked and
the link may only be http(s); the buyer may not send one."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from signaling import (
    ChatPosted,
    Forbidden,
    InvalidState,
    LinkInfo,
    ProtocolError,
    Switchboard,
    parse_client_message,
)
from tests.helpers.consent import consent_json

CARD = {
    "name": "Trail Runner 2",
    "sku": "TR2-42-BLK",
    "price": "EUR 129.00",
    "url": "https://shop.example/p/tr2?size=42",
}


def card_message(**changes: Any) -> str:
    return json.dumps({"type": "product_card", "card": {**CARD, **changes}})


@pytest.fixture
def sb(limits: dict[str, Any]) -> Switchboard:
    counter = itertools.count(1)
    return Switchboard(lambda: 1_700_000_000.0, lambda: f"s{next(counter)}", **limits)


def live_demo(sb: Switchboard) -> str:
    sb.connect_buyer("b1", LinkInfo("link-1", "ORD-1", "product_demo", "en", "Buyer 1"))
    session_id = sb.handle("b1", parse_client_message(consent_json(True))).events[0].call.session_id
    sb.connect_staff("a1", "u1", "Agent 1", "agent")
    sb.handle("a1", parse_client_message('{"type":"set_availability","state":"available"}'))
    sb.handle("a1", parse_client_message(f'{{"type":"accept","session_id":"{session_id}"}}'))
    return session_id


def test_a_card_reaches_both_sides_as_a_chat_line_and_is_kept_in_the_calls_chat(
    sb: Switchboard,
) -> None:
    live_demo(sb)
    fx = sb.handle("a1", parse_client_message(card_message()))
    for conn in ("a1", "b1"):
        posted = [m for m in fx.to(conn) if isinstance(m, ChatPosted)]
        assert len(posted) == 1
        assert posted[0].card is not None and posted[0].card.model_dump() == CARD
        assert posted[0].from_ == "agent"
        assert posted[0].text == "Trail Runner 2 · TR2-42-BLK · EUR 129.00 · " + CARD["url"]
    wire = json.loads(posted[0].to_json())
    assert wire["card"] == CARD
    [event] = fx.events
    assert event.event.kind == "chat" and event.event.data["card"] == CARD


def test_a_plain_chat_line_has_no_card(sb: Switchboard) -> None:
    live_demo(sb)
    fx = sb.handle("b1", parse_client_message('{"type":"chat","text":"hi"}'))
    assert json.loads(fx.to("a1")[0].to_json())["card"] is None
    assert "card" not in fx.events[0].event.data


def test_the_buyer_may_not_send_a_card(sb: Switchboard) -> None:
    live_demo(sb)
    with pytest.raises(Forbidden):
        sb.handle("b1", parse_client_message(card_message()))


def test_a_card_without_a_call_is_refused(sb: Switchboard) -> None:
    sb.connect_staff("a1", "u1", "Agent 1", "agent")
    with pytest.raises(InvalidState, match="no current call"):
        sb.handle("a1", parse_client_message(card_message()))


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
        "ftp://shop.example/p",
        "//shop.example/p",
        "/p/tr2",
        "https://",
        "https:///p",
        "https://user:pw@shop.example/p",
        "https://shop.example/p tr2",
        "https://shop.example/\np",
        "https://shop.example:port/p",
        "https://shop.example/" + "x" * 2000,
    ],
)
def test_a_link_that_is_not_plain_http_or_https_is_refused(url: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_client_message(card_message(url=url))
    assert refused.value.code == "bad_message"
    assert "card.url" in refused.value.message


@pytest.mark.parametrize("url", ["http://shop.example/p", "HTTPS://Shop.Example:8443/p#x"])
def test_http_and_https_links_pass(url: str) -> None:
    assert parse_client_message(card_message(url=url)).card.url == url


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 201),
        ("name", "two\nlines"),
        ("sku", "x" * 65),
        ("sku", "\x00"),
        ("price", "x" * 41),
        ("price", 129),
        ("name", None),
    ],
)
def test_each_field_is_checked(field: str, value: Any) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_client_message(card_message(**{field: value}))
    assert refused.value.code == "bad_message"
    assert f"card.{field}" in refused.value.message


def test_a_card_with_a_missing_or_an_extra_field_is_refused() -> None:
    missing = {k: v for k, v in CARD.items() if k != "sku"}
    with pytest.raises(ProtocolError, match="card.sku"):
        parse_client_message(json.dumps({"type": "product_card", "card": missing}))
    with pytest.raises(ProtocolError, match="card.colour"):
        parse_client_message(card_message(colour="black"))
