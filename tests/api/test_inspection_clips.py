"""An inspection item's clip through the API: the agent starts and stops it on the live
call's clock, both sides are told, the buyer decides the item only once the clip is done,
the report and its PDF give the clip's times; every refusal a clear error."""

from __future__ import annotations

import io
import time

import pypdf
import pytest

from server.errors import Conflict, InvalidInput
from server.inspections import checklist, clips
from server.inspections.report_pdf import recording_time
from server.inspections.templates import shipped_templates
from signaling.call import elapsed_ms
from tests.helpers.inspections import error_code, live_call, recv_type, shoot
from tests.helpers.people import Person, staff
from tests.helpers.waiting import wait_until

ITEMS = ["shipping_label", "powered_on"]


@pytest.fixture
def agent(app, client) -> Person:
    return staff(client, app, "ann@shop.test", "agent", "Ann Agent")[0]


def call_clock_ms(app, session_id: str) -> int:
    """Now on the live call's clock, as the clip routes read it."""
    snap = app.state.calls.switchboard.call(session_id)
    return elapsed_ms(snap.created_at, time.time())


def clip_url(session_id: str, item: str, stop: bool = False) -> str:
    return f"/api/sessions/{session_id}/inspection/items/{item}/clip" + ("/stop" if stop else "")


def test_the_agent_records_a_clip_both_sides_see_it_and_the_buyer_then_decides(app, client, agent):
    with live_call(app, client, agent) as call:
        sid = call.session_id
        started = agent.post(f"/api/sessions/{sid}/inspection", json={"items": ITEMS})
        assert started.status_code == 201, started.text
        powered = started.json()["items"][1]
        assert powered["clip_required"] and powered["photos_required"] == 0
        assert powered["clip"] is None and powered["state"] == "pending"
        for ws in (call.agent_ws, call.buyer_ws):
            recv_type(ws, "inspection")

        opened = agent.post(clip_url(sid, "powered_on"))
        assert opened.status_code == 201, opened.text
        clip = opened.json()["items"][1]["clip"]
        assert clip["start_ms"] > 0 and clip["end_ms"] is None
        for ws in (call.agent_ws, call.buyer_ws):
            told = recv_type(ws, "inspection")["items"][1]
            assert told == {"key": "powered_on", "state": "pending", "photo_ids": [], "clip": clip}
        # while it is being recorded the buyer cannot decide the item
        base = f"/api/buyer/sessions/{sid}/inspection"
        answer = call.buyer.post(f"{base}/items/powered_on/decision", json={"decision": "approved"})
        assert error_code(answer, 409) == "clip_missing"

        wait_until(
            lambda: call_clock_ms(app, sid) >= clip["start_ms"] + 300,
            5,
            "the call clock 300 ms past the clip's start",
        )
        stopped = agent.post(clip_url(sid, "powered_on", stop=True))
        assert stopped.status_code == 200, stopped.text
        item = stopped.json()["items"][1]
        assert item["state"] == "shot"
        assert item["clip"]["start_ms"] == clip["start_ms"]
        assert item["clip"]["end_ms"] - clip["start_ms"] >= 300
        for ws in (call.agent_ws, call.buyer_ws):
            told = recv_type(ws, "inspection")["items"][1]
            assert told["state"] == "shot" and told["clip"] == item["clip"]
        # the buyer sees the same clip, and decides the item now
        seen = call.buyer.get(base).json()["items"][1]
        assert seen["clip"] == item["clip"] and seen["clip_required"]
        answer = call.buyer.post(f"{base}/items/powered_on/decision", json={"decision": "approved"})
        assert answer.status_code == 200, answer.text
        # once decided, its clip stays
        assert error_code(agent.post(clip_url(sid, "powered_on")), 409) == "item_decided"
        assert error_code(agent.post(clip_url(sid, "powered_on", stop=True)), 409) == (
            "item_decided"
        )
        shoot(agent, call, "shipping_label")
        call.buyer.post(f"{base}/items/shipping_label/decision", json={"decision": "approved"})
        signed = call.buyer.post(f"{base}/signoff", json={"decision": "approved", "name": "Bea"})
        assert signed.status_code == 200, signed.text
        assert error_code(agent.post(clip_url(sid, "powered_on")), 409) == "signed_off"

    report = agent.get(f"/api/sessions/{sid}/inspection").json()
    origin = report["recording_start_ms"]
    assert origin is None or 0 <= origin <= item["clip"]["start_ms"]
    words = (
        f"Clip: {recording_time(item['clip']['start_ms'], origin)}\u2013"
        f"{recording_time(item['clip']['end_ms'], origin)} of the recording"
    )
    pdf = agent.get(report["pdf_url"])
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert words in text and "Item powered on" in text


def test_a_clip_is_refused_where_it_does_not_belong(app, client, agent):
    bob = staff(client, app, "bob@shop.test", "agent", "Bob Agent")[0]
    with live_call(app, client, agent) as call:
        sid = call.session_id
        assert error_code(agent.post(clip_url(sid, "powered_on")), 404) == "no_inspection"
        agent.post(f"/api/sessions/{sid}/inspection", json={"items": ITEMS})
        # an item that needs no clip, one the checklist has not
        assert error_code(agent.post(clip_url(sid, "shipping_label")), 409) == "clip_not_wanted"
        assert error_code(agent.post(clip_url(sid, "wheels")), 404) == "unknown_item"
        # a stop without a start
        assert error_code(agent.post(clip_url(sid, "powered_on", stop=True)), 409) == (
            "clip_not_recording"
        )
        # only the call's own agent, never the buyer or another agent
        assert error_code(bob.post(clip_url(sid, "powered_on")), 404) == "not_found"
        assert call.buyer.post(clip_url(sid, "powered_on")).status_code == 401
        assert error_code(agent.post(clip_url(sid, "x" * 65)), 422) == "validation_error"
        # a second start replaces the clip being recorded
        first = agent.post(clip_url(sid, "powered_on")).json()["items"][1]["clip"]
        wait_until(
            lambda: call_clock_ms(app, sid) > first["start_ms"],
            5,
            "the call clock past the first clip's start",
        )
        again = agent.post(clip_url(sid, "powered_on")).json()["items"][1]["clip"]
        assert again["start_ms"] > first["start_ms"] and again["end_ms"] is None
        call.agent_ws.send_json({"type": "end"})
        recv_type(call.buyer_ws, "call")
        # after the call, nothing more is recorded
        assert error_code(agent.post(clip_url(sid, "powered_on", stop=True)), 409) == ("call_ended")

    # the clip left recording ends where the call ended, so the buyer can still decide it
    def closed() -> dict | None:
        item = agent.get(f"/api/sessions/{sid}/inspection").json()["items"][1]
        return item if item["clip"]["end_ms"] is not None else None

    item = wait_until(closed, 5, "the open clip ended with the call")
    assert item["clip"]["start_ms"] == again["start_ms"] < item["clip"]["end_ms"]
    assert item["state"] == "shot"
    answer = call.buyer.post(
        f"/api/buyer/sessions/{sid}/inspection/items/powered_on/decision",
        json={"decision": "approved"},
    )
    assert answer.status_code == 200, answer.text


def fresh() -> checklist.State:
    return checklist.new_inspection(shipped_templates()["default"], ["powered_on"])


def test_a_clip_ends_after_it_starts_and_stops_by_itself_at_its_maximum():
    state = clips.start_clip(fresh(), "powered_on", 5_000)
    with pytest.raises(InvalidInput) as refused:
        clips.stop_clip(state, "powered_on", 5_000)
    assert refused.value.code == "clip_bad_time"
    with pytest.raises(InvalidInput):
        clips.start_clip(fresh(), "powered_on", -1)
    long = clips.stop_clip(state, "powered_on", 5_000 + clips.CLIP_MAX_MS + 9_000)
    assert long["items"][0]["clip"] == {"start_ms": 5_000, "end_ms": 5_000 + clips.CLIP_MAX_MS}
    assert long["items"][0]["state"] == "shot"
    with pytest.raises(Conflict) as twice:
        clips.stop_clip(long, "powered_on", 70_000)
    assert twice.value.code == "clip_not_recording"
    # a new start after a finished clip: the item waits for its clip again
    redo = clips.start_clip(long, "powered_on", 80_000)
    assert redo["items"][0]["state"] == "pending"
    assert state["items"][0]["clip"]["end_ms"] is None  # the rules never change their input


def test_a_clip_open_when_the_call_ends_ends_there_at_most_its_maximum_after_its_start():
    state = clips.start_clip(fresh(), "powered_on", 5_000)
    assert clips.close_open(fresh(), 9_000) is None  # nothing open: nothing changes
    ended = clips.close_open(state, 9_000)
    assert ended["items"][0]["clip"] == {"start_ms": 5_000, "end_ms": 9_000}
    assert ended["items"][0]["state"] == "shot"
    late = clips.close_open(state, 500_000)
    assert late["items"][0]["clip"]["end_ms"] == 5_000 + clips.CLIP_MAX_MS
    assert clips.close_open(state, 5_000)["items"][0]["clip"]["end_ms"] == 5_001


def test_an_inspection_started_before_clips_reads_as_one_without_them():
    state = fresh()
    for item in state["items"]:
        del item["clip"], item["clip_required"]
        item["photos_required"] = 1
    shot = checklist.tie_photo({**state, "captures": {"c1": "powered_on"}}, "c1", 7)
    assert shot["items"][0]["state"] == "shot"
    with pytest.raises(Conflict) as refused:
        clips.start_clip(shot, "powered_on", 1_000)
    assert refused.value.code == "clip_not_wanted"
