"""A shop's order system end to end, as the API document describes it: it makes a link
with the order through ``POST /api/links`` with an API key made on the command line
(``--scope`` at creation), a real loopback receiver verifies with the ``standardwebhooks``
library that the call ended and was tagged ``damage`` / ``refund``, the system downloads
the signed bundle with its key and ``showdesk evidence verify`` passes on it offline; every
route and answer it used is in ``/openapi.json``."""

from __future__ import annotations

import asyncio
import json
import zipfile

import httpx

from tests.helpers.accounts import PASSWORD, create_account
from tests.helpers.calls import live_call
from tests.helpers.cli import showdesk
from tests.helpers.images import image_bytes
from tests.helpers.recordings import all_ready
from tests.helpers.waiting import wait_in_thread
from tests.helpers.webhook_receiver import Receiver

ORDER = {
    "lines": [{"sku": "VASE-3", "name": "Glass vase", "quantity": 1, "lot": "B-2026-47"}],
    "carrier": "DHL Express",
    "tracking_number": "JD014600006299",
    "channel": "shop",
    "buyer_country": "FR",
    "ordered_at": "2026-11-20T10:00:00Z",
    "delivered_at": "2026-11-24T15:30:00Z",
}
FAST = {"webhooks_allow_private": True, "webhooks_poll_s": 0.1, "webhooks_retry_base_s": 0.2}


def _documented(doc: dict, method: str, path: str, status: int, content_type: str) -> None:
    operation = doc["paths"][path][method]
    answer = operation["responses"][str(status)]
    assert content_type in answer.get("content", {}), (method, path, status, answer)


async def _login(http: httpx.AsyncClient, email: str) -> dict[str, str]:
    signed_in = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    headers = {
        "Cookie": f"showdesk_session={signed_in.cookies['showdesk_session']}",
        "X-CSRF-Token": signed_in.cookies["csrf_token"],
    }
    http.cookies.clear()
    return headers


async def test_an_order_system_files_a_damage_claim_with_a_verified_bundle(
    server_factory, tmp_path
):
    live = server_factory(**FAST)
    app, url = live.app, live.url
    engine, data_dir = app.state.engine, app.state.settings.data_dir
    create_account(engine, "root@shop.test", "admin", "Root")
    create_account(engine, "ana@shop.test", "agent", "Ana")
    made_key = showdesk(
        data_dir,
        "apikey",
        "create",
        "order system",
        "--scope",
        "links:write",
        "--scope",
        "recordings:read",
        "--json",
    )
    assert made_key.returncode == 0, made_key.stderr
    key = json.loads(made_key.stdout)
    assert key["scopes"] == ["links:write", "recordings:read"]
    system = {"Authorization": f"Bearer {key['key']}"}
    receiver = Receiver()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            doc = (await http.get("/openapi.json")).json()
            admin = await _login(http, "root@shop.test")
            hooked = await http.post(
                "/api/webhooks",
                json={"url": receiver.url, "events": ["call.ended", "outcome.set"]},
                headers=admin,
            )
            assert hooked.status_code == 201, hooked.text
            receiver.secrets = [hooked.json()["secret"]]
            receiver.start()

            # the order system makes the link with its key
            made = await http.post(
                "/api/links",
                json={"order_ref": "FR-9001", "purpose": "damage_verification", "order": ORDER},
                headers=system,
            )
            assert made.status_code == 201, made.text
            _documented(doc, "post", "/api/links", 201, "application/json")

            agent = await _login(http, "ana@shop.test")
            opened = await http.get(made.json()["url"].removeprefix(url), follow_redirects=False)
            call_cookie, csrf = opened.cookies["showdesk_call"], opened.cookies["call_csrf_token"]
            buyer_cookie = f"showdesk_call={call_cookie}; call_csrf_token={csrf}"
            http.cookies.clear()
            async with live_call(url, agent["Cookie"], buyer_cookie) as call:
                await asyncio.sleep(2.0)
                photo = await http.post(
                    f"/api/sessions/{call.session_id}/photos",
                    content=image_bytes("mjpeg", 320, 240),
                    headers={
                        "Content-Type": "image/jpeg",
                        "Cookie": buyer_cookie,
                        "X-CSRF-Token": csrf,
                    },
                )
                assert photo.status_code == 201, photo.text
                await call.end()
            await wait_in_thread(
                lambda: receiver.verified("call.ended"), 20, "a verified call.ended"
            )
            tagged = await http.put(
                f"/api/sessions/{call.session_id}/outcome",
                json={"outcome": "damage", "decision": "refund", "note": "cracked in transit"},
                headers=agent,
            )
            assert tagged.status_code == 200, tagged.text

            # the order system learns it through verified webhooks
            (outcome,) = await wait_in_thread(
                lambda: receiver.verified("outcome.set"), 20, "a verified outcome.set"
            )
            (ended,) = receiver.verified("call.ended")
            for event in (ended, outcome):
                assert event["data"]["call_id"] == call.session_id
                assert event["data"]["order"]["tracking_number"] == "JD014600006299"
            assert (outcome["data"]["outcome"], outcome["data"]["decision"]) == (
                "damage",
                "refund",
            )
            assert {"call.ended", "outcome.set"} <= set(doc["webhooks"])

            # ... and downloads the signed bundle with its key, and the public key
            await wait_in_thread(all_ready(engine, call.session_id), 30, "tracks and review")
            bundle = await http.get(f"/api/sessions/{call.session_id}/bundle", headers=system)
            assert bundle.status_code == 200, bundle.text
            assert bundle.headers["content-type"] == "application/zip"
            _documented(doc, "get", "/api/sessions/{session_id}/bundle", 200, "application/zip")
            pem = await http.get("/api/evidence/public-key")
            assert pem.status_code == 200
            _documented(doc, "get", "/api/evidence/public-key", 200, pem.headers["content-type"])
    finally:
        receiver.stop()

    (tmp_path / "claim.zip").write_bytes(bundle.content)
    (tmp_path / "key.pem").write_bytes(pem.content)
    with zipfile.ZipFile(tmp_path / "claim.zip") as archive:
        order = json.loads(archive.read("order.json"))
        history = json.loads(archive.read("outcome_history.json"))
    assert order["tracking_number"] == "JD014600006299"
    assert "damage" in json.dumps(history) and "refund" in json.dumps(history)
    checked = showdesk(
        data_dir,
        "evidence",
        "verify",
        str(tmp_path / "claim.zip"),
        "--public-key",
        str(tmp_path / "key.pem"),
    )
    assert checked.returncode == 0, checked.stderr
