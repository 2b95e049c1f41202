"""/api/sessions: the review list and its filters, one call, the verdict and its review,
recordings with range requests, and who may see what (with the audit log)."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta

import av
import numpy as np
import pytest
from sqlmodel import Session, select

from server.models import AuditEntry, Call, CallEvent, OutcomeChange
from server.models.evidence import Photo, Recording
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.people import Person, buyer, staff

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


# ------------------------------------------------------------------ helpers


def make_call(
    app,
    *,
    agent_id: int | None,
    order_ref: str = "ORD-1",
    purpose: str = "damage_verification",
    outcome: str | None = None,
    decision: str | None = None,
    created_at: datetime = T0,
    state: str = "ended",
    link_id: int | None = None,
) -> str:
    """A stored call (no live call behind it), answered when it has an agent."""
    if link_id is None:
        link_id = make_link(app, order_ref, purpose)[0].id
    call_id = f"call{next(_ids):04d}"
    with Session(app.state.engine) as db:
        db.add(
            Call(
                id=call_id,
                link_id=link_id,
                order_ref=order_ref,
                purpose=purpose,
                state=state,
                agent_id=agent_id,
                created_at=created_at,
                answered_at=created_at + timedelta(seconds=5) if agent_id else None,
                ended_at=created_at + timedelta(seconds=65) if state == "ended" else None,
                end_reason="agent_ended" if state == "ended" else None,
                outcome=outcome,
                decision=decision,
            )
        )
        db.commit()
    return call_id


def webm_bytes(frames: int = 30, size: int = 64) -> bytes:
    """A small VP8 WebM (one second at 30 fps)."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=30)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for n in range(frames):
            pixels = np.full((size, size, 3), (n * 8) % 256, np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = n
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def add_recording(
    app, call_id: str, kind: str = "review", state: str = "ready", data: bytes | None = None
) -> int:
    storage = app.state.storage
    key = f"calls/{call_id}/{kind}-{next(_ids)}.webm"
    if data is not None:
        storage.path_for_writing(key).write_bytes(data)
        storage.commit(key)
    with Session(app.state.engine) as db:
        row = Recording(
            call_id=call_id,
            kind=kind,
            track="buyer_video" if kind == "track" else None,
            storage_key=key,
            content_type="video/webm",
            codec="vp8",
            state=state,
            progress=100 if state == "ready" else 40,
            size_bytes=len(data) if data else None,
            created_at=T0,
        )
        db.add(row)
        db.commit()
        db.refresh(row)
        return row.id


def add_photo(app, call_id: str, data: bytes | None = None) -> int:
    data = data or image_bytes("mjpeg")
    key = f"calls/{call_id}/photos/p{next(_ids)}.jpg"
    app.state.storage.path_for_writing(key).write_bytes(data)
    with Session(app.state.engine) as db:
        row = Photo(
            call_id=call_id,
            storage_key=key,
            content_type="image/jpeg",
            size_bytes=len(data),
            width=96,
            height=64,
            sha256="0" * 64,
            t_ms=1000,
            created_at=T0,
        )
        db.add(row)
        db.commit()
        db.refresh(row)
        return row.id


@pytest.fixture
def team(app, client):
    """An agent (ann), another agent (bob), a supervisor (sue), an admin (ada), nobody."""
    ann, ann_id = staff(client, app, "ann@shop.test", "agent", "Ann Agent")
    bob, bob_id = staff(client, app, "bob@shop.test", "agent", "Bob Agent")
    sue, _ = staff(client, app, "sue@shop.test", "supervisor", "Sue Supervisor")
    ada, _ = staff(client, app, "ada@shop.test", "admin", "Ada Admin")
    nobody = Person(client, {})
    return {
        "ann": ann,
        "ann_id": ann_id,
        "bob": bob,
        "bob_id": bob_id,
        "sue": sue,
        "ada": ada,
        "nobody": nobody,
    }


# ------------------------------------------------------------------ the list


def test_list_filters_counts_and_pagination(app, team):
    ann_id, bob_id = team["ann_id"], team["bob_id"]
    make_call(app, agent_id=ann_id, order_ref="ORD-7", outcome="damage", decision="refund")
    make_call(
        app,
        agent_id=ann_id,
        outcome="damage",
        decision="replace",
        created_at=T0 + timedelta(days=1),
    )
    make_call(
        app, agent_id=bob_id, outcome="defect", decision="repair", created_at=T0 + timedelta(days=2)
    )
    make_call(app, agent_id=bob_id, purpose="product_demo", created_at=T0 + timedelta(days=3))
    make_call(app, agent_id=None, state="waiting", created_at=T0 + timedelta(days=4))
    make_call(app, agent_id=None, created_at=T0 + timedelta(days=5))  # declined: nothing to tag
    sue = team["sue"]

    everything = sue.get("/api/sessions").json()
    assert everything["total"] == 6
    assert [i["created_at"][:10] for i in everything["items"]] == [
        "2026-03-07", "2026-03-06", "2026-03-05", "2026-03-04", "2026-03-03", "2026-03-02"
    ]  # fmt: skip
    assert everything["counts"]["damage"] == 2 and everything["counts"]["defect"] == 1
    assert everything["counts"]["untagged"] == 1  # ended without an outcome; waiting is not
    assert everything["items"][2]["agent_name"] == "Bob Agent"

    damage = sue.get("/api/sessions", params={"outcome": "damage"}).json()
    assert damage["total"] == 2 and {i["outcome"] for i in damage["items"]} == {"damage"}
    assert damage["counts"]["defect"] == 1  # counts ignore the outcome filter itself

    def total(**params) -> int:
        answer = sue.get("/api/sessions", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()["total"]

    assert total(decision="refund") == 1
    assert total(purpose="product_demo") == 1
    assert total(agent_id=ann_id) == 2
    assert total(order_ref="ORD-7") == 1
    assert total(untagged="true") == 1
    assert total(since="2026-03-03T00:00:00Z") == 5
    assert total(until="2026-03-03") == 1  # naive: UTC
    assert total(since="2026-03-03", until="2026-03-05", agent_id=bob_id) == 1
    assert total(agent_id=ann_id, outcome="damage") == 2

    first = sue.get("/api/sessions", params={"per_page": 2, "page": 1}).json()
    third = sue.get("/api/sessions", params={"per_page": 4, "page": 2}).json()
    assert len(first["items"]) == 2 and len(third["items"]) == 2 and third["total"] == 6
    assert first["per_page"] == 2 and third["page"] == 2


def test_list_refuses_bad_filters_and_agents(app, team):
    sue = team["sue"]
    for params in (
        {"outcome": "lost"},
        {"decision": "maybe"},
        {"purpose": "chat"},
        {"per_page": 1000},
        {"page": 0},
        {"since": "yesterday"},
        {"since": "0001-01-01T00:00:00+01:00"},  # year 0 in UTC: out of range, not a 500
        {"until": "9999-12-31T23:59:59-01:00"},  # year 10000 in UTC
        {"since": "2026-03-03T00:00:00Z", "until": "9999-12-31T23:59:59-23:59"},
    ):
        answer = sue.get("/api/sessions", params=params)
        assert answer.status_code == 422, params
        assert answer.json()["error"]["code"] == "validation_error"
    out_of_range = sue.get("/api/sessions", params={"until": "9999-12-31T23:59:59-01:00"})
    assert "until" in out_of_range.json()["error"]["message"]
    assert "out of range" in out_of_range.json()["error"]["message"]
    edges = {"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59+01:00"}
    assert sue.get("/api/sessions", params=edges).status_code == 200
    assert team["ann"].get("/api/sessions").status_code == 403
    assert team["nobody"].get("/api/sessions").status_code == 401
    assert team["ada"].get("/api/sessions").status_code == 200


# ------------------------------------------------------------------ one call, the verdict


def test_agent_sets_the_outcome_and_every_change_is_kept(app, team):
    call_id = make_call(app, agent_id=team["ann_id"])
    ann = team["ann"]
    first = ann.put(
        f"/api/sessions/{call_id}/outcome",
        json={"outcome": "damage", "decision": "refund", "note": "Corner crushed"},
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["outcome"], body["decision"], body["outcome_note"]) == (
        "damage",
        "refund",
        "Corner crushed",
    )
    app.state.clock.advance(60)
    second = ann.put(
        f"/api/sessions/{call_id}/outcome", json={"outcome": "defect", "decision": "replace"}
    )
    assert second.status_code == 200
    history = second.json()["outcome_history"]
    assert [(h["action"], h["outcome"], h["decision"]) for h in history] == [
        ("set", "damage", "refund"),
        ("set", "defect", "replace"),
    ]
    assert history[0]["by_name"] == "Ann Agent" and history[1]["at"] > history[0]["at"]
    kinds = [e["kind"] for e in second.json()["events"]]
    assert kinds.count("outcome") == 2
    with Session(app.state.engine) as db:
        events = db.exec(select(CallEvent).where(CallEvent.kind == "outcome")).all()
        assert all(e.t_ms >= 0 for e in events) and events[0].data["outcome"] == "damage"

    # an admin may set it too; a supervisor reviews instead; another agent sees nothing
    assert (
        team["ada"].put(f"/api/sessions/{call_id}/outcome", json={"outcome": "misuse"}).status_code
        == 200
    )
    assert (
        team["sue"].put(f"/api/sessions/{call_id}/outcome", json={"outcome": "misuse"}).status_code
        == 403
    )
    assert (
        team["bob"].put(f"/api/sessions/{call_id}/outcome", json={"outcome": "misuse"}).status_code
        == 404
    )
    assert (
        team["nobody"]
        .put(f"/api/sessions/{call_id}/outcome", json={"outcome": "misuse"})
        .status_code
        == 401
    )
    assert (
        team["ann"].put("/api/sessions/nope/outcome", json={"outcome": "misuse"}).status_code == 404
    )


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "lost_in_post", "decision": "refund"},
        {"outcome": "damage", "decision": "discount"},
        {"outcome": "DAMAGE"},
        {"decision": "refund"},
        {"outcome": "damage", "note": "x" * 2001},
        {"outcome": "damage", "colour": "red"},
    ],
)
def test_outcome_values_outside_the_taxonomy_are_422(app, team, body):
    call_id = make_call(app, agent_id=team["ann_id"])
    answer = team["ann"].put(f"/api/sessions/{call_id}/outcome", json=body)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "validation_error"


def test_outcome_needs_csrf(app, team):
    call_id = make_call(app, agent_id=team["ann_id"])
    ann = team["ann"]
    saved, ann.csrf = ann.csrf, None
    try:
        assert (
            ann.put(f"/api/sessions/{call_id}/outcome", json={"outcome": "damage"}).status_code
            == 403
        )
    finally:
        ann.csrf = saved


def test_supervisor_confirms_or_overrides_with_a_reason(app, team):
    call_id = make_call(app, agent_id=team["ann_id"], outcome="damage", decision="refund")
    sue = team["sue"]
    confirmed = sue.post(f"/api/sessions/{call_id}/review", json={"action": "confirm"})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["review_state"] == "confirmed"

    no_reason = sue.post(
        f"/api/sessions/{call_id}/review", json={"action": "override", "outcome": "misuse"}
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["message"]
    blank = sue.post(
        f"/api/sessions/{call_id}/review",
        json={"action": "override", "outcome": "misuse", "reason": "   "},
    )
    assert blank.status_code == 422
    bad = sue.post(
        f"/api/sessions/{call_id}/review",
        json={"action": "override", "outcome": "stolen", "reason": "x"},
    )
    assert bad.status_code == 422
    assert sue.post(f"/api/sessions/{call_id}/review", json={"action": "ignore"}).status_code == 422

    overridden = sue.post(
        f"/api/sessions/{call_id}/review",
        json={
            "action": "override",
            "outcome": "misuse",
            "decision": "reject",
            "reason": "The video shows the box was opened with a knife.",
        },
    )
    assert overridden.status_code == 200
    body = overridden.json()
    assert (body["outcome"], body["decision"], body["review_state"]) == (
        "misuse",
        "reject",
        "overridden",
    )
    assert [(h["action"], h["outcome"], h["reason"]) for h in body["outcome_history"]] == [
        ("confirm", "damage", None),
        ("override", "misuse", "The video shows the box was opened with a knife."),
    ]
    assert body["outcome_history"][1]["by_name"] == "Sue Supervisor"
    assert (
        team["ann"].post(f"/api/sessions/{call_id}/review", json={"action": "confirm"}).status_code
        == 403
    )
    with Session(app.state.engine) as db:
        assert len(db.exec(select(OutcomeChange)).all()) == 2

    untagged = make_call(app, agent_id=team["ann_id"])
    nothing = sue.post(f"/api/sessions/{untagged}/review", json={"action": "confirm"})
    assert nothing.status_code == 409


def test_call_detail_has_events_photos_recordings_history_and_chat(app, team):
    call_id = make_call(app, agent_id=team["ann_id"], outcome="damage")
    with Session(app.state.engine) as db:
        for kind, t_ms, data in [
            ("answered", 5000, {}),
            ("chat", 7000, {"from": "buyer", "name": "Bo", "text": "The corner is crushed."}),
            ("photo", 9000, {"photo_id": 1, "width": 1280, "height": 720}),
            ("ended", 65000, {"reason": "agent_ended"}),
        ]:
            db.add(CallEvent(call_id=call_id, kind=kind, t_ms=t_ms, at=T0, data=data))
        db.commit()
    photo_id = add_photo(app, call_id)
    rec_id = add_recording(app, call_id, "review", "finalizing")
    answer = team["sue"].get(f"/api/sessions/{call_id}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [e["kind"] for e in body["events"]] == ["answered", "chat", "photo", "ended"]
    assert body["chat"] == [
        {
            "t_ms": 7000,
            "at": body["chat"][0]["at"],
            "from": "buyer",
            "name": "Bo",
            "text": "The corner is crushed.",
            "phrase_id": None,
            "buyer_text": None,
            "buyer_locale": None,
            "card": None,
        }
    ]
    assert body["photos"][0]["id"] == photo_id
    assert body["photos"][0]["url"] == f"/api/sessions/{call_id}/photos/{photo_id}"
    assert body["review_recording"]["id"] == rec_id
    assert body["review_recording"]["state"] == "finalizing"
    assert body["review_recording"]["progress"] == 40
    assert team["ann"].get(f"/api/sessions/{call_id}").status_code == 200  # own agent
    assert team["bob"].get(f"/api/sessions/{call_id}").status_code == 404
    assert team["nobody"].get(f"/api/sessions/{call_id}").status_code == 401
    # still being made: the player is told to wait
    waiting = team["sue"].get(f"/api/sessions/{call_id}/recording")
    assert waiting.status_code == 409 and waiting.json()["error"]["code"] == "not_ready"


def test_caption_by_the_calls_agent(app, team):
    call_id = make_call(app, agent_id=team["ann_id"])
    photo_id = add_photo(app, call_id)
    url = f"/api/sessions/{call_id}/photos/{photo_id}"
    answer = team["ann"].patch(url, json={"caption": "Crushed corner, front left"})
    assert answer.status_code == 200 and answer.json()["caption"] == "Crushed corner, front left"
    assert team["bob"].patch(url, json={"caption": "x"}).status_code == 404
    assert team["sue"].patch(url, json={"caption": "x"}).status_code == 403
    assert team["ann"].patch(url, json={"caption": "x" * 501}).status_code == 422
    assert team["ann"].patch(url, json={"caption": None}).json()["caption"] is None


# ------------------------------------------------------------------ access and audit


def audit_rows(app) -> list[AuditEntry]:
    with Session(app.state.engine) as db:
        return list(db.exec(select(AuditEntry).order_by(AuditEntry.id)).all())


def test_recordings_and_photos_only_for_supervisors_admins_and_the_own_agent(app, client, team):
    link, url = make_link(app, "ORD-ACL")
    call_id = make_call(app, agent_id=team["ann_id"], link_id=link.id)
    other_call = make_call(app, agent_id=team["bob_id"])
    photo_id = add_photo(app, call_id)
    review_id = add_recording(app, call_id, "review", data=webm_bytes())
    track_id = add_recording(app, call_id, "track", "ready", data=webm_bytes(10))
    the_buyer = buyer(client, url)
    paths = {
        "view_recording": [
            f"/api/sessions/{call_id}/recording",
            f"/api/sessions/{call_id}/recordings/{track_id}",
            f"/api/sessions/{call_id}/recordings/{review_id}",
        ],
        "view_photo": [f"/api/sessions/{call_id}/photos/{photo_id}"],
    }
    for who in ("bob", "nobody"):
        for path in [*paths["view_recording"], *paths["view_photo"]]:
            answer = team[who].get(path)
            assert answer.status_code == 404, (who, path)
            assert answer.json()["error"]["code"] == "not_found"
    for path in [*paths["view_recording"], *paths["view_photo"]]:
        assert the_buyer.get(path).status_code == 404, path
    # a file of another call through this call's address
    assert team["sue"].get(f"/api/sessions/{other_call}/photos/{photo_id}").status_code == 404
    assert audit_rows(app) == []

    context = the_buyer.get("/api/buyer/context")
    assert context.status_code == 200 and context.headers["cache-control"] == "no-store"
    for who in ("ann", "sue", "ada"):
        detail = team[who].get(f"/api/sessions/{call_id}")
        assert detail.status_code == 200 and detail.headers["cache-control"] == "no-store"
        for action, urls in paths.items():
            for path in urls:
                answer = team[who].get(path)
                assert answer.status_code == 200, (who, path, answer.text)
                assert answer.headers["cache-control"] == "private, no-store"
                expected_type = "video/webm" if action == "view_recording" else "image/jpeg"
                assert answer.headers["content-type"] == expected_type
    rows = audit_rows(app)
    assert len(rows) == 3 * 4
    assert {(r.action, r.object_id) for r in rows} == {
        ("view_recording", review_id),
        ("view_recording", track_id),
        ("view_photo", photo_id),
    }
    assert all(r.call_id == call_id for r in rows)
    emails = {
        r["user_email"]
        for r in team["ada"].get("/api/audit", params={"per_page": 100}).json()["items"]
    }
    assert emails == {"ann@shop.test", "sue@shop.test", "ada@shop.test"}


def test_audit_list_is_for_admins(app, team):
    call_id = make_call(app, agent_id=team["ann_id"])
    photo_id = add_photo(app, call_id)
    team["sue"].get(f"/api/sessions/{call_id}/photos/{photo_id}")
    listed = team["ada"].get("/api/audit").json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert (item["action"], item["call_id"], item["object_id"], item["user_name"]) == (
        "view_photo",
        call_id,
        photo_id,
        "Sue Supervisor",
    )
    assert team["ada"].get("/api/audit", params={"call_id": "other"}).json()["total"] == 0
    assert team["sue"].get("/api/audit").status_code == 403
    assert team["ann"].get("/api/audit").status_code == 403
    assert team["nobody"].get("/api/audit").status_code == 401


# ------------------------------------------------------------------ range requests


def test_recording_range_requests(app, team):
    call_id = make_call(app, agent_id=team["ann_id"])
    data = webm_bytes()
    add_recording(app, call_id, "review", data=data)
    sue = team["sue"]
    url = f"/api/sessions/{call_id}/recording"

    whole = sue.get(url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"

    part = sue.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert part.content == data[100:200]

    tail = sue.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == data[-50:]
    open_ended = sue.get(url, headers={"Range": f"bytes={len(data) - 10}-"})
    assert open_ended.status_code == 206 and open_ended.content == data[-10:]

    past = sue.get(url, headers={"Range": f"bytes={len(data) + 10}-"})
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{len(data)}"
    assert past.json()["error"]["code"] == "range_not_satisfiable"

    for malformed in ("bytes=abc", "bytes=9-3", "chunks=0-10", "bytes", "bytes=--"):
        answer = sue.get(url, headers={"Range": malformed})
        assert answer.status_code == 200, malformed
        assert answer.content == data, malformed

    # several ranges (that do not merge into one) get the whole file, never multipart
    several = sue.get(url, headers={"Range": "bytes=0-9,100-109"})
    assert several.status_code == 200 and several.content == data
    assert several.headers["content-type"] == "video/webm"
    merged = sue.get(url, headers={"Range": "bytes=0-9,5-19"})
    assert merged.status_code == 206 and merged.content == data[:20]


def test_a_view_is_audited_when_the_player_opens_the_file_not_per_range(app, team):
    call_id = make_call(app, agent_id=team["ann_id"])
    add_recording(app, call_id, "review", data=webm_bytes())
    url = f"/api/sessions/{call_id}/recording"
    sue = team["sue"]
    assert sue.get(url, headers={"Range": "bytes=0-"}).status_code == 206
    assert len(audit_rows(app)) == 1
    for continuation in ("bytes=100-", "bytes=200-299"):
        assert sue.get(url, headers={"Range": continuation}).status_code == 206
    assert len(audit_rows(app)) == 1
    assert sue.get(url).status_code == 200
    assert len(audit_rows(app)) == 2


def test_a_range_request_that_does_not_open_a_view_is_still_audited(app, team):
    call_id = make_call(app, agent_id=team["ann_id"])
    add_recording(app, call_id, "review", data=webm_bytes())
    url = f"/api/sessions/{call_id}/recording"
    assert team["ann"].get(url, headers={"Range": "bytes=1-"}).status_code == 206
    assert len(audit_rows(app)) == 1  # not opened from byte 0, yet audited: no recent view
    assert team["ann"].get(url, headers={"Range": "bytes=1-,0-5"}).status_code in (200, 206)
    assert len(audit_rows(app)) == 1  # the same person continuing the view


def test_a_supervisor_sets_the_outcome_of_an_untagged_call_without_a_reason(app, team):
    sue = team["sue"]
    untagged = make_call(app, agent_id=team["ann_id"])
    answer = sue.post(
        f"/api/sessions/{untagged}/review",
        json={"action": "set", "outcome": "defect", "note": "Seen in the video."},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["outcome"], body["review_state"], body["outcome_note"]) == (
        "defect",
        None,
        "Seen in the video.",
    )
    assert [(h["action"], h["by_name"]) for h in body["outcome_history"]] == [
        ("set", "Sue Supervisor")
    ]
    # once it has an outcome, changing it is an override, with a reason
    set_damage = {"action": "set", "outcome": "damage"}
    again = sue.post(f"/api/sessions/{untagged}/review", json=set_damage)
    assert again.status_code == 409 and "override" in again.json()["error"]["message"]
    declined = make_call(app, agent_id=None)
    refused = sue.post(f"/api/sessions/{declined}/review", json=set_damage)
    assert refused.status_code == 409


def test_calls_that_never_reached_an_agent_are_their_own_count_and_filter(app, team):
    ann_id = team["ann_id"]
    make_call(app, agent_id=ann_id)  # answered, untagged
    make_call(app, agent_id=ann_id, outcome="damage")
    declined = make_call(app, agent_id=None, created_at=T0 + timedelta(days=1))
    make_call(app, agent_id=None, state="waiting", created_at=T0 + timedelta(days=2))
    sue = team["sue"]
    counts = sue.get("/api/sessions").json()["counts"]
    assert (counts["untagged"], counts["not_reached"], counts["damage"]) == (1, 1, 1)
    found = sue.get("/api/sessions", params={"not_reached": "true"}).json()
    assert [i["id"] for i in found["items"]] == [declined]
    assert found["counts"]["not_reached"] == 1  # the counts leave the filter out
    untagged = sue.get("/api/sessions", params={"untagged": "true"}).json()
    assert untagged["total"] == 1 and untagged["items"][0]["agent_id"] == ann_id


def test_order_search_matches_a_prefix_with_like_characters_taken_literally(app, team):
    for ref in ("ORD-1042", "ORD-10420", "ORD-105", "ord-1042", "X_1%", "XA1%", "X_1%B"):
        make_call(app, agent_id=team["ann_id"], order_ref=ref)
    sue = team["sue"]

    def refs(prefix: str) -> set[str]:
        answer = sue.get("/api/sessions", params={"order_ref": prefix})
        assert answer.status_code == 200, answer.text
        return {i["order_ref"] for i in answer.json()["items"]}

    assert refs("ORD-104") == {"ORD-1042", "ORD-10420"}
    assert refs("ORD-1042") == {"ORD-1042", "ORD-10420"}
    assert refs("ORD-10") == {"ORD-1042", "ORD-10420", "ORD-105"}
    assert refs("X_1") == {"X_1%", "X_1%B"}  # "_" is not a wildcard
    assert refs("X_1%") == {"X_1%", "X_1%B"}
    assert refs("XA") == {"XA1%"}
    assert refs("%") == set()
    assert refs("ORD-2") == set()
