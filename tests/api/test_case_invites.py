"""An agent answers a case with an invitation to a live call at a proposed time: the
time must be ahead and within the link's life, else a clear 422; the buyer reads it on
the reopened link, and the call they start from the link belongs to the same case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers.case_uploads import recv_type, socket
from tests.helpers.consent import consent_message
from tests.helpers.links import make_link
from tests.helpers.people import buyer, staff
from tests.helpers.waiting import wait_until


def submitted_case(client, app, *, ttl_s: int = 3600, timezone: str | None = None):
    _, url = make_link(app, locale="de", ttl_s=ttl_s)
    person = buyer(client, url)
    body = {"note": "Karton zerdrückt", "locale": "de", "timezone": timezone}
    assert person.post("/api/buyer/case/submit", json=body).status_code == 201
    agent, _ = staff(client, app, "agent@example.com", "agent")
    case_id = agent.get("/api/cases").json()["cases"][0]["id"]
    return person, agent, case_id


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def test_an_invitation_reaches_the_buyer_with_its_time_and_the_buyers_zone_is_known(client, app):
    person, agent, case_id = submitted_case(client, app, timezone="Europe/Berlin")
    case = agent.get(f"/api/cases/{case_id}").json()
    assert case["buyer_timezone"] == "Europe/Berlin"
    at = app.state.clock.now() + timedelta(minutes=30)
    sent = agent.post(
        f"/api/cases/{case_id}/replies", json={"invite_at": iso(at), "text": "Ich rufe an."}
    )
    assert sent.status_code == 201, sent.text
    (reply,) = sent.json()["replies"]
    assert datetime.fromisoformat(reply["invite_at"]) == at
    (seen,) = person.get("/api/buyer/case?locale=de").json()["replies"]
    assert seen["text"] == "Ich rufe an."
    assert datetime.fromisoformat(seen["invite_at"]) == at


def test_an_invitation_needs_no_text(client, app):
    person, agent, case_id = submitted_case(client, app)
    at = app.state.clock.now() + timedelta(minutes=5)
    sent = agent.post(f"/api/cases/{case_id}/replies", json={"invite_at": iso(at)})
    assert sent.status_code == 201, sent.text
    (seen,) = person.get("/api/buyer/case").json()["replies"]
    assert seen["text"] == "" and seen["invite_at"]


def test_an_invitation_in_the_past_is_refused_with_a_clear_error(client, app):
    _, agent, case_id = submitted_case(client, app)
    past = app.state.clock.now() - timedelta(minutes=1)
    refused = agent.post(f"/api/cases/{case_id}/replies", json={"invite_at": iso(past)})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invite_in_past" and "future" in error["message"]
    assert agent.get(f"/api/cases/{case_id}").json()["replies"] == []


def test_an_invitation_after_the_link_expires_is_refused_naming_the_expiry(client, app):
    _, agent, case_id = submitted_case(client, app, ttl_s=3600)
    late = app.state.clock.now() + timedelta(hours=2)
    refused = agent.post(f"/api/cases/{case_id}/replies", json={"invite_at": iso(late)})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invite_after_link_expiry" and "expires" in error["message"]


def test_an_invitation_with_a_quick_phrase_or_a_bad_time_is_refused(client, app):
    _, agent, case_id = submitted_case(client, app)
    phrase = agent.get("/api/quick-phrases").json()["items"][0]
    at = iso(app.state.clock.now() + timedelta(minutes=10))
    both = agent.post(
        f"/api/cases/{case_id}/replies", json={"invite_at": at, "phrase_id": phrase["id"]}
    )
    assert both.status_code == 422
    garbage = agent.post(f"/api/cases/{case_id}/replies", json={"invite_at": "tomorrow"})
    assert garbage.status_code == 422


def test_an_unknown_zone_from_the_page_is_not_kept(client, app):
    _, agent, case_id = submitted_case(client, app, timezone="Mars/Olympus")
    assert agent.get(f"/api/cases/{case_id}").json()["buyer_timezone"] is None


def test_the_call_the_buyer_starts_after_the_invitation_belongs_to_the_case(client, app):
    person, agent, case_id = submitted_case(client, app)
    at = app.state.clock.now() + timedelta(minutes=2)
    agent.post(f"/api/cases/{case_id}/replies", json={"invite_at": iso(at)})
    with socket(client, agent, "staff") as agent_ws:
        agent_ws.send_json({"type": "set_availability", "state": "available"})
        recv_type(agent_ws, "availability")
        with socket(client, person, "buyer") as buyer_ws:
            buyer_ws.send_json(consent_message(True))
            session_id = recv_type(buyer_ws, "call")["session_id"]
    case = wait_until(
        lambda: (found := agent.get(f"/api/cases/{case_id}").json())["calls"] and found,
        10,
        "the call on the case",
    )
    assert [c["id"] for c in case["calls"]] == [session_id]
