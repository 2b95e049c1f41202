"""The order in the call.* and outcome.* events, and the case.* events of recorded
evidence, each verified by a real receiver on loopback with the ``standardwebhooks``
library: a link made with an order through the API, a call from it through the socket;
a case's files uploaded through the real tus routes, submitted, given a verdict and a
reply."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from tests.helpers.case_uploads import create, patch, recv_type, socket, webm_clip
from tests.helpers.consent import consent_message
from tests.helpers.images import image_bytes
from tests.helpers.people import buyer, staff
from tests.helpers.waiting import wait_until
from tests.helpers.webhook_receiver import Receiver

ORDER = {
    "lines": [
        {"sku": "MUG-01", "name": "Stoneware mug", "quantity": 2, "lot": "L2026-11"},
        {"sku": "PLT-07", "name": "Dinner plate", "quantity": 1},
    ],
    "carrier": "DHL Express",
    "tracking_number": "JD014600006211",
    "channel": "amazon.de",
    "buyer_country": "de",
    "ordered_at": "2026-11-20T10:00:00Z",
    "delivered_at": "2026-11-24T15:30:00Z",
}
FAST = {"webhooks_allow_private": True, "webhooks_poll_s": 0.1, "webhooks_retry_base_s": 0.2}
CALL_EVENTS = ["call.waiting", "call.live", "call.ended", "outcome.set"]
CASE_EVENTS = ["case.submitted", "case.outcome_set", "case.replied"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def running(settings, clock):
    app = create_app(settings.model_copy(update=FAST), clock=clock)
    with TestClient(app, base_url=settings.public_url) as client:
        yield app, client


def _subscribe(client, app, receiver: Receiver, events: list[str]):
    admin, _ = staff(client, app, "root@shop.test", "admin")
    made = admin.post("/api/webhooks", json={"url": receiver.url, "events": events})
    assert made.status_code == 201, made.text
    receiver.secrets = [made.json()["secret"]]
    receiver.start()


def _link_with_order(agent, order_ref: str) -> str:
    made = agent.post(
        "/api/links",
        json={"order_ref": order_ref, "purpose": "damage_verification", "order": ORDER},
    )
    assert made.status_code == 201, made.text
    return made.json()["url"]


def test_a_call_from_a_link_with_an_order_carries_the_order_in_its_verified_events(
    running, receiver
):
    app, client = running
    _subscribe(client, app, receiver, CALL_EVENTS)
    agent, _ = staff(client, app, "ann@shop.test", "agent")
    the_buyer = buyer(client, _link_with_order(agent, "ORD-2001"))
    with socket(client, agent, "staff") as agent_ws:
        agent_ws.send_json({"type": "set_availability", "state": "available"})
        recv_type(agent_ws, "availability")
        with socket(client, the_buyer, "buyer") as buyer_ws:
            buyer_ws.send_json(consent_message(True))
            session_id = recv_type(buyer_ws, "call")["session_id"]
            agent_ws.send_json({"type": "accept", "session_id": session_id})
            assert recv_type(buyer_ws, "call")["state"] == "live"
            agent_ws.send_json({"type": "end"})
            assert recv_type(buyer_ws, "call")["state"] == "ended"
    # the call store writes the call on its own task: its ended row is committed with
    # call.ended, so the agent tags it once that arrived
    wait_until(lambda: receiver.verified("call.ended"), 10, "call.ended")
    tagged = agent.put(
        f"/api/sessions/{session_id}/outcome",
        json={"outcome": "damage", "decision": "refund", "note": None},
    )
    assert tagged.status_code == 200, tagged.text

    got = wait_until(lambda: len(receiver.verified()) >= 4 and receiver.verified(), 10, "4 events")
    assert sorted(e["type"] for e in got) == sorted(CALL_EVENTS)
    for event in got:
        order = event["data"]["order"]
        assert event["data"]["call_id"] == session_id, event
        assert order["carrier"] == "DHL Express" and order["tracking_number"] == "JD014600006211"
        assert order["buyer_country"] == "DE" and order["channel"] == "amazon.de"
        assert [line["sku"] for line in order["lines"]] == ["MUG-01", "PLT-07"]
        assert order["lines"][1]["lot"] is None  # every field present, null when not given
        assert order["ordered_at"].startswith("2026-11-20T10:00:00")
    (outcome,) = receiver.verified("outcome.set")
    assert (outcome["data"]["outcome"], outcome["data"]["decision"]) == ("damage", "refund")


def test_a_call_from_a_link_without_an_order_says_order_null(running, receiver):
    app, client = running
    _subscribe(client, app, receiver, ["call.waiting"])
    agent, _ = staff(client, app, "ann@shop.test", "agent")
    made = agent.post("/api/links", json={"order_ref": "ORD-9", "purpose": "damage_verification"})
    the_buyer = buyer(client, made.json()["url"])
    with socket(client, the_buyer, "buyer") as buyer_ws:
        buyer_ws.send_json(consent_message(True))
        recv_type(buyer_ws, "call")
        (event,) = wait_until(lambda: receiver.verified("call.waiting"), 10, "call.waiting")
    assert "order" in event["data"] and event["data"]["order"] is None


def test_a_recorded_case_sends_submitted_with_sha256_then_its_outcome_and_reply(running, receiver):
    app, client = running
    _subscribe(client, app, receiver, CASE_EVENTS)
    agent, agent_id = staff(client, app, "ann@shop.test", "agent")
    person = buyer(client, _link_with_order(agent, "ORD-CASE"))
    clip, photo = webm_clip(), image_bytes("mjpeg")
    location = create(person, len(clip)).headers["Location"]
    half = len(clip) // 2
    assert patch(person, location, 0, clip[:half]).status_code == 204
    assert patch(person, location, half, clip[half:]).status_code == 204
    photo_at = create(person, len(photo), step="label", kind="photo").headers["Location"]
    assert patch(person, photo_at, 0, photo).status_code == 204
    assert receiver.verified() == []  # uploads alone are not a submission
    submitted = person.post("/api/buyer/case/submit", json={"note": "box crushed", "locale": "de"})
    assert submitted.status_code == 201, submitted.text

    (event,) = wait_until(lambda: receiver.verified("case.submitted"), 10, "case.submitted")
    data = event["data"]
    case_id = agent.get("/api/cases").json()["cases"][0]["id"]
    detail = agent.get(f"/api/cases/{case_id}").json()
    assert data["case_id"] == case_id and data["order_ref"] == "ORD-CASE"
    assert data["link_id"] == detail["link_id"] and data["order"]["carrier"] == "DHL Express"
    assert data["note"] == "box crushed" and data["locale"] == "de"
    assert data["submission_id"] == detail["submissions"][0]["id"]
    clip_file, photo_file = data["files"]
    assert clip_file["sha256"] == hashlib.sha256(clip).hexdigest()
    assert (clip_file["kind"], clip_file["step"], clip_file["content_type"]) == (
        "clip",
        "outer_box",
        "video/webm",
    )
    served = agent.get(detail["files"][1]["url"]).content  # the photo's clean copy
    assert photo_file["kind"] == "photo" and photo_file["sha256"] == (
        hashlib.sha256(served).hexdigest()
    )
    assert {f["file_id"] for f in data["files"]} == {f["id"] for f in detail["files"]}

    verdict = agent.put(
        f"/api/cases/{case_id}/outcome",
        json={"outcome": "damage", "decision": "refund", "note": "crushed corner"},
    )
    assert verdict.status_code == 200, verdict.text
    (outcome,) = wait_until(lambda: receiver.verified("case.outcome_set"), 10, "case.outcome_set")
    assert outcome["data"]["case_id"] == case_id and outcome["data"]["by_user_id"] == agent_id
    assert (outcome["data"]["outcome"], outcome["data"]["decision"]) == ("damage", "refund")
    assert outcome["data"]["note"] == "crushed corner"

    replied = agent.post(f"/api/cases/{case_id}/replies", json={"text": "Refund on its way"})
    assert replied.status_code == 201, replied.text
    phrase = agent.get("/api/quick-phrases").json()["items"][0]
    sent = agent.post(f"/api/cases/{case_id}/replies", json={"phrase_id": phrase["id"]})
    assert sent.status_code == 201, sent.text
    text_reply, phrase_reply = wait_until(
        lambda: len(receiver.verified("case.replied")) == 2 and receiver.verified("case.replied"),
        10,
        "two case.replied",
    )
    assert text_reply["data"]["text"] == "Refund on its way"
    assert text_reply["data"]["phrase_id"] is None
    assert phrase_reply["data"]["phrase_id"] == phrase["id"]
    assert phrase_reply["data"]["locale"] == "de"
    assert phrase_reply["data"]["text"] == phrase["texts"]["de"]  # what the buyer reads
    assert phrase_reply["data"]["text"] in [
        r["text"] for r in person.get("/api/buyer/case", params={"locale": "de"}).json()["replies"]
    ]
    assert {e["data"]["case_id"] for e in receiver.verified()} == {case_id}
    assert len({e["id"] for e in receiver.verified()}) == 4


def test_a_refused_submission_writes_no_event(running, receiver):
    app, client = running
    _subscribe(client, app, receiver, ["case.submitted", "case.replied"])
    agent, _ = staff(client, app, "ann@shop.test", "agent")
    person = buyer(client, _link_with_order(agent, "ORD-EMPTY"))
    refused = person.post("/api/buyer/case/submit", json={"note": "   "})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "nothing_to_submit"
    person.post("/api/buyer/case/submit", json={"note": "only words"})
    (event,) = wait_until(lambda: receiver.verified("case.submitted"), 10, "case.submitted")
    assert event["data"]["files"] == [] and event["data"]["note"] == "only words"
    assert len(receiver.received) == 1
