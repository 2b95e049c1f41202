"""A live remote-inspection call through the API for tests: both sides on their sockets,
the agent's photo requests answered by the buyer's page, error codes read back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from sqlmodel import Session

from server.models import Call
from tests.helpers.consent import consent_message
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.people import Person, buyer
from tests.helpers.waiting import wait_until

HELLO = {"type": "hello", "v": 1}


def recv_type(ws, wanted: str, limit: int = 50) -> dict:
    """The next message of type ``wanted`` (others are skipped)."""
    for _ in range(limit):
        message = ws.receive_json()
        if message["type"] == wanted:
            return message
    raise AssertionError(f"no {wanted!r}")


@contextmanager
def socket(client, person: Person, as_: str):
    client.cookies.clear()
    for name, value in person.cookies.items():
        client.cookies.set(name, value)
    with client.websocket_connect(f"/ws?as={as_}") as ws:
        client.cookies.clear()
        ws.send_json(HELLO)
        recv_type(ws, "welcome")
        yield ws


@dataclass
class LiveCall:
    session_id: str
    buyer: Person
    buyer_ws: object
    agent_ws: object


@contextmanager
def live_call(
    app, client, agent: Person, order_ref: str = "ORD-INSP", purpose: str = "remote_inspection"
) -> Iterator[LiveCall]:
    _, url = make_link(app, order_ref, purpose)
    the_buyer = buyer(client, url)
    with ExitStack() as stack:
        agent_ws = stack.enter_context(socket(client, agent, "staff"))
        agent_ws.send_json({"type": "set_availability", "state": "available"})
        recv_type(agent_ws, "availability")
        buyer_ws = stack.enter_context(socket(client, the_buyer, "buyer"))
        buyer_ws.send_json(consent_message(True))
        session_id = recv_type(buyer_ws, "call")["session_id"]
        agent_ws.send_json({"type": "accept", "session_id": session_id})
        assert recv_type(buyer_ws, "call")["state"] == "live"

        def answered() -> bool:
            with Session(app.state.engine) as db:
                row = db.get(Call, session_id)
                return row is not None and row.agent_id is not None

        wait_until(answered, 5, "the answered call stored")
        yield LiveCall(session_id, the_buyer, buyer_ws, agent_ws)


def shoot(agent: Person, call: LiveCall, item: str, width: int = 160) -> dict:
    """The agent asks for a photo of ``item``; the buyer's page uploads one ``width``
    pixels wide."""
    opened = agent.post(f"/api/sessions/{call.session_id}/inspection/captures", json={"item": item})
    assert opened.status_code == 201, opened.text
    capture_id = opened.json()["capture_id"]
    answer = call.buyer.post(
        f"/api/sessions/{call.session_id}/photos?capture_id={capture_id}",
        content=image_bytes("mjpeg", width, 120),
        headers={"Content-Type": "image/jpeg"},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def error_code(answer, status: int) -> str:
    assert answer.status_code == status, answer.text
    return answer.json()["error"]["code"]
