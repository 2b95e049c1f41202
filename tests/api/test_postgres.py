"""The same code on PostgreSQL: migrations, accounts, links, API keys and stored calls."""

from __future__ import annotations

import itertools
import json
from urllib.parse import urlsplit

import httpx
import pytest
import websockets
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.accounts.apikeys import create_api_key
from server.app import create_app
from server.models import Call, CallEvent
from tests.helpers.accounts import PASSWORD, add_user, login
from tests.helpers.consent import consent_json
from tests.helpers.postgres import fresh_database
from tests.helpers.servers import make_settings
from tests.helpers.stored_calls import store_call
from tests.helpers.waiting import async_wait_until

_names = itertools.count(1)


@pytest.fixture
def pg_url(postgres_admin_url: str) -> str:
    return fresh_database(postgres_admin_url, f"showdesk_{next(_names)}")


def test_migrations_and_the_api_work_on_postgresql(tmp_path, pg_url, clock):
    settings = make_settings(tmp_path, database_url=pg_url)
    create_app(settings)  # migrating twice changes nothing
    app = create_app(settings, clock=clock)
    with TestClient(app, base_url=settings.public_url) as client:
        add_user(app, "admin@shop.test", "admin")
        headers = {"X-CSRF-Token": login(client, "admin@shop.test")}
        made = client.post(
            "/api/users", json={"email": "ana@shop.test", "role": "agent"}, headers=headers
        )
        assert made.status_code == 201
        dup = client.post(
            "/api/users", json={"email": "ANA@shop.test", "role": "agent"}, headers=headers
        )
        assert dup.status_code == 409
        link = client.post(
            "/api/links",
            json={"order_ref": "ORD-PG", "purpose": "remote_inspection", "locale": "pt-BR"},
            headers=headers,
        ).json()
        with Session(app.state.engine, expire_on_commit=False) as db:
            _, key = create_api_key(db, "order system", clock.now())
        by_key = client.post(
            "/api/links",
            json={"order_ref": "ORD-PG2", "purpose": "product_demo"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert by_key.status_code == 201
        buyer = TestClient(app, base_url=settings.public_url)  # own cookies, same app
        path = urlsplit(link["url"]).path
        assert buyer.get(path, follow_redirects=False).status_code == 303
        assert buyer.get("/api/buyer/context").json()["locale"] == "pt-BR"
        assert client.delete(f"/api/links/{link['id']}", headers=headers).status_code == 204
        assert buyer.get("/api/buyer/context").status_code == 401
        clock.advance(13 * 3600)
        assert client.get("/api/me").status_code == 401  # idle sessions end on PostgreSQL too
        statuses = sorted(
            i["status"]
            for i in TestClient(app)
            .get("/api/links", headers={"Authorization": f"Bearer {key}"})
            .json()["items"]
        )
        assert statuses == ["active", "revoked"]


async def test_calls_and_their_timeline_are_stored_on_postgresql(server_factory, pg_url):
    from tests.helpers.ws import HELLO, buyer_cookie, recv_type, ws_url

    server = server_factory(database_url=pg_url)
    cookie = await buyer_cookie(server, "ORD-PG3")
    async with websockets.connect(
        ws_url(server, "buyer"), additional_headers={"Cookie": cookie}
    ) as ws:
        await ws.send(HELLO)
        await ws.send(consent_json(True))
        await recv_type(ws, "call", where=lambda m: m["state"] == "waiting")
        await ws.send(json.dumps({"type": "end"}))
        await recv_type(ws, "call", where=lambda m: m["state"] == "ended")

    def stored() -> tuple[Call | None, list[str]]:
        with Session(server.app.state.engine) as db:
            call = db.exec(select(Call).where(Call.order_ref == "ORD-PG3")).first()
            kinds = [
                e.kind for e in db.exec(select(CallEvent).order_by(CallEvent.t_ms, CallEvent.id))
            ]
        return call, kinds

    async def ended():
        call, _ = stored()
        return call is not None and call.end_reason == "buyer_left_queue"

    await async_wait_until(ended, 5, "the ended call on PostgreSQL")
    assert stored()[1] == ["created", "ended"]


async def test_consent_texts_quick_phrases_and_a_consents_version_work_on_postgresql(
    server_factory, pg_url
):
    from tests.helpers.ws import HELLO, buyer_cookie, recv_type, ws_url

    server = server_factory(database_url=pg_url)
    async with httpx.AsyncClient(base_url=server.url) as client:
        add_user(server.app, "root@shop.test", "admin")
        signed_in = await client.post(
            "/api/auth/login", json={"email": "root@shop.test", "password": PASSWORD}
        )
        headers = {"X-CSRF-Token": signed_in.cookies["csrf_token"]}
        texts = (await client.get("/api/consent-texts", params={"locale": "zh-TW"})).json()["items"]
        assert [t["version"] for t in texts] == [1, 1, 1]
        published = await client.post(
            "/api/consent-texts",
            json={
                "purpose": "damage_verification",
                "locale": "de",
                "title": "Zeigen Sie es uns",
                "paragraphs": ["{shop}, Bestellung {order}."],
                "recorded_note": "Aufgezeichnet.",
            },
            headers=headers,
        )
        assert published.status_code == 201 and published.json()["version"] == 2
        phrases = (await client.get("/api/quick-phrases")).json()["items"]
        assert phrases[7]["texts"]["ko"] == "제 말 들리세요?"
        changed = await client.patch(
            f"/api/quick-phrases/{phrases[0]['id']}",
            json={"texts": {"en": "Turn it over.", "tr": "Çevirin."}},
            headers=headers,
        )
        assert changed.status_code == 200 and changed.json()["texts"]["tr"] == "Çevirin."
        me = await client.patch("/api/me", json={"locale": "zh-CN"}, headers=headers)
        assert me.json()["locale"] == "zh-CN"
    cookie = await buyer_cookie(server, "ORD-PG4")
    async with websockets.connect(
        ws_url(server, "buyer"), additional_headers={"Cookie": cookie}
    ) as ws:
        await ws.send(HELLO)
        consent = {"locale": "de", "consent_version": 1, "timezone": "Europe/Berlin"}
        await ws.send(json.dumps({"type": "consent", "accept": False, **consent}))
        await recv_type(ws, "call", where=lambda m: m["state"] == "ended")

    def stored() -> Call | None:
        with Session(server.app.state.engine) as db:
            return db.exec(select(Call).where(Call.order_ref == "ORD-PG4")).first()

    async def declined():
        call = stored()
        return call is not None and call.consent_decision == "declined"

    await async_wait_until(declined, 5, "the declined call on PostgreSQL")
    call = stored()
    assert (call.consent_locale, call.consent_version, call.buyer_timezone) == (
        "de",
        1,
        "Europe/Berlin",
    )


def test_the_review_list_searches_a_prefix_and_counts_unreached_calls_on_postgresql(
    tmp_path, pg_url, clock
):
    app = create_app(make_settings(tmp_path, database_url=pg_url), clock=clock)
    agent_id = add_user(app, "agent@shop.test", "agent")
    add_user(app, "sup@shop.test", "supervisor")
    for ref in ("ORD-1042", "ORD-10420", "X_1%", "XA1%"):
        store_call(app, ref, agent_id=agent_id)
    store_call(app, "ORD-9", agent_id=None)
    with TestClient(app) as client:
        login(client, "sup@shop.test")

        def refs(prefix: str) -> set[str]:
            answer = client.get("/api/sessions", params={"order_ref": prefix})
            assert answer.status_code == 200, answer.text
            return {i["order_ref"] for i in answer.json()["items"]}

        assert refs("ORD-104") == {"ORD-1042", "ORD-10420"}
        assert refs("X_") == {"X_1%"}
        assert refs("ord") == set()  # case-sensitive, as on SQLite
        counts = client.get("/api/sessions").json()["counts"]
        assert (counts["not_reached"], counts["untagged"]) == (1, 4)
