"""A case's verdict has a call's history: the agent sets it, a supervisor confirms or
overrides it (with a reason), each change kept with who made it and sent to the shop's
receiver (``case.outcome_set``, ``case.outcome_changed``); the case's one timeline holds
its submissions, the calls of the same link and the verdict's changes in time order; an
agent's still from a clip becomes a photo of the case naming the clip and the moment;
a verdict set before the history existed is carried over by the migration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.app import create_app
from server.db.migrate import alembic_config, upgrade
from server.models import AuditEntry
from server.models.case import CaseFile
from tests.helpers.case_uploads import create, patch, recv_type, socket, webm_clip
from tests.helpers.consent import consent_message
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.people import buyer, staff
from tests.helpers.waiting import wait_until
from tests.helpers.webhook_receiver import Receiver

FAST = {"webhooks_allow_private": True, "webhooks_poll_s": 0.1, "webhooks_retry_base_s": 0.2}


def recorded_case(client, app, note: str = "box crushed"):
    """A buyer's link with one submitted clip: (the buyer, the case's id)."""
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip(seconds=2.0)
    assert patch(person, create(person, len(clip)).headers["Location"], 0, clip).status_code == 204
    assert person.post("/api/buyer/case/submit", json={"note": note}).status_code == 201
    return person


def case_id_of(someone) -> int:
    return someone.get("/api/cases").json()["cases"][0]["id"]


def test_a_case_verdict_is_set_confirmed_and_overridden_with_its_history(client, app, clock):
    recorded_case(client, app)
    agent, agent_id = staff(client, app, "ann@shop.test", "agent", "Ann Agent")
    sue, sue_id = staff(client, app, "sue@shop.test", "supervisor", "Sue Supervisor")
    case_id = case_id_of(agent)

    set_ = agent.put(
        f"/api/cases/{case_id}/outcome",
        json={"outcome": "damage", "decision": "refund", "note": "corner crushed"},
    )
    assert set_.status_code == 200, set_.text
    clock.advance(60)
    confirmed = sue.post(f"/api/cases/{case_id}/review", json={"action": "confirm"})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["review_state"] == "confirmed"
    clock.advance(60)
    overridden = sue.post(
        f"/api/cases/{case_id}/review",
        json={
            "action": "override",
            "outcome": "no_fault_found",
            "decision": "reject",
            "reason": "the corner was dented before shipping",
        },
    )
    assert overridden.status_code == 200, overridden.text
    case = overridden.json()
    assert (case["outcome"], case["decision"], case["review_state"]) == (
        "no_fault_found",
        "reject",
        "overridden",
    )
    history = case["outcome_history"]
    assert [h["action"] for h in history] == ["set", "confirm", "override"]
    assert [h["by_user_id"] for h in history] == [agent_id, sue_id, sue_id]
    assert [h["by_name"] for h in history] == ["Ann Agent", "Sue Supervisor", "Sue Supervisor"]
    assert history[0]["note"] == "corner crushed"
    assert history[1]["outcome"] == "damage"
    assert history[2]["reason"] == "the corner was dented before shipping"
    assert case["outcome_by_name"] == "Sue Supervisor"

    clock.advance(60)  # the agent's new verdict undoes the review, as for a call
    again = agent.put(
        f"/api/cases/{case_id}/outcome", json={"outcome": "damage", "decision": "replace"}
    ).json()
    assert again["review_state"] is None
    assert [h["action"] for h in again["outcome_history"]] == ["set", "confirm", "override", "set"]


def test_only_supervisors_review_a_case_and_each_action_needs_its_verdict(client, app):
    recorded_case(client, app)
    agent, _ = staff(client, app, "ann@shop.test", "agent")
    sue, _ = staff(client, app, "sue@shop.test", "supervisor")
    case_id = case_id_of(agent)
    review = f"/api/cases/{case_id}/review"

    assert agent.post(review, json={"action": "confirm"}).status_code == 403
    nothing = sue.post(review, json={"action": "confirm"})
    assert (
        nothing.status_code == 409 and "no outcome to confirm" in nothing.json()["error"]["message"]
    )
    no_reason = sue.post(review, json={"action": "override", "outcome": "damage"})
    assert no_reason.status_code in (400, 422)
    assert sue.get(f"/api/cases/{case_id}").json()["outcome_history"] == []

    # an untagged case: the supervisor sets it (no reason needed), once
    untagged = {"action": "set", "outcome": "damage", "decision": "refund", "note": "seen"}
    assert sue.post(review, json=untagged).status_code == 200
    twice = sue.post(review, json=untagged)
    assert twice.status_code == 409 and "override it" in twice.json()["error"]["message"]
    assert sue.post("/api/cases/999999/review", json={"action": "confirm"}).status_code == 404


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


def test_a_case_review_is_sent_as_case_outcome_changed_never_as_a_calls_event(
    settings, clock, receiver
):
    app = create_app(settings.model_copy(update=FAST), clock=clock)
    with TestClient(app, base_url=settings.public_url) as client:
        admin, _ = staff(client, app, "root@shop.test", "admin")
        events = ["case.outcome_set", "case.outcome_changed", "outcome.set", "outcome.changed"]
        made = admin.post("/api/webhooks", json={"url": receiver.url, "events": events})
        assert made.status_code == 201, made.text
        receiver.secrets = [made.json()["secret"]]
        receiver.start()
        recorded_case(client, app)
        agent, agent_id = staff(client, app, "ann@shop.test", "agent")
        sue, sue_id = staff(client, app, "sue@shop.test", "supervisor")
        case_id = case_id_of(agent)
        agent.put(f"/api/cases/{case_id}/outcome", json={"outcome": "damage", "decision": "refund"})
        sue.post(f"/api/cases/{case_id}/review", json={"action": "confirm"})
        sue.post(
            f"/api/cases/{case_id}/review",
            json={"action": "override", "outcome": "no_fault_found", "reason": "old dent"},
        )
        changed = wait_until(
            lambda: len(got := receiver.verified("case.outcome_changed")) == 2 and got,
            10,
            "two case.outcome_changed",
        )
        (set_,) = receiver.verified("case.outcome_set")
        assert (set_["data"]["action"], set_["data"]["by_user_id"]) == ("set", agent_id)
        assert set_["data"]["reason"] is None
        by_action = {e["data"]["action"]: e["data"] for e in changed}
        assert set(by_action) == {"confirm", "override"}
        assert (
            by_action["confirm"]["outcome"] == "damage"
            and by_action["confirm"]["by_user_id"] == sue_id
        )
        override = by_action["override"]
        assert (override["outcome"], override["decision"], override["reason"]) == (
            "no_fault_found",
            None,
            "old dent",
        )
        assert override["case_id"] == case_id and override["order_ref"] == "ORD-1"
        assert receiver.verified("outcome.set") == receiver.verified("outcome.changed") == []


def test_the_case_timeline_holds_submission_call_and_verdict_in_time_order(client, app, clock):
    person = recorded_case(client, app, note="please call me")
    agent, _ = staff(client, app, "ann@shop.test", "agent")
    case_id = case_id_of(agent)
    clock.advance(600)
    with socket(client, agent, "staff") as agent_ws:
        agent_ws.send_json({"type": "set_availability", "state": "available"})
        recv_type(agent_ws, "availability")
        with socket(client, person, "buyer") as buyer_ws:
            buyer_ws.send_json(consent_message(True))
            session_id = recv_type(buyer_ws, "call")["session_id"]
            agent_ws.send_json({"type": "accept", "session_id": session_id})
            assert recv_type(buyer_ws, "call")["state"] == "live"
    wait_until(lambda: agent.get(f"/api/cases/{case_id}").json()["calls"], 10, "the call")
    clock.advance(600)
    agent.put(f"/api/cases/{case_id}/outcome", json={"outcome": "damage", "decision": "refund"})
    case = agent.get(f"/api/cases/{case_id}").json()
    assert [(e["kind"], e["id"]) for e in case["timeline"]] == [
        ("submission", case["submissions"][0]["id"]),
        ("call", session_id),
        ("verdict", case["outcome_history"][0]["id"]),
    ]
    # the call's own detail names its case, so review goes from one to the other
    sue, _ = staff(client, app, "sue@shop.test", "supervisor")
    assert sue.get(f"/api/sessions/{session_id}").json()["case_id"] == case_id


def test_a_still_from_a_clip_becomes_a_photo_of_the_case_naming_its_moment(client, app, clock):
    recorded_case(client, app)
    agent, agent_id = staff(client, app, "ann@shop.test", "agent")
    case_id = case_id_of(agent)
    clip = agent.get(f"/api/cases/{case_id}").json()["files"][0]
    clock.advance(30)
    frame = image_bytes("png", 160, 120)
    stills = f"/api/cases/{case_id}/files/{clip['id']}/stills"
    taken = agent.post(f"{stills}?t_ms=1250", content=frame, headers={"Content-Type": "image/png"})
    assert taken.status_code == 201, taken.text
    case = taken.json()
    still = case["files"][-1]
    assert (still["kind"], still["step"], still["source_file_id"], still["source_t_ms"]) == (
        "photo",
        clip["step"],
        clip["id"],
        1250,
    )
    assert (still["width"], still["height"], still["content_type"]) == (160, 120, "image/png")
    assert agent.get(still["url"]).status_code == 200
    assert ("still", still["id"]) in [(e["kind"], e["id"]) for e in case["timeline"]]
    with Session(app.state.engine) as db:
        (entry,) = db.exec(select(AuditEntry).where(AuditEntry.action == "take_case_still")).all()
    assert entry.user_id == agent_id and entry.detail["clip_id"] == clip["id"]

    # refused: a still of a photo, a moment past the clip's end, something not an image
    of_photo = agent.post(
        f"/api/cases/{case_id}/files/{still['id']}/stills?t_ms=0",
        content=frame,
        headers={"Content-Type": "image/png"},
    )
    assert of_photo.status_code == 422 and of_photo.json()["error"]["code"] == "not_a_clip"
    late = agent.post(f"{stills}?t_ms=9000", content=frame, headers={"Content-Type": "image/png"})
    assert late.status_code == 422
    junk = agent.post(
        f"{stills}?t_ms=10", content=b"not an image" * 10, headers={"Content-Type": "image/png"}
    )
    assert junk.status_code == 415
    assert len(agent.get(f"/api/cases/{case_id}").json()["files"]) == 2


def test_the_migration_carries_a_case_verdict_set_before_it_into_the_history(client, app):
    recorded_case(client, app)
    agent, agent_id = staff(client, app, "ann@shop.test", "agent")
    case_id = case_id_of(agent)
    url = app.state.settings.db_url
    app.state.engine.dispose()
    command.downgrade(alembic_config(url), "0017")  # the revision before the history
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                'UPDATE "case" SET outcome = :o, decision = :d, outcome_note = :n, '
                "outcome_by_user_id = :u, outcome_at = created_at WHERE id = :id"
            ),
            {"o": "damage", "d": "refund", "n": "before", "u": agent_id, "id": case_id},
        )
    engine.dispose()
    upgrade(url)
    case = agent.get(f"/api/cases/{case_id}").json()
    (change,) = case["outcome_history"]
    assert (change["action"], change["outcome"], change["decision"], change["note"]) == (
        "set",
        "damage",
        "refund",
        "before",
    )
    assert change["by_user_id"] == agent_id and case["review_state"] is None


def test_no_still_is_taken_from_a_clip_the_buyer_has_not_submitted(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip(seconds=2.0)
    assert patch(person, create(person, len(clip)).headers["Location"], 0, clip).status_code == 204
    agent, _ = staff(client, app, "ann@shop.test", "agent")
    with Session(app.state.engine) as db:
        (row,) = db.exec(select(CaseFile)).all()
    taken = agent.post(
        f"/api/cases/{row.case_id}/files/{row.id}/stills?t_ms=100",
        content=image_bytes("png"),
        headers={"Content-Type": "image/png"},
    )
    assert taken.status_code == 404
    with Session(app.state.engine) as db:
        assert len(db.exec(select(CaseFile)).all()) == 1
