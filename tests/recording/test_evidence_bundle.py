"""The evidence bundle of a real recorded call: made by ``GET /api/sessions/{id}/bundle``
and ``showdesk evidence export``, verified offline by ``showdesk evidence verify`` with
the served public key; a changed photo or manifest, an added or a removed file is named
and fails the check."""

from __future__ import annotations

import asyncio
import json
import stat
import zipfile
from pathlib import Path

import httpx
from sqlmodel import Session, select

from server.accounts.apikeys import create_api_key
from server.models import AuditEntry
from tests.helpers.accounts import PASSWORD, create_account
from tests.helpers.calls import live_call
from tests.helpers.cli import showdesk
from tests.helpers.images import image_bytes
from tests.helpers.recordings import all_ready
from tests.helpers.waiting import wait_in_thread

ORDER = {
    "lines": [{"sku": "MUG-01", "name": "Stoneware mug", "quantity": 2, "lot": "L7"}],
    "carrier": "DHL Express",
    "tracking_number": "JD014600006211",
    "buyer_country": "DE",
}


def rewritten(source: Path, target: Path, *, change=None, add=None, drop=None) -> Path:
    """A copy of the bundle ``source`` at ``target`` with member ``change[0]`` passed
    through ``change[1]``, a member ``add`` (name, bytes) added, member ``drop`` left out."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename == drop:
                continue
            data = old.read(info.filename)
            if change and info.filename == change[0]:
                data = change[1](data)
            new.writestr(info.filename, data)
        if add:
            new.writestr(*add)
    return target


def flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def verify(data_dir: Path, bundle: Path, pem: Path):
    return showdesk(data_dir, "evidence", "verify", str(bundle), "--public-key", str(pem))


async def test_a_bundle_of_a_recorded_call_verifies_and_any_change_is_named(live_server, tmp_path):
    app = live_server.app
    engine, url = app.state.engine, live_server.url
    data_dir = app.state.settings.data_dir
    create_account(engine, "ana@shop.test", "agent", "Ana")
    create_account(engine, "sue@shop.test", "supervisor", "Sue")
    async with httpx.AsyncClient(base_url=url) as http:
        signed_in = await http.post(
            "/api/auth/login", json={"email": "ana@shop.test", "password": PASSWORD}
        )
        agent_cookie = f"showdesk_session={signed_in.cookies['showdesk_session']}"
        made = await http.post(
            "/api/links",
            json={"order_ref": "B-1", "purpose": "damage_verification", "order": ORDER},
            headers={"Cookie": agent_cookie, "X-CSRF-Token": signed_in.cookies["csrf_token"]},
        )
        assert made.status_code == 201, made.text
        opened = await http.get(made.json()["url"].removeprefix(url), follow_redirects=False)
        call_cookie, csrf = opened.cookies["showdesk_call"], opened.cookies["call_csrf_token"]
        buyer_cookie = f"showdesk_call={call_cookie}; call_csrf_token={csrf}"
        http.cookies.clear()
        async with live_call(url, agent_cookie, buyer_cookie) as call:
            await asyncio.sleep(2.0)
            uploaded = await http.post(
                f"/api/sessions/{call.session_id}/photos",
                content=image_bytes("mjpeg", 320, 240),
                headers={
                    "Content-Type": "image/jpeg",
                    "Cookie": buyer_cookie,
                    "X-CSRF-Token": csrf,
                },
            )
            assert uploaded.status_code == 201, uploaded.text
            await call.agent_ws.send(json.dumps({"type": "chat", "text": "Show me the handle"}))
            await asyncio.sleep(0.5)
            await call.end()
        await wait_in_thread(all_ready(engine, call.session_id), 30, "tracks and review ready")

        pem = (await http.get("/api/evidence/public-key")).content  # no sign-in needed
        assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
        key_file = data_dir / "evidence_signing_key.pem"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        (tmp_path / "key.pem").write_bytes(pem)

        supervisor = await http.post(
            "/api/auth/login", json={"email": "sue@shop.test", "password": PASSWORD}
        )
        sue = {"Cookie": f"showdesk_session={supervisor.cookies['showdesk_session']}"}
        http.cookies.clear()
        answer = await http.get(f"/api/sessions/{call.session_id}/bundle", headers=sue)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/zip"
        # the call's own agent is no supervisor: not for them
        refused = await http.get(
            f"/api/sessions/{call.session_id}/bundle", headers={"Cookie": agent_cookie}
        )
        assert refused.status_code in (403, 404), refused.text
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(answer.content)
    with Session(engine) as db:
        audited = db.exec(select(AuditEntry).where(AuditEntry.call_id == call.session_id)).all()
    assert "evidence_bundle" in {e.action for e in audited}, audited

    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        chat_text = archive.read("chat.txt").decode()
        order = json.loads(archive.read("order.json"))
    assert manifest["call_id"] == call.session_id and manifest["created_at"]
    listed = {f["name"] for f in manifest["files"]}
    assert listed == names - {"manifest.json", "manifest.sig"}
    assert {n.split("/")[0] for n in listed if "/" in n} == {"review", "tracks", "photos"}
    assert len([n for n in listed if n.startswith("tracks/")]) == 3
    assert {"chat.json", "chat.txt", "outcome_history.json", "events.json"} <= listed
    assert "Show me the handle" in chat_text
    assert order["carrier"] == "DHL Express" and order["lines"][0]["sku"] == "MUG-01"

    intact = verify(data_dir, bundle, tmp_path / "key.pem")
    assert intact.returncode == 0, intact.stderr
    photo = next(n for n in listed if n.startswith("photos/"))
    cases = {
        "photo": (
            rewritten(bundle, tmp_path / "p.zip", change=(photo, flip_one_byte)),
            f"changed: {photo}",
        ),
        "manifest": (
            rewritten(
                bundle,
                tmp_path / "m.zip",
                change=("manifest.json", lambda b: b.replace(b'"call_id"', b'"call_id" ')),
            ),
            "signature: manifest.sig does not sign manifest.json",
        ),
        "added": (
            rewritten(bundle, tmp_path / "a.zip", add=("photos/extra.jpg", b"x")),
            "added: photos/extra.jpg",
        ),
        "removed": (rewritten(bundle, tmp_path / "r.zip", drop="chat.txt"), "removed: chat.txt"),
    }
    for what, (path, named) in cases.items():
        result = verify(data_dir, path, tmp_path / "key.pem")
        assert result.returncode == 1, (what, result.stdout, result.stderr)
        assert named in result.stderr, (what, result.stderr)
        assert result.stderr.count("showdesk: ") == 1, (what, result.stderr)

    # the command line makes the same kind of bundle, signed with the same key
    exported = showdesk(
        data_dir, "evidence", "export", call.session_id, "--out", str(tmp_path / "c.zip")
    )
    assert exported.returncode == 0, exported.stderr
    assert verify(data_dir, tmp_path / "c.zip", tmp_path / "key.pem").returncode == 0

    # an API key opens the bundle only with recordings:read
    with Session(engine) as db:
        _, without = create_api_key(db, "helpdesk", app.state.clock.now(), scopes=["calls:read"])
        _, with_scope = create_api_key(
            db, "claims", app.state.clock.now(), scopes=["recordings:read"]
        )
    async with httpx.AsyncClient(base_url=url) as http:
        path = f"/api/sessions/{call.session_id}/bundle"
        refused = await http.get(path, headers={"Authorization": f"Bearer {without}"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "missing_scope"
        allowed = await http.get(path, headers={"Authorization": f"Bearer {with_scope}"})
        assert allowed.status_code == 200
