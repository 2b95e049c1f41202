"""A case's evidence bundle: a real case (a clip and a photo uploaded by tus, submitted,
answered, decided, then a live call from the same link) bundled by
``GET /api/cases/{id}/bundle`` and ``showdesk evidence export --case``, verified offline
by ``showdesk evidence verify`` with the served key; the files as stored, a changed clip
named; who may make one."""

from __future__ import annotations

import hashlib
import json
import zipfile

from sqlmodel import Session, select

from server.accounts.apikeys import create_api_key
from server.models import AuditEntry
from server.models.case import CaseFile
from tests.helpers.case_uploads import create, patch, recv_type, socket, webm_clip
from tests.helpers.cli import showdesk
from tests.helpers.consent import consent_message
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.people import buyer, staff
from tests.helpers.waiting import wait_until

ORDER = {
    "lines": [{"sku": "MUG-01", "name": "Stoneware mug", "quantity": 2, "lot": "L7"}],
    "carrier": "DHL Express",
    "tracking_number": "JD014600006211",
    "buyer_country": "DE",
}


def upload(person, data: bytes, step: str, kind: str) -> None:
    made = create(person, len(data), step=step, kind=kind)
    assert made.status_code == 201, made.text
    sent = patch(person, made.headers["Location"], 0, data)
    assert sent.status_code == 204, sent.text


def flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def with_member_changed(source, target, name: str, change) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info.filename, change(data) if info.filename == name else data)


def verify(data_dir, bundle, key):
    return showdesk(data_dir, "evidence", "verify", str(bundle), "--public-key", str(key))


def live_call_from(client, agent, person) -> str:
    """A call the buyer of ``person`` starts and ``agent`` accepts; its id."""
    with socket(client, agent, "staff") as agent_ws:
        agent_ws.send_json({"type": "set_availability", "state": "available"})
        recv_type(agent_ws, "availability")
        with socket(client, person, "buyer") as buyer_ws:
            buyer_ws.send_json(consent_message(True))
            session_id = recv_type(buyer_ws, "call")["session_id"]
            agent_ws.send_json({"type": "accept", "session_id": session_id})
            assert recv_type(buyer_ws, "call")["state"] == "live"
    return session_id


def test_a_case_bundle_holds_the_files_as_stored_verifies_and_names_a_changed_clip(
    client, app, tmp_path
):
    data_dir = app.state.settings.data_dir
    sue, _ = staff(client, app, "sue@shop.test", "supervisor")
    made = sue.post(
        "/api/links", json={"order_ref": "C-1", "purpose": "damage_verification", "order": ORDER}
    )
    assert made.status_code == 201, made.text
    person = buyer(client, made.json()["url"])
    clip, photo = webm_clip(), image_bytes("mjpeg")
    upload(person, clip, "outer_box", "clip")
    upload(person, photo, "label", "photo")
    submitted = person.post("/api/buyer/case/submit", json={"note": "box crushed", "locale": "de"})
    assert submitted.status_code == 201, submitted.text
    agent, _ = staff(client, app, "ana@shop.test", "agent")
    case_id = agent.get("/api/cases").json()["cases"][0]["id"]
    verdict = {"outcome": "damage", "decision": "refund"}
    assert agent.put(f"/api/cases/{case_id}/outcome", json=verdict).status_code == 200
    reply = agent.post(f"/api/cases/{case_id}/replies", json={"text": "Refund on its way"})
    assert reply.status_code == 201, reply.text
    session_id = live_call_from(client, agent, person)
    wait_until(lambda: agent.get(f"/api/cases/{case_id}").json()["calls"], 10, "the call")

    answer = sue.get(f"/api/cases/{case_id}/bundle")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert "attachment" in answer.headers["content-disposition"]
    bundle = tmp_path / "case.zip"
    bundle.write_bytes(answer.content)
    key = tmp_path / "key.pem"
    key.write_bytes(client.get("/api/evidence/public-key").content)

    intact = verify(data_dir, bundle, key)
    assert intact.returncode == 0, intact.stderr
    with Session(app.state.engine) as db:
        stored = {row.kind: row for row in db.exec(select(CaseFile)).all()}
        audited = db.exec(select(AuditEntry).where(AuditEntry.action == "evidence_bundle")).all()
    assert [entry.detail["case_id"] for entry in audited] == [case_id]
    assert audited[0].user_id is not None and audited[0].call_id is None
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        read = {n: archive.read(n) for n in archive.namelist()}
    assert manifest["kind"] == "case" and manifest["case_id"] == case_id
    assert manifest["order_ref"] == "C-1" and manifest["missing"] == []
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == set(read) - {"manifest.json", "manifest.sig"}
    (clip_name,) = [n for n in listed if n.startswith("clips/")]
    (photo_name,) = [n for n in listed if n.startswith("photos/")]
    assert listed[clip_name]["sha256"] == stored["clip"].sha256 == hashlib.sha256(clip).hexdigest()
    assert read[clip_name] == clip
    assert listed[photo_name]["sha256"] == stored["photo"].sha256
    (submission,) = json.loads(read["submissions.json"])
    assert (submission["note"], submission["locale"]) == ("box crushed", "de")
    assert submission["submitted_at"]
    assert [r["text"] for r in json.loads(read["replies.json"])] == ["Refund on its way"]
    decided = json.loads(read["case.json"])
    assert (decided["outcome"], decided["decision"]) == ("damage", "refund")
    assert json.loads(read["order.json"])["lines"][0]["sku"] == "MUG-01"
    assert [c["call_id"] for c in json.loads(read["calls.json"])] == [session_id]
    assert not [n for n in listed if n.startswith(("tracks/", "review/"))]  # the call's own

    changed = tmp_path / "changed.zip"
    with_member_changed(bundle, changed, clip_name, flip_one_byte)
    refused = verify(data_dir, changed, key)
    assert refused.returncode == 1, refused.stdout
    assert f"changed: {clip_name}" in refused.stderr
    assert refused.stderr.count("showdesk: ") == 1, refused.stderr

    # the command line makes the same bundle of the case, signed with the same key
    out = tmp_path / "cli.zip"
    exported = showdesk(data_dir, "evidence", "export", "--case", str(case_id), "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert verify(data_dir, out, key).returncode == 0
    with zipfile.ZipFile(out) as archive:
        again = json.loads(archive.read("manifest.json"))
    assert again["case_id"] == case_id and {f["name"] for f in again["files"]} == set(listed)
    unknown = showdesk(data_dir, "evidence", "export", "--case", "999", "--out", str(out))
    assert unknown.returncode == 1 and "no case 999" in unknown.stderr


def test_a_case_bundle_is_for_supervisors_admins_and_keys_with_recordings_read(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    upload(person, webm_clip(), "outer_box", "clip")
    person.post("/api/buyer/case/submit", json={"note": "dented"})
    agent, _ = staff(client, app, "ana@shop.test", "agent")
    case_id = agent.get("/api/cases").json()["cases"][0]["id"]
    path = f"/api/cases/{case_id}/bundle"

    refused = agent.get(path)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert client.get(path).status_code == 401
    with Session(app.state.engine) as db:
        now = app.state.clock.now()
        _, without = create_api_key(db, "helpdesk", now, scopes=["calls:read"])
        _, with_scope = create_api_key(db, "claims", now, scopes=["recordings:read"])
    no_scope = client.get(path, headers={"Authorization": f"Bearer {without}"})
    assert no_scope.status_code == 403 and no_scope.json()["error"]["code"] == "missing_scope"
    allowed = client.get(path, headers={"Authorization": f"Bearer {with_scope}"})
    assert allowed.status_code == 200 and allowed.content.startswith(b"PK")
    admin, _ = staff(client, app, "ada@shop.test", "admin")
    assert admin.get(path).status_code == 200
    missing = admin.get("/api/cases/999/bundle")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    with Session(app.state.engine) as db:
        audited = db.exec(select(AuditEntry).where(AuditEntry.action == "evidence_bundle")).all()
    assert len(audited) == 2 and {e.api_key_id is None for e in audited} == {True, False}
