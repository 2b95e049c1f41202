"""The evidence bundle over the API for a stored call (no recording): chat as JSON and
text, the order, a manifest signed with the key the server serves, which stays the same;
a signature by another key is refused; who may make one."""

from __future__ import annotations

import io
import json
import zipfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.evidence.bundle import verify_bundle
from server.infra import signing
from tests.helpers.accounts import add_user, login
from tests.helpers.orders import with_order
from tests.helpers.stored_calls import store_call


def test_a_bundle_of_a_stored_call_verifies_with_the_served_key_and_not_with_another(
    app, client, tmp_path
):
    agent_id = add_user(app, "ana@shop.test", "agent", "Ana")
    add_user(app, "sue@shop.test", "supervisor", "Sue")
    call_id = store_call(app, "ORD-B2", agent_id=agent_id, chat=(("buyer", "The lid is cracked."),))
    with_order(app, call_id, {"lines": [], "carrier": "UPS", "buyer_country": "FR"})
    login(client, "ana@shop.test")
    assert client.get(f"/api/sessions/{call_id}/bundle").status_code == 403  # own agent
    login(client, "sue@shop.test")
    answer = client.get(f"/api/sessions/{call_id}/bundle")
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    path = tmp_path / "b.zip"
    path.write_bytes(answer.content)
    client.cookies.clear()
    pem = client.get("/api/evidence/public-key")
    assert pem.status_code == 200 and pem.content == client.get("/api/evidence/public-key").content
    assert verify_bundle(path, signing.load_public_key(pem.content)) == []
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert "buyer: The lid is cracked." in archive.read("chat.txt").decode()
        assert json.loads(archive.read("chat.json"))[0]["text"] == "The lid is cracked."
        assert json.loads(archive.read("order.json"))["carrier"] == "UPS"
        assert not [n for n in archive.namelist() if n.startswith(("tracks/", "photos/"))]
    other = Ed25519PrivateKey.generate().public_key()
    assert [str(p) for p in verify_bundle(path, other)] == [
        "signature: manifest.sig does not sign manifest.json"
    ]


def test_no_bundle_without_signing_in_and_none_of_an_unknown_call(app, client):
    call_id = store_call(app, "ORD-B3", agent_id=None)
    assert client.get(f"/api/sessions/{call_id}/bundle").status_code == 401
    add_user(app, "sue@shop.test", "supervisor", "Sue")
    login(client, "sue@shop.test")
    missing = client.get("/api/sessions/nosuchcall/bundle")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
