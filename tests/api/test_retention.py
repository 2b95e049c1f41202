"""What is kept: old recordings, photos and chat go (from the server, the API and the CLI),
a legal hold keeps them, an order can be erased, and every such action is audited."""

from __future__ import annotations

import io
import json
import stat
import zipfile

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.app import create_app
from server.models import AuditEntry, Call, CallEvent, Link, Photo, Recording
from signaling.vocabulary import Outcome
from tests.helpers.accounts import add_user, login
from tests.helpers.cli import showdesk
from tests.helpers.servers import make_settings
from tests.helpers.stored_calls import ended_call


def media_of(app, call_id: str) -> tuple[int, int, int, int]:
    """(recordings, photos, chat lines, files on disk) of the call."""
    with Session(app.state.engine) as db:
        recordings = db.exec(select(Recording).where(Recording.call_id == call_id)).all()
        photos = db.exec(select(Photo).where(Photo.call_id == call_id)).all()
        chat = db.exec(
            select(CallEvent).where(CallEvent.call_id == call_id, CallEvent.kind == "chat")
        ).all()
    files = list((app.state.settings.data_dir / "files" / "calls" / call_id).glob("*"))
    return len(recordings), len(photos), len(chat), len(files)


def audit_actions(app) -> list[tuple[str, dict | None]]:
    with Session(app.state.engine) as db:
        return [(e.action, e.detail) for e in db.exec(select(AuditEntry).order_by(AuditEntry.id))]


def admin(app) -> tuple[TestClient, dict[str, str]]:
    add_user(app, "root@shop.test", "admin")
    client = TestClient(app, base_url=app.state.settings.public_url)
    return client, {"X-CSRF-Token": login(client, "root@shop.test")}


def test_retention_deletes_old_media_photos_and_chat_but_keeps_the_verdict(app):
    old = ended_call(app, "ORD-OLD", days_ago=91)
    held = ended_call(app, "ORD-HELD", days_ago=200)
    recent = ended_call(app, "ORD-NEW", days_ago=10)
    client, csrf = admin(app)
    hold = client.put(
        f"/api/sessions/{held}/hold", json={"reason": "carrier dispute"}, headers=csrf
    )
    assert hold.status_code == 200 and hold.json()["hold_reason"] == "carrier dispute"

    dry = client.post("/api/retention/runs", json={"dry_run": True}, headers=csrf)
    assert dry.status_code == 200
    assert [c["call_id"] for c in dry.json()["calls"]] == [old]
    assert media_of(app, old) == (1, 1, 1, 2)  # a dry run deletes nothing

    run = client.post("/api/retention/runs", json={}, headers=csrf)
    assert run.json()["calls"] == [
        {"call_id": old, "order_ref": "ORD-OLD", "recordings": 1, "photos": 1, "chat_lines": 1}
    ]
    assert media_of(app, old) == (0, 0, 0, 0)
    assert media_of(app, held) == (1, 1, 1, 2)
    assert media_of(app, recent) == (1, 1, 1, 2)
    with Session(app.state.engine) as db:
        call = db.get(Call, old)
        assert call.outcome == Outcome.DEFECT and call.ended_at is not None
    again = client.post("/api/retention/runs", json={}, headers=csrf)
    assert again.json()["calls"] == []  # idempotent
    actions = [action for action, _ in audit_actions(app)]
    assert actions == ["hold_add", "retention_run", "retention_run"]


async def test_the_call_desks_hourly_step_applies_retention(app):
    old = ended_call(app, "ORD-OLD", days_ago=100)
    recent = ended_call(app, "ORD-NEW", days_ago=1)
    await app.state.calls.apply_retention()
    assert media_of(app, old) == (0, 0, 0, 0)
    assert media_of(app, recent) == (1, 1, 1, 2)


def test_erasing_an_order_removes_personal_data_and_keeps_the_outcome(app):
    call_id = ended_call(app, "ORD-ERASE", days_ago=3, buyer_name="Dana Privat")
    client, csrf = admin(app)
    erased = client.post("/api/erasures", json={"order_ref": "ORD-ERASE"}, headers=csrf)
    assert erased.status_code == 200, erased.text
    assert media_of(app, call_id) == (0, 0, 0, 0)
    with Session(app.state.engine) as db:
        call = db.get(Call, call_id)
        link = db.exec(select(Link).where(Link.order_ref == "ORD-ERASE")).one()
        events = db.exec(select(CallEvent).where(CallEvent.call_id == call_id)).all()
    assert call.buyer_name is None and call.outcome_note is None and call.erased_at
    assert call.outcome == Outcome.DEFECT and call.ended_at is not None
    assert link.buyer_name is None
    assert "Dana" not in json.dumps([e.data for e in events])
    assert ("erase_order", {"order_ref": "ORD-ERASE", "calls": 1, "links": 1}) in audit_actions(app)
    unknown = client.post("/api/erasures", json={"order_ref": "ORD-NONE"}, headers=csrf)
    assert unknown.status_code == 404


def test_a_held_call_cannot_be_erased_until_the_hold_is_lifted(app):
    call_id = ended_call(app, "ORD-H", days_ago=1)
    client, csrf = admin(app)
    client.put(f"/api/sessions/{call_id}/hold", json={"reason": "court order"}, headers=csrf)
    refused = client.post("/api/erasures", json={"order_ref": "ORD-H"}, headers=csrf)
    assert refused.status_code == 409
    assert media_of(app, call_id) == (1, 1, 1, 2)
    assert client.delete(f"/api/sessions/{call_id}/hold", headers=csrf).status_code == 204
    assert (
        client.post("/api/erasures", json={"order_ref": "ORD-H"}, headers=csrf).status_code == 200
    )


def test_agents_cannot_hold_erase_or_run_retention(app):
    call_id = ended_call(app, "ORD-A", days_ago=1)
    add_user(app, "ana@shop.test", "agent")
    agent = TestClient(app, base_url=app.state.settings.public_url)
    csrf = {"X-CSRF-Token": login(agent, "ana@shop.test")}
    hold = agent.put(f"/api/sessions/{call_id}/hold", json={"reason": "x"}, headers=csrf)
    assert hold.status_code in (403, 404)
    assert agent.post("/api/erasures", json={"order_ref": "ORD-A"}, headers=csrf).status_code == 403
    assert agent.post("/api/retention/runs", json={}, headers=csrf).status_code == 403


def test_the_command_line_holds_runs_retention_and_erases(tmp_path):
    data = tmp_path / "data"
    app = create_app(make_settings(data))
    old = ended_call(app, "ORD-CLI-OLD", days_ago=120)
    other = ended_call(app, "ORD-CLI-ERASE", days_ago=1)
    app.state.engine.dispose()

    held = showdesk(data, "hold", "add", old, "--reason", "insurance claim")
    assert held.returncode == 0, held.stderr
    assert held.stdout.strip().endswith("on hold: insurance claim")
    dry = showdesk(data, "retention", "run", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.strip().endswith("0 calls would lose their media")
    assert showdesk(data, "hold", "remove", old).returncode == 0
    dry = showdesk(data, "retention", "run", "--dry-run", "--json")
    assert [c["call_id"] for c in json.loads(dry.stdout)["calls"]] == [old]
    run = showdesk(data, "retention", "run")
    assert run.returncode == 0 and run.stdout.strip().endswith("1 calls lost their media")
    erased = showdesk(data, "erase", "--order", "ORD-CLI-ERASE")
    assert erased.returncode == 0 and "erased order ORD-CLI-ERASE: 1 calls" in erased.stdout
    unknown = showdesk(data, "erase", "--order", "ORD-NOPE")
    assert unknown.returncode == 1 and "nothing is held" in unknown.stderr
    assert media_of(app, old) == (0, 0, 0, 0) and media_of(app, other) == (0, 0, 0, 0)


def test_an_admin_exports_everything_held_about_an_order_as_a_zip(app):
    call_id = ended_call(app, "ORD-EXPORT", days_ago=2, buyer_name="Eva Export")
    ended_call(app, "ORD-OTHER", days_ago=2)
    client, _ = admin(app)
    answer = client.get("/api/exports", params={"order_ref": "ORD-EXPORT"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    assert "no-store" in answer.headers["cache-control"]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        manifest = json.loads(archive.read("order.json"))
        names = set(archive.namelist())
        assert archive.read(f"files/{call_id}/photo.bin") == b"evidence"
    assert manifest["order_ref"] == "ORD-EXPORT"
    assert [c["id"] for c in manifest["calls"]] == [call_id]
    (call,) = manifest["calls"]
    assert call["buyer_name"] == "Eva Export" and call["outcome"] == "defect"
    assert (call["consent_decision"], call["buyer_timezone"]) == ("accepted", "Europe/Paris")
    consent = call["consent_text"]  # the version the buyer accepted, as stored
    assert (consent["locale"], consent["version"]) == ("fr", 1)
    assert consent["title"] == "Montrez-nous le problème" and len(consent["sha256"]) == 64
    assert [e["data"]["text"] for e in call["timeline"] if e["kind"] == "chat"] == [
        "my address is ..."
    ]
    assert {f["file"] for f in call["files"]} <= names
    assert "token_hash" not in json.dumps(manifest["links"])
    assert ("export_order", {"order_ref": "ORD-EXPORT", "calls": 1}) in audit_actions(app)
    assert client.get("/api/exports", params={"order_ref": "ORD-NONE"}).status_code == 404


def test_only_admins_export(app):
    ended_call(app, "ORD-EXPORT", days_ago=2)
    add_user(app, "sue@shop.test", "supervisor")
    sue = TestClient(app, base_url=app.state.settings.public_url)
    login(sue, "sue@shop.test")
    assert sue.get("/api/exports", params={"order_ref": "ORD-EXPORT"}).status_code == 403


def test_the_command_line_exports_an_order_to_a_private_file(tmp_path):
    data = tmp_path / "data"
    app = create_app(make_settings(data))
    call_id = ended_call(app, "ORD-CLI-EXPORT", days_ago=1)
    app.state.engine.dispose()
    out = tmp_path / "order.zip"
    done = showdesk(data, "export", "--order", "ORD-CLI-EXPORT", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("order.json"))["calls"][0]["id"] == call_id


def test_erasing_a_buyer_erases_every_order_that_names_them(app):
    first = ended_call(app, "ORD-B1", days_ago=5, buyer_name="Jo Tester")
    second = ended_call(app, "ORD-B2", days_ago=4, buyer_name="jo tester")
    other = ended_call(app, "ORD-B3", days_ago=4, buyer_name="Someone Else")
    client, csrf = admin(app)
    erased = client.post("/api/erasures", json={"buyer_name": "Jo Tester"}, headers=csrf)
    assert erased.status_code == 200, erased.text
    assert sorted(c["order_ref"] for c in erased.json()["calls"]) == ["ORD-B1", "ORD-B2"]
    assert media_of(app, first) == media_of(app, second) == (0, 0, 0, 0)
    assert media_of(app, other) == (1, 1, 1, 2)
    both = client.post(
        "/api/erasures", json={"buyer_name": "x", "order_ref": "ORD-B3"}, headers=csrf
    )
    assert both.status_code == 422
    assert (
        client.post("/api/erasures", json={"buyer_name": "Nobody"}, headers=csrf).status_code == 404
    )


def test_api_key_changes_are_audited(app):
    client, csrf = admin(app)
    made = client.post(
        "/api/apikeys", json={"name": "Order system", "scopes": ["links:write"]}, headers=csrf
    )
    assert made.status_code == 201, made.text
    key_id = made.json()["id"]
    assert client.delete(f"/api/apikeys/{key_id}", headers=csrf).status_code == 204
    actions = [(a, d["api_key_id"]) for a, d in audit_actions(app) if a.startswith("apikey_")]
    assert actions == [("apikey_created", key_id), ("apikey_revoked", key_id)]
    assert made.json()["key"] not in json.dumps(audit_actions(app))
