"""Buyer links: create, list, revoke, redeem; unknown/expired/revoked look the same."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.models import Call
from server.models.link import Link
from signaling.vocabulary import CallState, EndReason, Purpose
from tests.helpers.accounts import add_user, login
from tests.helpers.stored_calls import store_call

LINK = {"order_ref": "ORD-1001", "purpose": "damage_verification", "locale": "de"}


@pytest.fixture
def agent(app, client):
    add_user(app, "ana@shop.test", "agent", "Ana")
    return {"X-CSRF-Token": login(client, "ana@shop.test")}


def _path(url: str) -> str:
    return urlsplit(url).path


def _open(app, path: str) -> tuple[int, str, TestClient]:
    buyer = TestClient(app, base_url=app.state.settings.public_url)
    answer = buyer.get(path, headers={"accept": "text/html"}, follow_redirects=False)
    return answer.status_code, answer.text, buyer


def test_created_link_has_a_256_bit_token_url_and_default_expiry_of_72_hours(client, agent, clock):
    answer = client.post("/api/links", json=LINK, headers=agent)
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"id", "url", "expires_at"}
    assert body["url"].startswith(client.app.state.settings.public_url + "/j/")
    token = _path(body["url"]).removeprefix("/j/")
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    from datetime import datetime

    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs((expires - clock.now()).total_seconds() - 72 * 3600) < 1


def test_listing_links_never_shows_tokens_or_hashes(client, agent):
    url = client.post("/api/links", json=LINK, headers=agent).json()["url"]
    listing = client.get("/api/links")
    assert listing.status_code == 200
    token = _path(url).removeprefix("/j/")
    assert token not in listing.text and "token" not in listing.text
    item = listing.json()["items"][0]
    assert item["order_ref"] == "ORD-1001" and item["status"] == "active"


def test_only_the_hash_of_a_token_is_stored(app, client, agent):
    url = client.post("/api/links", json=LINK, headers=agent).json()["url"]
    token = _path(url).removeprefix("/j/")
    with app.state.engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(text("SELECT * FROM link")).fetchall()
    assert rows and all(token not in str(row) for row in rows)


def test_opening_a_link_sets_a_call_cookie_and_moves_off_the_token_url(app, client, agent):
    url = client.post("/api/links", json=LINK, headers=agent).json()["url"]
    status, _, buyer = _open(app, _path(url))
    assert status == 303
    assert buyer.cookies.get("showdesk_call")
    context = buyer.get("/api/buyer/context").json()
    assert context["order_ref"] == "ORD-1001" and context["shop_name"] == "Test Shop"
    # a link may be opened again until it expires (the buyer may come back)
    assert _open(app, _path(url))[0] == 303


def test_the_buyer_context_says_how_many_calls_the_link_has_left_and_if_one_was_answered(
    app, client, agent, clock
):
    one = client.post("/api/links", json={**LINK, "max_calls": 1}, headers=agent).json()
    plain = client.post("/api/links", json=LINK, headers=agent).json()
    _, _, buyer_one = _open(app, _path(one["url"]))
    _, _, buyer_plain = _open(app, _path(plain["url"]))
    before = buyer_one.get("/api/buyer/context").json()
    assert before["calls_left"] == 1 and before["last_call"] is None
    assert before["expires_at"] == one["expires_at"]
    default = app.state.settings.max_calls_per_link  # a link without its own max_calls
    assert buyer_plain.get("/api/buyer/context").json()["calls_left"] == default

    with Session(app.state.engine) as db:
        link_one, link_plain = (db.get(Link, made["id"]) for made in (one, plain))
    store_call(app, "ORD-1001", agent_id=None, end_reason=EndReason.QUEUE_TIMEOUT, link=link_one)
    after = buyer_one.get("/api/buyer/context").json()
    assert after["calls_left"] == 0
    assert after["last_call"]["end_reason"] == "queue_timeout"
    assert after["last_call"]["answered"] is False

    user_id = add_user(app, "answering@shop.test", "agent", "Ann Swer")
    store_call(app, "ORD-1001", agent_id=user_id, link=link_plain)
    answered = buyer_plain.get("/api/buyer/context").json()
    assert answered["calls_left"] == default - 1 and answered["last_call"]["answered"] is True


def test_unknown_expired_and_revoked_links_get_the_same_404(app, client, agent, clock):
    made = [client.post("/api/links", json=LINK, headers=agent).json() for _ in range(2)]
    short = client.post("/api/links", json={**LINK, "expires_in_s": 600}, headers=agent).json()
    assert client.delete(f"/api/links/{made[0]['id']}", headers=agent).status_code == 204
    clock.advance(601)
    unknown = _open(app, "/j/" + "A" * 43)
    revoked = _open(app, _path(made[0]["url"]))
    expired = _open(app, _path(short["url"]))
    assert unknown[0] == revoked[0] == expired[0] == 404
    assert unknown[1] == revoked[1] == expired[1]
    assert _open(app, _path(made[1]["url"]))[0] == 303  # the others still work
    statuses = {i["id"]: i["status"] for i in client.get("/api/links").json()["items"]}
    assert statuses == {made[0]["id"]: "revoked", made[1]["id"]: "active", short["id"]: "expired"}


def test_revoking_a_link_ends_the_buyer_credential_already_handed_out(app, client, agent):
    made = client.post("/api/links", json=LINK, headers=agent).json()
    _, _, buyer = _open(app, _path(made["url"]))
    assert buyer.get("/api/buyer/context").status_code == 200
    client.delete(f"/api/links/{made['id']}", headers=agent)
    assert buyer.get("/api/buyer/context").status_code == 401


def test_buyer_credential_is_refused_on_staff_routes(app, client, agent):
    url = client.post("/api/links", json=LINK, headers=agent).json()["url"]
    _, _, buyer = _open(app, _path(url))
    assert buyer.get("/api/links").status_code == 401
    assert buyer.get("/api/me").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"purpose": "damage_verification"},
        {"order_ref": "", "purpose": "damage_verification"},
        {"order_ref": "x" * 101, "purpose": "damage_verification"},
        {"order_ref": "A1", "purpose": "haircut"},
        {"order_ref": "A1", "purpose": "product_demo", "locale": "not a locale"},
        {"order_ref": "A1", "purpose": "product_demo", "note": "n" * 1001},
        {"order_ref": "A1", "purpose": "product_demo", "expires_in_s": 10},
        {"order_ref": "A1", "purpose": "product_demo", "expires_in_s": 10**9},
        {"order_ref": "A1", "purpose": "product_demo", "expires_in_s": "soon"},
        {"order_ref": ["A1"], "purpose": "product_demo"},
        {"order_ref": "A1", "purpose": "product_demo", "token": "mine"},
    ],
)
def test_bad_link_input_is_a_422_and_creates_nothing(client, agent, body):
    answer = client.post("/api/links", json=body, headers=agent)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "validation_error"
    assert client.get("/api/links").json()["items"] == []


def test_malformed_json_body_is_a_422(client, agent):
    answer = client.post(
        "/api/links", content=b"{not json", headers={**agent, "content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "validation_error"


def test_revoking_an_unknown_link_is_a_404(client, agent):
    answer = client.delete("/api/links/4242", headers=agent)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"order_ref": "   ", "purpose": "product_demo"},
        {"order_ref": "A\u0000B", "purpose": "product_demo"},
        {"order_ref": "A\nB", "purpose": "product_demo"},
        {"order_ref": "A1", "purpose": "product_demo", "expires_in_s": "3600"},
        {"order_ref": "A1", "purpose": "product_demo", "expires_in_s": 3600.5},
        {"order_ref": "A1", "purpose": "product_demo", "buyer_name": " "},
    ],
)
def test_blank_control_character_and_wrongly_typed_link_fields_are_refused(client, agent, body):
    answer = client.post("/api/links", json=body, headers=agent)
    assert answer.status_code == 422, answer.text
    assert client.get("/api/links").json()["items"] == []


def test_order_reference_is_stored_trimmed(client, agent):
    made = client.post("/api/links", json={**LINK, "order_ref": "  ORD-9 "}, headers=agent)
    assert made.status_code == 201
    assert client.get("/api/links").json()["items"][0]["order_ref"] == "ORD-9"


@pytest.mark.parametrize("link_id", ["99999999999999999999999", "0", "-1", "abc"])
def test_out_of_range_link_ids_are_a_422_not_a_server_error(client, agent, link_id):
    assert client.delete(f"/api/links/{link_id}", headers=agent).status_code == 422


def test_a_link_whose_call_is_over_is_listed_with_its_call_ended(app, client, agent):
    created = client.post(
        "/api/links", json={"order_ref": "ORD-UNUSED", "purpose": "product_demo"}, headers=agent
    )
    assert created.status_code == 201
    store_call(app, "ORD-OVER", agent_id=None)
    listed = {i["order_ref"]: i for i in client.get("/api/links").json()["items"]}
    assert (listed["ORD-OVER"]["status"], listed["ORD-OVER"]["call_state"]) == ("active", "ended")
    assert listed["ORD-OVER"]["calls_used"] == 1
    assert listed["ORD-UNUSED"]["call_state"] is None
    assert listed["ORD-UNUSED"]["calls_used"] == 0


def _calls_on(app, link_id: int, count: int, end_reason: EndReason) -> None:
    """``count`` ended calls started from the link (a declined consent is a call too)."""
    now = app.state.clock.now()
    with Session(app.state.engine) as db:
        for n in range(count):
            db.add(
                Call(
                    id=f"onlink{link_id}x{n}",
                    link_id=link_id,
                    order_ref="ORD-CALLS",
                    purpose=Purpose.DAMAGE_VERIFICATION,
                    state=CallState.ENDED,
                    created_at=now - timedelta(seconds=60 - n),
                    ended_at=now - timedelta(seconds=59 - n),
                    end_reason=end_reason,
                )
            )
        db.commit()


def test_a_link_counts_the_calls_it_started_and_those_it_may_still_start(app, client, agent):
    default = app.state.settings.max_calls_per_link
    ids = {}
    for order_ref, max_calls in (("ORD-ONE-OF-3", None), ("ORD-TWO-OF-2", 2), ("ORD-NEW", None)):
        body = {"order_ref": order_ref, "purpose": "damage_verification"}
        if max_calls:
            body["max_calls"] = max_calls
        ids[order_ref] = client.post("/api/links", json=body, headers=agent).json()["id"]
    _calls_on(app, ids["ORD-ONE-OF-3"], 1, EndReason.BUYER_DECLINED)
    _calls_on(app, ids["ORD-TWO-OF-2"], 2, EndReason.AGENT_ENDED)
    listed = {i["order_ref"]: i for i in client.get("/api/links").json()["items"]}
    one = listed["ORD-ONE-OF-3"]
    # a declined consent used one of the link's calls, and the link can still start more
    assert (one["call_state"], one["calls_used"], one["calls_left"]) == ("ended", 1, default - 1)
    assert default - 1 > 0
    two = listed["ORD-TWO-OF-2"]
    assert (two["max_calls"], two["calls_used"], two["calls_left"]) == (2, 2, 0)
    fresh = listed["ORD-NEW"]
    assert (fresh["call_state"], fresh["calls_used"], fresh["calls_left"]) == (None, 0, default)


def test_the_link_listing_is_described_exactly_in_the_openapi_schema(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    link = schemas["LinkOut"]
    for name in ("calls_used", "calls_left"):
        assert link["properties"][name]["type"] == "integer", link["properties"][name]
        assert name in link["required"]
    assert "declined ones included" in link["properties"]["calls_used"]["description"]
    assert "used up" in link["properties"]["calls_left"]["description"]
    assert set(link["properties"]) == {
        "order_ref",
        "purpose",
        "locale",
        "buyer_name",
        "note",
        "max_calls",
        "id",
        "created_at",
        "expires_at",
        "revoked_at",
        "status",
        "call_state",
        "calls_used",
        "calls_left",
        "created_by_user_id",
        "created_by_api_key_id",
        "order",
    }
