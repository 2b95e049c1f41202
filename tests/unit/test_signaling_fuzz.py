"""Property tests: the parser and the switchboard only ever fail with documented errors.

As in python-websockets' fuzz harnesses, "rejected with a documented exception" counts
as success; any other exception, or a broken invariant, is a bug.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signaling import (
    LEGAL_TRANSITIONS,
    MAX_MESSAGE_BYTES,
    CallState,
    EndReason,
    LinkInfo,
    ProtocolError,
    SignalingError,
    Switchboard,
    parse_client_message,
)
from signaling.messages import ClientMessage
from signaling.vocabulary import CloseCode
from tests.helpers.consent import consent_message

CLIENT_MODELS = get_args(get_args(ClientMessage)[0])

VALID_MESSAGES: list[dict[str, Any]] = [
    {"type": "hello", "v": 1},
    {"type": "ping"},
    {"type": "set_availability", "state": "available"},
    {"type": "set_availability", "state": "away"},
    consent_message(True),
    consent_message(False),
    {"type": "consent", "accept": True, "locale": "de", "consent_version": 1, "timezone": "UTC"},
    {"type": "phrase", "session_id": "s1", "phrase_id": 1},
    {"type": "accept", "session_id": "s1"},
    {"type": "accept_next"},
    {"type": "end"},
    {"type": "chat", "text": "hello"},
    {
        "type": "product_card",
        "card": {"name": "Lamp", "sku": "L-1", "price": "EUR 9", "url": "https://shop.example/l"},
    },
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


@st.composite
def mutated_messages(draw: st.DrawFn) -> dict[str, Any]:
    message = dict(draw(st.sampled_from(VALID_MESSAGES)))
    mutation = draw(st.sampled_from(["drop", "retype", "extra", "oversize", "type", "none"]))
    keys = sorted(message)
    if mutation == "drop":
        message.pop(draw(st.sampled_from(keys)))
    elif mutation == "retype":
        message[draw(st.sampled_from(keys))] = draw(json_values)
    elif mutation == "extra":
        message[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    elif mutation == "oversize":
        size = draw(st.sampled_from([65, 2001, 30_000, 70_000]))
        message[draw(st.sampled_from(keys))] = draw(st.sampled_from("aé😀")) * size
    elif mutation == "type":
        message["type"] = draw(st.text(max_size=20))
    return message


def parse_or_documented_error(raw: str | bytes) -> None:
    try:
        result = parse_client_message(raw)
    except ProtocolError as exc:
        assert exc.code in {"bad_json", "bad_message", "too_large"}
        assert exc.message
        return
    assert isinstance(result, CLIENT_MODELS)
    # A message that parsed must survive a round trip unchanged.
    assert parse_client_message(result.model_dump_json()) == result


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_parser_on_arbitrary_bytes_raises_only_protocol_errors(raw: bytes) -> None:
    parse_or_documented_error(raw)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_parser_on_arbitrary_text_raises_only_protocol_errors(raw: str) -> None:
    parse_or_documented_error(raw)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_parser_on_arbitrary_json_values_raises_only_protocol_errors(value: Any) -> None:
    parse_or_documented_error(json.dumps(value))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_messages(), st.booleans())
def test_parser_on_mutated_valid_messages_raises_only_protocol_errors(
    message: dict[str, Any], as_bytes: bool
) -> None:
    raw = json.dumps(message, ensure_ascii=False)
    parse_or_documented_error(raw.encode("utf-8", "surrogatepass") if as_bytes else raw)


def test_parser_edge_cases_get_their_documented_codes() -> None:
    cases: list[tuple[str | bytes, str]] = [
        ("[" * 40_000 + "]" * 40_000, "too_large"),
        ("[" * 20_000 + "]" * 20_000, "bad_json"),
        ('{"a":' * 5_000 + "1" + "}" * 5_000, "bad_json"),
        ('{"type":"chat","text":NaN}', "bad_json"),
        ('{"type":"hello","v":Infinity}', "bad_json"),
        (b"\xff\xfe", "bad_json"),
        (b'{"type":"ping"}' + b" " * MAX_MESSAGE_BYTES, "too_large"),
        ("é" * (MAX_MESSAGE_BYTES // 2 + 1), "too_large"),
        ('{"type":"chat","text":"\\ud800"}', "bad_message"),
        ('{"type":"hello","v":' + "9" * 5_000 + "}", "bad_json"),
        ('{"type":"consent","accept":"true"}', "bad_message"),
        ('{"type":"accept","session_id":"' + "a" * 65 + '"}', "bad_message"),
        ("", "bad_json"),
        ("null", "bad_message"),
    ]
    for raw, code in cases:
        try:
            parse_client_message(raw)
        except ProtocolError as exc:
            assert exc.code == code, (raw[:40], exc)
        else:
            raise AssertionError(f"accepted {raw[:40]!r}")


def test_oversize_chat_is_refused_naming_the_field() -> None:
    raw = json.dumps({"type": "chat", "text": "x" * 2001})
    try:
        parse_client_message(raw)
    except ProtocolError as exc:
        assert (exc.code, exc.message, exc.message_type) == (
            "bad_message",
            "chat.text: String should have at most 2000 characters",
            "chat",
        )
    else:
        raise AssertionError("accepted")


# ------------------------------------------------------------------ switchboard

CONNS = [f"c{i}" for i in range(6)]
LINKS = [LinkInfo(f"link-{i}", f"ORD-{i}", "product_demo", "de", f"Buyer {i}") for i in range(3)]
ROLES = ["agent", "agent", "admin", "supervisor"]
SESSION_IDS = [f"s{i}" for i in range(1, 8)] + ["nope"]

handled = st.sampled_from(VALID_MESSAGES) | st.builds(
    lambda sid: {"type": "accept", "session_id": sid}, st.sampled_from(SESSION_IDS)
)
operations = st.one_of(
    st.tuples(
        st.just("connect_staff"),
        st.sampled_from(CONNS),
        st.integers(0, 2),
        st.sampled_from(ROLES),
    ),
    st.tuples(st.just("connect_buyer"), st.sampled_from(CONNS), st.integers(0, 2)),
    st.tuples(st.just("disconnect"), st.sampled_from(CONNS)),
    st.tuples(st.just("handle"), st.sampled_from(CONNS), handled),
    st.tuples(st.just("handle"), st.sampled_from(CONNS), handled),
    st.tuples(st.just("handle"), st.sampled_from(CONNS), handled),
    st.tuples(st.just("tick"), st.sampled_from([0.5, 5, 31, 7300])),
    st.tuples(st.just("revoke"), st.integers(0, 2)),
    st.tuples(st.just("end_call"), st.sampled_from(SESSION_IDS), st.sampled_from(EndReason)),
    st.tuples(st.just("end_all")),
)

STATE_OF_KIND = {
    "answered": CallState.LIVE,
    "resumed": CallState.LIVE,
    "reconnecting": CallState.RECONNECTING,
    "ended": CallState.ENDED,
}


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def apply(sb: Switchboard, clock: Clock, op: tuple[Any, ...]):  # noqa: ANN201
    match op:
        case ("connect_staff", conn, user, role):
            return sb.connect_staff(conn, f"u{user}", f"Staff {user}", role)
        case ("connect_buyer", conn, n):
            return sb.connect_buyer(conn, LINKS[n])
        case ("disconnect", conn):
            return sb.disconnect(conn)
        case ("handle", conn, message):
            return sb.handle(conn, parse_client_message(json.dumps(message)))
        case ("tick", seconds):
            clock.now += seconds
            return sb.tick()
        case ("revoke", n):
            return sb.revoke_link(LINKS[n].link_id)
        case ("end_call", session_id, reason):
            return sb.end_call(session_id, reason)
        case ("end_all",):
            return sb.end_all(EndReason.SERVER_RESTART)
    raise AssertionError(op)


def check_invariants(sb: Switchboard, persisted: dict[str, Any]) -> None:
    active = {c.session_id: c for c in sb.active_calls()}
    queue = sb.queued()
    staff = sb.staff()
    conns = sb.connections()
    # The queue holds exactly the waiting calls, oldest first.
    assert set(queue) == {sid for sid, c in active.items() if c.state is CallState.WAITING}
    assert len(queue) == len(set(queue))
    assert [active[sid].created_at for sid in queue] == sorted(
        active[sid].created_at for sid in queue
    )
    # Each agent is in at most one call, and busy exactly when it has one.
    agents = [c.agent_id for c in active.values() if c.agent_id is not None]
    assert len(agents) == len(set(agents))
    for call in active.values():
        assert call.end_reason is None and call.ended_at is None
        if call.state in (CallState.LIVE, CallState.RECONNECTING):
            assert call.agent_id is not None and call.answered_at is not None
    for view in staff:
        if view.call_id is not None:
            assert active[view.call_id].agent_id == view.user_id
            assert view.availability == "busy"
        else:
            assert view.availability != "busy"
            assert view.conn_id is not None  # offline staff without a call are forgotten
        if view.conn_id is not None:
            assert conns[view.conn_id] == ("staff", view.user_id)
    for sid, call in active.items():
        if call.agent_id is not None:
            assert any(v.user_id == call.agent_id and v.call_id == sid for v in staff)
    # What the adapter persisted matches the core's view of every call.
    for sid, call in active.items():
        assert persisted[sid] == call
    for sid, snap in persisted.items():
        if sid not in active:
            assert snap.state is CallState.ENDED
            assert snap.end_reason is not None and snap.ended_at is not None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, max_size=40))
def test_random_inputs_raise_only_signaling_errors_and_keep_invariants(
    limits: dict[str, Any], ops: list[tuple[Any, ...]]
) -> None:
    clock = Clock()
    counter = iter(range(1, 10_000))
    sb = Switchboard(clock, lambda: f"s{next(counter)}", **limits)
    persisted: dict[str, Any] = {}
    for op in ops:
        try:
            fx = apply(sb, clock, op)
        except SignalingError as exc:
            assert exc.code and exc.message
            check_invariants(sb, persisted)
            continue
        for conn_id, message in fx.messages:
            assert isinstance(conn_id, str)
            json.loads(message.to_json())
        for _conn_id, code, reason in fx.closes:
            assert code in {CloseCode.SUPERSEDED, CloseCode.MOVED, CloseCode.REVOKED} and reason
        for event in fx.events:
            sid = event.call.session_id
            before = persisted.get(sid)
            kind = event.event.kind
            if before is None:
                assert kind in ("created", "declined")
                expected = CallState.WAITING if kind == "created" else CallState.ENDED
                assert event.call.state is expected
            elif kind in STATE_OF_KIND:
                assert (before.state, event.call.state) in LEGAL_TRANSITIONS
                assert event.call.state is STATE_OF_KIND[kind]
            else:
                assert kind in ("chat", "moved")
                assert before.state is not CallState.ENDED
                assert event.call.state is before.state
            persisted[sid] = event.call
        check_invariants(sb, persisted)
