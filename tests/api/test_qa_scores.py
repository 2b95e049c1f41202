"""QA scores: the shipped rubric; admins add, change, reorder and retire criteria
(audited); supervisors score an ended, answered call (one score each, updated in place)
and comment at a time of its review video; every field is checked; old totals never move
when the rubric changes; an agent reads only their own calls' scores; the analytics'
figures per agent equal the mean of the stored totals."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from server.accounts.apikeys import create_api_key
from server.db.migrate import alembic_config, upgrade
from server.models import Call, Recording
from signaling.vocabulary import CallState, Purpose
from tests.helpers.accounts import add_user, login
from tests.helpers.stored_calls import LENGTH_S, WAITED_S, store_call

VIDEO_MS = LENGTH_S * 1000


def _as(client, email):
    client.cookies.clear()
    return {"X-CSRF-Token": login(client, email)}


def _review_file(app, call_id: str) -> None:
    """A ready review recording row (the API reads its length, not the file)."""
    with Session(app.state.engine) as db:
        db.add(
            Recording(
                call_id=call_id,
                kind="review",
                storage_key=f"calls/{call_id}/review.webm",
                content_type="video/webm",
                state="ready",
                progress=100,
                start_offset_ms=WAITED_S * 1000,
                duration_ms=VIDEO_MS,
                created_at=app.state.clock.now(),
            )
        )
        db.commit()


def _people(app):
    return {
        "ana": add_user(app, "ana@shop.test", "agent", "Ana"),
        "bo": add_user(app, "bo@shop.test", "agent", "Bo"),
        "sue": add_user(app, "sue@shop.test", "supervisor", "Sue"),
        "sam": add_user(app, "sam@shop.test", "supervisor", "Sam"),
        "root": add_user(app, "root@shop.test", "admin", "Root"),
    }


def _rubric(client):
    return client.get("/api/qa/rubric").json()["criteria"]


def _full_marks(criteria, **override):
    return {
        "items": [
            {
                "criterion_id": c["id"],
                "value": override.get(c["label"], 1 if c["scale"] == "pass_fail" else c["points"]),
            }
            for c in criteria
            if c["retired_at"] is None
        ]
    }


def test_the_shipped_rubric_has_four_weighted_criteria(client, app):
    _people(app)
    _as(client, "ana@shop.test")
    criteria = _rubric(client)
    assert [(c["label"], c["scale"], c["points"], c["weight"]) for c in criteria] == [
        ("Asked for the right shots", "points", 5, 3),
        ("Correct verdict", "pass_fail", None, 4),
        ("Policy followed", "pass_fail", None, 3),
        ("Tone with the buyer", "points", 5, 2),
    ]
    assert all(c["retired_at"] is None and c["hint"] for c in criteria)


def test_admins_add_change_reorder_and_retire_criteria_and_each_change_is_audited(client, app):
    _people(app)
    sup = _as(client, "sue@shop.test")
    body = {"label": "Greeting", "scale": "pass_fail", "weight": 1}
    assert client.post("/api/qa/criteria", json=body, headers=sup).status_code == 403
    admin = _as(client, "root@shop.test")
    added = client.post("/api/qa/criteria", json=body, headers=admin)
    assert added.status_code == 201, added.text
    new = added.json()
    assert (new["label"], new["scale"], new["points"], new["position"]) == (
        "Greeting",
        "pass_fail",
        None,
        4,
    )
    changed = client.patch(
        f"/api/qa/criteria/{new['id']}",
        json={"label": "Greeted the buyer", "scale": "points", "points": 3, "weight": 5},
        headers=admin,
    ).json()
    assert (changed["label"], changed["scale"], changed["points"], changed["weight"]) == (
        "Greeted the buyer",
        "points",
        3,
        5,
    )
    ids = [c["id"] for c in _rubric(client)]
    order = [ids[-1], *ids[:-1]]
    moved = client.put("/api/qa/rubric/order", json={"ids": order}, headers=admin)
    assert [c["id"] for c in moved.json()["criteria"]] == order
    short = client.put("/api/qa/rubric/order", json={"ids": order[:-1]}, headers=admin)
    assert short.status_code == 422 and "every criterion" in short.json()["error"]["message"]
    retired = client.patch(f"/api/qa/criteria/{new['id']}", json={"retired": True}, headers=admin)
    assert retired.json()["retired_at"] is not None
    audit = client.get("/api/audit", params={"action": "qa_rubric_changed"}).json()
    changes = [e["detail"]["change"] for e in audit["items"]]
    assert changes == [
        "criterion_changed",
        "rubric_reordered",
        "criterion_changed",
        "criterion_added",
    ]


def test_criteria_fields_are_checked(client, app):
    _people(app)
    admin = _as(client, "root@shop.test")
    for body, words in [
        ({"label": "x", "scale": "points", "weight": 1}, "needs its top"),
        ({"label": "x", "scale": "pass_fail", "points": 5, "weight": 1}, "has no points"),
        ({"label": "x", "scale": "points", "points": 11, "weight": 1}, "points"),
        ({"label": "x", "scale": "points", "points": 5, "weight": 0}, "weight"),
        ({"label": "bad\x07label", "scale": "pass_fail", "weight": 1}, "control characters"),
        ({"label": "x", "scale": "stars", "weight": 1}, "scale"),
    ]:
        answer = client.post("/api/qa/criteria", json=body, headers=admin)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["code"] == "validation_error"
        assert words.lower() in answer.json()["error"]["message"].lower(), (body, answer.json())
    missing = client.patch("/api/qa/criteria/9999", json={"weight": 2}, headers=admin)
    assert missing.status_code == 404


def test_a_supervisor_scores_a_call_once_and_updates_it_and_agents_cannot_score(client, app):
    people = _people(app)
    call = store_call(app, "ORD-QA-1", agent_id=people["ana"])
    agent = _as(client, "ana@shop.test")
    criteria = _rubric(client)
    assert (
        client.put(f"/api/sessions/{call}/qa/score", json=_full_marks(criteria), headers=agent)
    ).status_code == 403
    sup = _as(client, "sue@shop.test")
    first = client.put(f"/api/sessions/{call}/qa/score", json=_full_marks(criteria), headers=sup)
    assert first.status_code == 200, first.text
    assert first.json()["total_pct"] == 100.0 and first.json()["agent_id"] == people["ana"]
    # shots 4 of 5 (0.75), verdict pass, policy fail, tone 1 of 5 (0): (3*.75+4)/12
    marks = _full_marks(
        criteria, **{"Asked for the right shots": 4, "Policy followed": 0, "Tone with the buyer": 1}
    )
    second = client.put(f"/api/sessions/{call}/qa/score", json=marks, headers=sup).json()
    assert second["id"] == first.json()["id"]
    assert second["total_pct"] == round(100 * (3 * 0.75 + 4) / 12, 1)
    sam = _as(client, "sam@shop.test")
    client.put(f"/api/sessions/{call}/qa/score", json=_full_marks(criteria), headers=sam)
    scores = client.get(f"/api/sessions/{call}/qa").json()["scores"]
    assert sorted((s["reviewer_name"], s["total_pct"]) for s in scores) == [
        ("Sam", 100.0),
        ("Sue", second["total_pct"]),
    ]


def test_every_score_value_is_checked_against_its_criterion(client, app):
    people = _people(app)
    call = store_call(app, "ORD-QA-2", agent_id=people["ana"])
    sup = _as(client, "sue@shop.test")
    criteria = _rubric(client)
    shots, verdict = criteria[0]["id"], criteria[1]["id"]
    url = f"/api/sessions/{call}/qa/score"
    good = _full_marks(criteria)["items"]
    cases = [
        ([{**good[0], "value": 6}, *good[1:]], "scored 1 to 5, not 6"),
        ([{**good[0], "value": 0}, *good[1:]], "scored 1 to 5, not 0"),
        ([good[0], {"criterion_id": verdict, "value": 2}, *good[2:]], "pass/fail"),
        (good[1:], "missing ['Asked for the right shots']"),
        ([*good, {"criterion_id": shots, "value": 3}], "given twice"),
        ([*good, {"criterion_id": 9999, "value": 1}], "no QA criterion 9999"),
        ([{**good[0], "value": -1}, *good[1:]], "value"),
    ]
    for items, words in cases:
        answer = client.put(url, json={"items": items}, headers=sup)
        assert answer.status_code == 422, (items, answer.text)
        assert words.lower() in answer.json()["error"]["message"].lower(), (words, answer.json())
    assert client.put(url, json={"items": []}, headers=sup).status_code == 422
    waiting = store_call(app, "ORD-QA-3", agent_id=None)
    refused = client.put(f"/api/sessions/{waiting}/qa/score", json={"items": good}, headers=sup)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_scorable"
    with Session(app.state.engine) as db:
        row = db.get(Call, call)
        row.state = CallState.LIVE
        db.add(row)
        db.commit()
    live = client.put(url, json={"items": good}, headers=sup)
    assert live.status_code == 409


def test_changing_the_rubric_never_moves_an_old_total_and_a_retired_criterion_stays(client, app):
    people = _people(app)
    call = store_call(app, "ORD-QA-4", agent_id=people["ana"])
    sup = _as(client, "sue@shop.test")
    criteria = _rubric(client)
    marks = _full_marks(criteria, **{"Policy followed": 0})
    given = client.put(f"/api/sessions/{call}/qa/score", json=marks, headers=sup).json()
    assert given["total_pct"] == round(100 * 9 / 12, 1)
    admin = _as(client, "root@shop.test")
    policy = criteria[2]["id"]
    client.patch(f"/api/qa/criteria/{policy}", json={"weight": 50}, headers=admin)
    client.patch(f"/api/qa/criteria/{criteria[3]['id']}", json={"retired": True}, headers=admin)
    _as(client, "sue@shop.test")
    after = client.get(f"/api/sessions/{call}/qa").json()["scores"][0]
    assert after["total_pct"] == given["total_pct"]
    assert [(i["label"], i["weight"], i["retired"]) for i in after["items"]][2:] == [
        ("Policy followed", 3, False),
        ("Tone with the buyer", 2, True),
    ]
    # a new score is not given the retired criterion; an update keeps it as it was
    other = store_call(app, "ORD-QA-5", agent_id=people["ana"])
    sup = _as(client, "sue@shop.test")
    tone = {"criterion_id": criteria[3]["id"], "value": 5}
    active = _full_marks(_rubric(client))
    refused = client.put(
        f"/api/sessions/{other}/qa/score",
        json={"items": [*active["items"], tone]},
        headers=sup,
    )
    assert refused.status_code == 422 and "retired" in refused.json()["error"]["message"]
    updated = client.put(f"/api/sessions/{call}/qa/score", json=active, headers=sup).json()
    weights = {i["label"]: i["weight"] for i in updated["items"]}
    assert weights == {
        "Asked for the right shots": 3,
        "Correct verdict": 4,
        "Policy followed": 50,
        "Tone with the buyer": 2,
    }
    assert updated["total_pct"] == 100.0


def test_comments_sit_at_a_time_of_the_video_and_every_field_is_checked(client, app):
    people = _people(app)
    call = store_call(app, "ORD-QA-6", agent_id=people["ana"])
    url = f"/api/sessions/{call}/qa/comments"
    sup = _as(client, "sue@shop.test")
    none = client.post(url, json={"video_ms": 0, "text": "Hello"}, headers=sup)
    assert none.status_code == 409 and none.json()["error"]["code"] == "no_recording"
    _review_file(app, call)
    for body, words in [
        ({"video_ms": VIDEO_MS + 1, "text": "late"}, "past the end of the recording"),
        ({"video_ms": -1, "text": "early"}, "video ms must be greater than or equal to 0"),
        ({"video_ms": 10, "text": "   "}, "empty"),
        ({"video_ms": 10, "text": "bell\x07"}, "control characters"),
        ({"video_ms": 10, "text": "x" * 1001}, "text"),
        ({"video_ms": 10}, "text"),
    ]:
        answer = client.post(url, json=body, headers=sup)
        assert answer.status_code == 422, (body, answer.text)
        assert words.lower() in answer.json()["error"]["message"].lower(), (words, answer.json())
    later = client.post(url, json={"video_ms": 42_000, "text": "Ask for the label"}, headers=sup)
    assert later.status_code == 201, later.text
    client.post(url, json={"video_ms": VIDEO_MS, "text": "Good close.\nThanks"}, headers=sup)
    client.post(url, json={"video_ms": 7_000, "text": "Nice greeting"}, headers=sup)
    comments = client.get(f"/api/sessions/{call}/qa").json()["comments"]
    assert [(c["video_ms"], c["author_name"]) for c in comments] == [
        (7_000, "Sue"),
        (42_000, "Sue"),
        (VIDEO_MS, "Sue"),
    ]
    sam = _as(client, "sam@shop.test")
    mine = later.json()["id"]
    assert client.delete(f"{url}/{mine}", headers=sam).status_code == 403
    sup = _as(client, "sue@shop.test")
    assert client.delete(f"{url}/{mine}", headers=sup).status_code == 204
    assert client.delete(f"{url}/{mine}", headers=sup).status_code == 404
    admin = _as(client, "root@shop.test")
    assert client.delete(f"{url}/{comments[0]['id']}", headers=admin).status_code == 204
    assert len(client.get(f"/api/sessions/{call}/qa").json()["comments"]) == 1


def test_an_agent_reads_only_their_own_calls_scores_and_comments(client, app):
    people = _people(app)
    anas = store_call(app, "ORD-QA-7", agent_id=people["ana"])
    bos = store_call(app, "ORD-QA-8", agent_id=people["bo"])
    store_call(app, "ORD-QA-9", agent_id=people["ana"])  # never scored: not listed
    for call in (anas, bos):
        _review_file(app, call)
    sup = _as(client, "sue@shop.test")
    marks = _full_marks(_rubric(client))
    for call in (anas, bos):
        client.put(f"/api/sessions/{call}/qa/score", json=marks, headers=sup)
        client.post(
            f"/api/sessions/{call}/qa/comments",
            json={"video_ms": 5000, "text": f"note on {call}"},
            headers=sup,
        )
    _as(client, "ana@shop.test")
    own = client.get("/api/qa/calls").json()
    assert [i["call_id"] for i in own["items"]] == [anas] and own["total"] == 1
    item = own["items"][0]
    assert item["scores"][0]["total_pct"] == 100.0
    assert item["comments"][0]["text"] == f"note on {anas}"
    assert item["recording_url"] == f"/api/sessions/{anas}/recording"
    assert client.get(f"/api/sessions/{anas}/qa").status_code == 200
    assert client.get(f"/api/sessions/{bos}/qa").status_code == 404
    assert client.get("/api/qa/calls", params={"agent_id": people["bo"]}).status_code == 404
    assert client.get("/api/qa/calls", params={"agent_id": people["ana"]}).status_code == 200
    _as(client, "sue@shop.test")
    bo = client.get("/api/qa/calls", params={"agent_id": people["bo"]}).json()
    assert [i["call_id"] for i in bo["items"]] == [bos]
    assert client.get("/api/qa/calls").json()["total"] == 2
    with Session(app.state.engine) as db:
        _, key = create_api_key(db, "bi", app.state.clock.now(), scopes=["calls:read"])
    client.cookies.clear()
    keyed = client.get(f"/api/sessions/{anas}/qa", headers={"Authorization": f"Bearer {key}"})
    assert keyed.status_code == 403


def test_the_qa_figures_per_agent_are_the_means_of_the_stored_totals(client, app):
    people = _people(app)
    now = app.state.clock.now()
    calls = [
        (store_call(app, f"ORD-QF-{n}", agent_id=people[who], age_s=age), who)
        for n, (who, age) in enumerate([("ana", 3600), ("ana", 8 * 86400), ("bo", 7200)])
    ]
    sup = _as(client, "sue@shop.test")
    criteria = _rubric(client)
    totals = {}
    for n, (call, who) in enumerate(calls):
        marks = _full_marks(criteria, **{"Policy followed": n % 2})
        got = client.put(f"/api/sessions/{call}/qa/score", json=marks, headers=sup).json()
        totals.setdefault(who, []).append(got["total_pct"])
    sam = _as(client, "sam@shop.test")
    got = client.put(
        f"/api/sessions/{calls[0][0]}/qa/score",
        json=_full_marks(criteria, **{"Correct verdict": 0}),
        headers=sam,
    ).json()
    totals["ana"].append(got["total_pct"])
    period = {
        "since": (now - timedelta(days=30)).isoformat(),
        "until": (now + timedelta(days=1)).isoformat(),
    }
    answer = client.get("/api/analytics/qa", params=period)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    agents = {r["agent_name"]: (r["scores"], r["mean_pct"]) for r in body["agents"]}
    assert agents == {
        who.title(): (len(values), round(sum(values) / len(values), 1))
        for who, values in totals.items()
    }
    assert sum(r["scores"] for r in body["rows"]) == 4
    assert {r["agent_name"] for r in body["rows"]} == {"Ana", "Bo"}
    assert len([r for r in body["rows"] if r["agent_name"] == "Ana"]) in (2, 3)
    only_bo = client.get("/api/analytics/qa", params={**period, "agent": people["bo"]}).json()
    assert [r["agent_name"] for r in only_bo["agents"]] == ["Bo"]
    bad = client.get("/api/analytics/qa", params={**period, "tz": "Mars/Olympus"})
    assert bad.status_code == 422
    _as(client, "ana@shop.test")
    assert client.get("/api/analytics/qa", params=period).status_code == 403
    with Session(app.state.engine) as db:
        _, reader = create_api_key(db, "bi", app.state.clock.now(), scopes=["calls:read"])
        _, writer = create_api_key(db, "w", app.state.clock.now(), scopes=["links:write"])
    client.cookies.clear()
    ok = client.get(
        "/api/analytics/qa", params=period, headers={"Authorization": f"Bearer {reader}"}
    )
    assert ok.status_code == 200
    no = client.get(
        "/api/analytics/qa", params=period, headers={"Authorization": f"Bearer {writer}"}
    )
    assert no.status_code == 403 and no.json()["error"]["code"] == "missing_scope"


def test_the_qa_figures_follow_the_period_and_every_filter_of_the_page(client, app):
    people = _people(app)
    now = app.state.clock.now()
    # (agent, purpose, carrier, age): each call scored once, its total kept below
    made = [
        ("ana", Purpose.DAMAGE_VERIFICATION, "ups", 3600),
        ("ana", Purpose.PRODUCT_DEMO, "ups", 7200),
        ("ana", Purpose.PRODUCT_DEMO, "dhl", 9000),
        ("bo", Purpose.REMOTE_INSPECTION, "dhl", 5400),
        ("bo", Purpose.PRODUCT_DEMO, None, 40 * 86400),  # before the period
    ]
    calls = []
    for n, (who, purpose, carrier, age) in enumerate(made):
        call_id = store_call(app, f"ORD-QP-{n}", agent_id=people[who], age_s=age, purpose=purpose)
        with Session(app.state.engine) as db:
            row = db.get(Call, call_id)
            row.carrier_key = carrier
            db.add(row)
            db.commit()
        calls.append(call_id)
    sup = _as(client, "sue@shop.test")
    criteria = _rubric(client)
    totals = []
    for n, call_id in enumerate(calls):
        marks = _full_marks(criteria, **{"Policy followed": n % 2, "Correct verdict": n // 2 % 2})
        got = client.put(f"/api/sessions/{call_id}/qa/score", json=marks, headers=sup).json()
        totals.append(got["total_pct"])
    period = {
        "since": (now - timedelta(days=30)).isoformat(),
        "until": (now + timedelta(days=1)).isoformat(),
    }

    def expected(keep) -> dict:
        found: dict = {}
        for (who, purpose, carrier, age), total in zip(made, totals, strict=True):
            if age < 30 * 86400 and keep(who, purpose, carrier):
                found.setdefault(who.title(), []).append(total)
        return {k: (len(v), round(sum(v) / len(v), 1)) for k, v in found.items()}

    cases = [
        ({}, lambda w, p, c: True),
        ({"purpose": "product_demo"}, lambda w, p, c: p == Purpose.PRODUCT_DEMO),
        ({"purpose": "damage_verification"}, lambda w, p, c: p == Purpose.DAMAGE_VERIFICATION),
        ({"agent": people["bo"]}, lambda w, p, c: w == "bo"),
        ({"carrier": "UPS"}, lambda w, p, c: c == "ups"),
        (
            {"carrier": "dhl", "purpose": "product_demo"},
            lambda w, p, c: (c, p) == ("dhl", "product_demo"),
        ),
    ]
    for params, keep in cases:
        body = client.get("/api/analytics/qa", params={**period, **params}).json()
        got = {r["agent_name"]: (r["scores"], r["mean_pct"]) for r in body["agents"]}
        assert got == expected(keep), params
        assert sum(r["scores"] for r in body["rows"]) == sum(n for n, _ in got.values())


def test_the_migration_goes_down_and_up_again_with_the_shipped_rubric(client, app):
    url = app.state.settings.db_url
    app.state.engine.dispose()
    command.downgrade(alembic_config(url), "0015")
    engine = sa.create_engine(url)
    assert "qa_score" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    upgrade(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        labels = conn.execute(sa.text("SELECT label FROM qa_criterion ORDER BY position")).all()
    engine.dispose()
    assert [r[0] for r in labels][:2] == ["Asked for the right shots", "Correct verdict"]


def test_erasing_an_order_deletes_its_calls_qa_comments_and_keeps_the_scores(client, app):
    people = _people(app)
    call = store_call(app, "ORD-QA-ERASE", agent_id=people["ana"])
    other = store_call(app, "ORD-QA-KEEP", agent_id=people["ana"])
    for call_id in (call, other):
        _review_file(app, call_id)
    sup = _as(client, "sue@shop.test")
    for call_id in (call, other):
        url = f"/api/sessions/{call_id}/qa/comments"
        said = client.post(url, json={"video_ms": 5_000, "text": "Buyer Ana Dias"}, headers=sup)
        assert said.status_code == 201, said.text
        scored = client.put(
            f"/api/sessions/{call_id}/qa/score", json=_full_marks(_rubric(client)), headers=sup
        )
        assert scored.status_code == 200, scored.text
    admin = _as(client, "root@shop.test")
    erased = client.post("/api/erasures", json={"order_ref": "ORD-QA-ERASE"}, headers=admin)
    assert erased.status_code == 200, erased.text
    gone = client.get(f"/api/sessions/{call}/qa").json()
    assert gone["comments"] == [] and gone["scores"], gone
    kept = client.get(f"/api/sessions/{other}/qa").json()
    assert [c["text"] for c in kept["comments"]] == ["Buyer Ana Dias"] and kept["scores"]
