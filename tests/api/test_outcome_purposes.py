"""Outcomes of a purpose: a product demo's results (purchased, will decide later, ...) are
its own codes, apart from the return reasons; a verdict takes only its call's purpose's
codes; the return-reason figures never count a demo's result."""

from __future__ import annotations

from datetime import timedelta

from signaling.vocabulary import Purpose
from tests.helpers.accounts import add_user, login
from tests.helpers.stored_calls import store_call

DEMO_CODES = ["purchased", "decide_later", "not_interested", "question_answered", "referred"]


def _agent(client, app):
    ana = add_user(app, "ana@shop.test", "agent", "Ana")
    headers = {"X-CSRF-Token": login(client, "ana@shop.test")}
    return ana, headers


def _put(client, call_id, outcome, headers):
    return client.put(
        f"/api/sessions/{call_id}/outcome", json={"outcome": outcome}, headers=headers
    )


def test_a_demo_call_takes_purchased_and_refuses_a_return_reason(client, app):
    ana, headers = _agent(client, app)
    demo = store_call(app, "ORD-D1", agent_id=ana, purpose=Purpose.PRODUCT_DEMO)
    refused = _put(client, demo, "damage", headers)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "outcome_wrong_purpose"
    assert "'damage'" in error["message"] and "product_demo" in error["message"]
    assert client.get(f"/api/sessions/{demo}").json()["outcome"] is None
    for code in DEMO_CODES:
        answer = _put(client, demo, code, headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcome"] == code


def test_a_damage_call_and_an_inspection_refuse_a_demo_result(client, app):
    ana, headers = _agent(client, app)
    for purpose in (Purpose.DAMAGE_VERIFICATION, Purpose.REMOTE_INSPECTION):
        call = store_call(app, f"ORD-{purpose}", agent_id=ana, purpose=purpose)
        refused = _put(client, call, "purchased", headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "outcome_wrong_purpose"
        assert _put(client, call, "damage", headers).status_code == 200


def test_a_supervisors_override_keeps_to_the_calls_purpose(client, app):
    ana, headers = _agent(client, app)
    demo = store_call(app, "ORD-D2", agent_id=ana, purpose=Purpose.PRODUCT_DEMO)
    assert _put(client, demo, "decide_later", headers).status_code == 200
    add_user(app, "sue@shop.test", "supervisor", "Sue")
    client.cookies.clear()
    sue = {"X-CSRF-Token": login(client, "sue@shop.test")}
    body = {"action": "override", "outcome": "defect", "reason": "it broke in the demo"}
    refused = client.post(f"/api/sessions/{demo}/review", json=body, headers=sue)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "outcome_wrong_purpose"
    body["outcome"] = "purchased"
    assert client.post(f"/api/sessions/{demo}/review", json=body, headers=sue).status_code == 200


def test_the_vocabulary_names_each_outcomes_purposes(client):
    body = client.get("/api/vocabulary").json()
    purposes = {t["code"]: t["purposes"] for t in body["outcomes"]}
    demo = [code for code, p in purposes.items() if p == ["product_demo"]]
    assert demo == DEMO_CODES
    assert purposes["damage"] == ["damage_verification", "remote_inspection"]
    categories = {c["code"]: c["purposes"] for c in body["outcome_categories"]}
    assert categories["demo_result"] == ["product_demo"]


def test_an_admins_new_demo_category_takes_demo_codes(client, app):
    ana, _ = _agent(client, app)
    add_user(app, "root@shop.test", "admin", "Root")
    client.cookies.clear()
    admin = {"X-CSRF-Token": login(client, "root@shop.test")}
    made = client.post(
        "/api/outcome-categories",
        json={"code": "follow_up", "label": "Follow-up", "purpose": "product_demo"},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    assert made.json()["purpose"] == "product_demo"
    code = client.post(
        "/api/outcome-codes",
        json={"code": "call_back", "label": "Call back", "category": "follow_up"},
        headers=admin,
    )
    assert code.status_code == 201, code.text
    demo = store_call(app, "ORD-D3", agent_id=ana, purpose=Purpose.PRODUCT_DEMO)
    damage = store_call(app, "ORD-X3", agent_id=ana)
    assert _put(client, demo, "call_back", admin).status_code == 200
    assert _put(client, damage, "call_back", admin).status_code == 422


def test_the_return_reasons_leave_out_demo_calls_unless_asked_for(client, app):
    ana, headers = _agent(client, app)
    demo = store_call(app, "ORD-D4", agent_id=ana, purpose=Purpose.PRODUCT_DEMO)
    damage = store_call(app, "ORD-X4", agent_id=ana)
    assert _put(client, demo, "purchased", headers).status_code == 200
    assert _put(client, damage, "damage", headers).status_code == 200
    add_user(app, "sue@shop.test", "supervisor", "Sue")
    client.cookies.clear()
    login(client, "sue@shop.test")
    now = app.state.clock.now()
    period = {
        "since": (now - timedelta(days=1)).isoformat(),
        "until": (now + timedelta(hours=1)).isoformat(),
    }
    for group_by in ("outcome", "category", "agent"):
        rows = client.get(
            "/api/analytics/outcomes", params={**period, "group_by": group_by}
        ).json()["rows"]
        counted = {code: n for r in rows for code, n in r["by_outcome"].items()}
        assert counted == {"damage": 1}, group_by
        assert sum(r["calls"] for r in rows) == 1, group_by
    rows = client.get(
        "/api/analytics/outcomes",
        params={**period, "group_by": "outcome", "purpose": "product_demo"},
    ).json()["rows"]
    assert [(r["key"], r["calls"]) for r in rows] == [("purchased", 1)]
