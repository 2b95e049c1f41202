"""Webhooks against a real server on loopback and a real receiver that verifies each
delivery with the ``standardwebhooks`` library: signatures, retries after a receiver
came back, a wrong secret, a rotation's overlap, redirects, the address check,
disabling, replay and the API key scope."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.accounts.apikeys import create_api_key
from server.app import create_app
from server.infra.log_redaction import redact
from server.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from server.webhooks.delivery import WebhookSender, retry_delay_s
from server.webhooks.endpoints import new_secret
from server.webhooks.events import EVENT_TYPES
from tests.helpers.accounts import add_user, login
from tests.helpers.consent import consent_message
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.people import buyer, staff
from tests.helpers.postgres import fresh_database
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import store_call, tag
from tests.helpers.waiting import wait_until
from tests.helpers.webhook_receiver import Receiver

FAST_RETRIES = {
    "webhooks_allow_private": True,
    "webhooks_poll_s": 0.1,
    "webhooks_retry_base_s": 0.2,
    "webhooks_retry_max_s": 0.5,
}


@pytest.fixture
def server(server_factory: Callable[..., LiveServer]) -> LiveServer:
    return server_factory(**FAST_RETRIES)


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    """An admin's client on ``server``, signed in, sending the CSRF header."""
    add_user(server.app, "root@shop.test", "admin")
    with httpx.Client(base_url=server.url) as client:
        client.headers["X-CSRF-Token"] = login(client, "root@shop.test")
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


def _endpoint(admin: httpx.Client, url: str, events: list[str]) -> dict:
    made = admin.post("/api/webhooks", json={"url": url, "events": events})
    assert made.status_code == 201, made.text
    return made.json()


def _tagged_call(server: LiveServer, order_ref: str = "ORD-7") -> str:
    """An answered, ended call whose agent then sets its outcome through the API."""
    agent_id = add_user(server.app, f"ana-{order_ref}@shop.test", "agent")
    call_id = store_call(server.app, order_ref, agent_id=agent_id)
    tag(server, f"ana-{order_ref}@shop.test", call_id, "damage", "refund")
    return call_id


def _deliveries(admin: httpx.Client, endpoint_id: int) -> list[dict]:
    answer = admin.get(f"/api/webhooks/{endpoint_id}/deliveries")
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_an_outcome_set_through_the_api_reaches_the_receiver_signed(server, admin, receiver):
    made = _endpoint(admin, receiver.url, ["outcome.set", "outcome.changed"])
    assert made["secret"].startswith("whsec_") and made["enabled"] is True
    receiver.secrets = [made["secret"]]
    receiver.start()
    call_id = _tagged_call(server)

    events = wait_until(lambda: receiver.verified("outcome.set"), 10, "outcome.set verified")
    event = events[0]
    assert event["id"].startswith("evt_") and event["version"] == 1
    assert event["data"]["call_id"] == call_id and event["data"]["order_ref"] == "ORD-7"
    assert (event["data"]["outcome"], event["data"]["decision"]) == ("damage", "refund")
    assert receiver.received[0].headers["webhook-id"] == event["id"]

    log = wait_until(
        lambda: [d for d in _deliveries(admin, made["id"]) if d["state"] == "delivered"],
        5,
        "the delivery log to say delivered",
    )
    assert log[0]["event_id"] == event["id"] and log[0]["attempts"] == 1
    attempt = log[0]["attempt_log"][0]
    assert attempt["status_code"] == 204 and attempt["error"] is None
    assert attempt["response_ms"] >= 0
    listed = admin.get("/api/webhooks").json()["items"]
    assert [e["id"] for e in listed] == [made["id"]] and "secret" not in listed[0]


def test_a_receiver_that_was_down_gets_the_event_after_retries(server, admin, receiver):
    made = _endpoint(admin, receiver.url, ["outcome.set"])
    receiver.secrets = [made["secret"]]
    _tagged_call(server)

    def failed_twice() -> list[dict]:
        items = _deliveries(admin, made["id"])
        return items if items and items[0]["attempts"] >= 2 else []

    tried = wait_until(failed_twice, 10, "two failed attempts")[0]
    assert tried["state"] == "pending" and tried["attempt_log"][0]["status_code"] is None
    assert tried["attempt_log"][0]["error"]
    receiver.start()

    wait_until(lambda: receiver.verified("outcome.set"), 10, "delivery once the receiver is up")
    done = wait_until(
        lambda: [d for d in _deliveries(admin, made["id"]) if d["state"] == "delivered"],
        5,
        "delivered in the log",
    )[0]
    assert done["attempts"] >= 3 and done["attempt_log"][-1]["status_code"] == 204
    assert all(a["status_code"] is None for a in done["attempt_log"][:-1])
    assert admin.get(f"/api/webhooks/{made['id']}").json()["consecutive_failures"] == 0


def test_a_receiver_with_another_secret_rejects_the_delivery(server, admin, receiver):
    made = _endpoint(admin, receiver.url, ["outcome.set"])
    receiver.secrets = [new_secret()]  # not this endpoint's
    receiver.start()
    _tagged_call(server)

    wait_until(lambda: len(receiver.received) >= 2, 10, "deliveries retried after a 400")
    assert receiver.verified() == []
    assert "signature" in (receiver.received[0].error or "").lower()
    first = _deliveries(admin, made["id"])[0]
    assert first["state"] == "pending" and first["attempt_log"][0]["status_code"] == 400


def test_both_secrets_sign_during_a_rotations_overlap(server, admin, receiver):
    made = _endpoint(admin, receiver.url, ["outcome.set", "outcome.changed"])
    old = made["secret"]
    rotated = admin.post(f"/api/webhooks/{made['id']}/rotate-secret", json={"overlap_s": 3600})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["secret_rotating_until"] is not None
    receiver.secrets = [old]
    receiver.start()
    _tagged_call(server, "ORD-OLD")
    wait_until(lambda: receiver.verified("outcome.set"), 10, "verified with the old secret")
    receiver.secrets = [new]
    _tagged_call(server, "ORD-NEW")
    wait_until(lambda: len(receiver.verified("outcome.set")) == 2, 10, "verified with the new")
    assert len(receiver.received[-1].headers["webhook-signature"].split(" ")) == 2

    ended = admin.post(f"/api/webhooks/{made['id']}/rotate-secret", json={"overlap_s": 0})
    receiver.secrets = [new]  # the secret before this rotation: no longer signs
    _tagged_call(server, "ORD-AFTER")
    wait_until(lambda: len(receiver.received) >= 4, 10, "a delivery after the overlap ended")
    assert receiver.received[3].event is None
    assert len(receiver.received[3].headers["webhook-signature"].split(" ")) == 1
    receiver.secrets = [ended.json()["secret"]]
    wait_until(lambda: len(receiver.verified("outcome.set")) == 3, 10, "the retry verified")


def test_a_redirect_is_not_followed(server, admin, receiver):
    made = _endpoint(admin, receiver.url, ["outcome.set"])
    receiver.mode = "redirect"
    receiver.start()
    _tagged_call(server)
    wait_until(lambda: len(receiver.received) >= 2, 10, "the redirect answered twice")
    assert receiver.landed == 0
    attempt = _deliveries(admin, made["id"])[0]["attempt_log"][0]
    assert attempt["status_code"] == 307 and "not followed" in attempt["error"]


def test_a_receiver_that_answers_too_late_is_an_attempt_that_timed_out(server_factory, receiver):
    server = server_factory(**FAST_RETRIES, webhooks_timeout_s=0.5)
    add_user(server.app, "root@shop.test", "admin")
    with httpx.Client(base_url=server.url) as admin:
        admin.headers["X-CSRF-Token"] = login(admin, "root@shop.test")
        made = _endpoint(admin, receiver.url, ["outcome.set"])
        receiver.secrets = [made["secret"]]
        receiver.mode, receiver.slow_s = "slow", 3.0
        receiver.start()
        _tagged_call(server)

        def timed_out() -> dict | None:
            items = _deliveries(admin, made["id"])
            log = items[0]["attempt_log"] if items else []
            return log[0] if log and log[0]["error"] else None

        attempt = wait_until(timed_out, 10, "the first attempt to time out")
        assert attempt["status_code"] is None and "no answer within 0.5 s" in attempt["error"]
        assert _deliveries(admin, made["id"])[0]["state"] != "delivered"
        receiver.mode = "verify"
        wait_until(lambda: receiver.verified("outcome.set"), 15, "delivered once it answers")


def test_an_endpoint_that_keeps_failing_is_disabled_and_enabling_it_delivers(
    server_factory, receiver
):
    server = server_factory(**FAST_RETRIES, webhooks_disable_after_failures=3)
    add_user(server.app, "root@shop.test", "admin")
    with httpx.Client(base_url=server.url) as admin:
        admin.headers["X-CSRF-Token"] = login(admin, "root@shop.test")
        made = _endpoint(admin, receiver.url, ["outcome.set"])
        receiver.secrets = [made["secret"]]
        receiver.mode = "fail"
        receiver.start()
        _tagged_call(server)

        def disabled() -> dict | None:
            shown = admin.get(f"/api/webhooks/{made['id']}").json()
            return shown if not shown["enabled"] else None

        shown = wait_until(disabled, 10, "the endpoint disabled")
        assert shown["consecutive_failures"] == 3 and "3 times" in shown["disabled_reason"]
        count = len(receiver.received)
        receiver.mode = "verify"
        enabled = admin.patch(f"/api/webhooks/{made['id']}", json={"enabled": True})
        assert enabled.status_code == 200 and enabled.json()["disabled_reason"] is None
        wait_until(lambda: receiver.verified("outcome.set"), 10, "delivered once enabled")
        assert count == 3


def test_a_replay_sends_the_same_event_again(server, admin, receiver):
    made = _endpoint(admin, receiver.url, ["outcome.set"])
    receiver.secrets = [made["secret"]]
    receiver.start()
    _tagged_call(server)
    wait_until(lambda: receiver.verified("outcome.set"), 10, "the first delivery")
    delivered = wait_until(
        lambda: [d for d in _deliveries(admin, made["id"]) if d["state"] == "delivered"], 5, "log"
    )[0]
    again = admin.post(f"/api/webhooks/{made['id']}/deliveries/{delivered['id']}/replay")
    assert again.status_code == 202, again.text
    events = wait_until(lambda: receiver.verified("outcome.set")[1:], 10, "the replay")
    assert events[0]["id"] == delivered["event_id"]
    missing = admin.post(f"/api/webhooks/{made['id']}/deliveries/999999/replay")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_addresses_are_refused_without_the_setting(client, app, url):
    add_user(app, "root@shop.test", "admin")
    headers = {"X-CSRF-Token": login(client, "root@shop.test")}
    answer = client.post(
        "/api/webhooks", json={"url": url, "events": ["call.ended"]}, headers=headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "webhook_address_refused"
    assert client.get("/api/webhooks", headers=headers).json()["items"] == []


def test_a_public_address_and_only_known_events_are_accepted(client, app):
    add_user(app, "root@shop.test", "admin")
    headers = {"X-CSRF-Token": login(client, "root@shop.test")}
    ok = client.post(
        "/api/webhooks",
        json={"url": "https://93.184.215.14/hooks", "events": ["call.ended", "call.live"]},
        headers=headers,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["events"] == ["call.live", "call.ended"]
    for body in (
        {"url": "https://93.184.215.14/hooks", "events": ["call.exploded"]},
        {"url": "https://93.184.215.14/hooks", "events": []},
        {"url": "ftp://93.184.215.14/hooks", "events": ["call.ended"]},
        {"url": "https://user:pw@93.184.215.14/hooks", "events": ["call.ended"]},
    ):
        refused = client.post("/api/webhooks", json=body, headers=headers)
        assert refused.status_code == 422, (body, refused.text)
        assert set(refused.json()) == {"error"}


def test_api_keys_need_the_webhooks_scope(client, app, clock):
    with Session(app.state.engine, expire_on_commit=False) as db:
        _, writer = create_api_key(db, "hooks", clock.now(), scopes=["webhooks:write"])
        _, other = create_api_key(db, "links", clock.now(), scopes=["links:write"])
    allowed = client.get("/api/webhooks", headers={"Authorization": f"Bearer {writer}"})
    assert allowed.status_code == 200 and allowed.json() == {"items": []}
    refused = client.get("/api/webhooks", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "missing_scope"
    assert client.get("/api/webhooks").status_code == 401


def test_the_openapi_document_describes_every_event_body(client):
    doc = client.get("/openapi.json").json()
    # one list of event types (server/webhooks/events.py) makes the document's section,
    # and /admin's event choices are read from it; the minimum is in it
    assert list(doc["webhooks"]) == list(EVENT_TYPES)
    assert {
        "call.waiting",
        "call.live",
        "call.ended",
        "outcome.set",
        "outcome.changed",
        "photo.added",
        "recording.ready",
        "case.submitted",
        "case.outcome_set",
        "case.replied",
        "case.outcome_changed",
    } <= set(doc["webhooks"])
    ref = doc["webhooks"]["outcome.set"]["post"]["requestBody"]["content"]["application/json"]
    schema = doc["components"]["schemas"][ref["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"id", "type", "timestamp", "version", "data"} <= set(schema["properties"])
    assert "/api/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay" in doc["paths"]
    schemas = doc["components"]["schemas"]
    for data in ("CallData", "OutcomeData", "CaseSubmittedData"):
        order = schemas[data]["properties"]["order"]["anyOf"]
        assert {"$ref": "#/components/schemas/OrderData"} in order and {"type": "null"} in order
    assert set(schemas["OrderData"]["required"]) == set(schemas["OrderData"]["properties"])
    assert "OrderPublic" in schemas and "OrderPublic-Input" not in schemas
    files = schemas["CaseSubmittedData"]["properties"]["files"]["items"]["$ref"]
    assert "sha256" in schemas[files.rsplit("/", 1)[1]]["required"]


def test_webhooks_are_delivered_from_postgresql(server_factory, postgres_admin_url, receiver):
    pg_url = fresh_database(postgres_admin_url, "showdesk_webhooks")
    server = server_factory(database_url=pg_url, **FAST_RETRIES)
    add_user(server.app, "root@shop.test", "admin")
    with httpx.Client(base_url=server.url) as admin:
        admin.headers["X-CSRF-Token"] = login(admin, "root@shop.test")
        made = _endpoint(admin, receiver.url, ["outcome.set"])
        receiver.secrets = [made["secret"]]
        _tagged_call(server)
        wait_until(lambda: _deliveries(admin, made["id"])[0]["attempts"] >= 1, 10, "a try")
        receiver.start()
        event = wait_until(lambda: receiver.verified("outcome.set"), 10, "delivered")[0]
        done = wait_until(
            lambda: [d for d in _deliveries(admin, made["id"]) if d["state"] == "delivered"],
            5,
            "delivered in the log",
        )[0]
    assert done["event_id"] == event["id"] and done["attempt_log"][-1]["status_code"] == 204


def test_an_override_is_sent_as_outcome_changed_and_no_secret_is_logged(
    server, admin, receiver, caplog
):
    caplog.set_level(logging.DEBUG)
    made = _endpoint(admin, receiver.url, ["outcome.changed"])
    rotated = admin.post(f"/api/webhooks/{made['id']}/rotate-secret").json()
    receiver.secrets = [rotated["secret"]]
    receiver.start()
    call_id = _tagged_call(server)
    add_user(server.app, "sue@shop.test", "supervisor")
    with httpx.Client(base_url=server.url) as supervisor:
        csrf = login(supervisor, "sue@shop.test")
        answer = supervisor.post(
            f"/api/sessions/{call_id}/review",
            json={
                "action": "override",
                "outcome": "misuse",
                "decision": "reject",
                "reason": "seal",
            },
            headers={"X-CSRF-Token": csrf},
        )
    assert answer.status_code == 200, answer.text
    event = wait_until(lambda: receiver.verified("outcome.changed"), 10, "outcome.changed")[0]
    assert event["data"]["action"] == "override" and event["data"]["reason"] == "seal"
    assert event["data"]["outcome"] == "misuse"
    assert receiver.verified("outcome.set") == []  # not asked for
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "webhook" in logged
    for secret in (made["secret"], rotated["secret"]):
        assert secret not in logged and secret.removeprefix("whsec_") not in logged


def test_backoff_doubles_with_jitter_up_to_its_cap(settings):
    rng = random.Random(7)
    delays = [retry_delay_s(n, settings, rng) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        plain = min(settings.webhooks_retry_max_s, settings.webhooks_retry_base_s * 2 ** (n - 1))
        assert 0.75 * plain <= delay <= 1.25 * plain
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered, never in lockstep
    retries = 0
    waited = 0.0
    while waited <= settings.webhooks_retry_horizon_s:
        retries += 1
        waited += min(
            settings.webhooks_retry_max_s, settings.webhooks_retry_base_s * 2 ** (retries - 1)
        )
    assert 25 <= retries <= 40  # about a day of retries with the defaults


def test_old_settled_deliveries_are_pruned_and_pending_ones_kept(app, settings, clock):
    now = clock.now()
    with Session(app.state.engine) as db:
        endpoint = WebhookEndpoint(
            url="https://93.184.215.14/h",
            events="call.ended",
            secret=new_secret(),
            created_at=now,
            updated_at=now,
        )
        db.add(endpoint)
        db.flush()
        for state, age_days in (
            ("delivered", 40),
            ("failed", 40),
            ("pending", 40),
            ("delivered", 1),
        ):
            db.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=f"evt_{state}{age_days}",
                    event_type="call.ended",
                    payload={},
                    state=state,
                    created_at=now - timedelta(days=age_days),
                    next_attempt_at=now,
                )
            )
        db.commit()
    assert WebhookSender(app.state.engine, settings).prune(now) == 2
    with Session(app.state.engine) as db:
        left = sorted(d.event_id for d in db.exec(select(WebhookDelivery)))
    assert left == ["evt_delivered1", "evt_pending40"]


def test_a_call_through_the_socket_sends_its_events_and_its_photo(settings, clock, receiver):
    app = create_app(settings.model_copy(update=FAST_RETRIES), clock=clock)
    with TestClient(app, base_url=settings.public_url) as client:
        admin_person, _ = staff(client, app, "root@shop.test", "admin")
        made = admin_person.post(
            "/api/webhooks",
            json={"url": receiver.url, "events": ["call.waiting", "call.live", "photo.added"]},
        ).json()
        receiver.secrets = [made["secret"]]
        receiver.start()
        agent, _ = staff(client, app, "ann@shop.test", "agent")
        _, url = make_link(app, "ORD-SOCK")
        the_buyer = buyer(client, url)
        with ExitStack() as stack:
            agent_ws = stack.enter_context(_socket(client, agent, "staff"))
            agent_ws.send_json({"type": "set_availability", "state": "available"})
            buyer_ws = stack.enter_context(_socket(client, the_buyer, "buyer"))
            buyer_ws.send_json(consent_message(True))
            session_id = _recv(buyer_ws, "call")["session_id"]
            agent_ws.send_json({"type": "accept", "session_id": session_id})
            assert _recv(buyer_ws, "call")["state"] == "live"
            uploaded = the_buyer.post(
                f"/api/sessions/{session_id}/photos",
                content=image_bytes("mjpeg", 320, 240),
                headers={"Content-Type": "image/jpeg"},
            )
            assert uploaded.status_code == 201, uploaded.text
            got = wait_until(
                lambda: len(receiver.verified()) >= 3 and receiver.verified(), 10, "three events"
            )
    # each once; the call store writes call.live on its own task, so the photo's
    # transaction may commit (and be sent) first: receivers order by timestamp
    by_type = {e["type"]: e for e in got}
    assert sorted(e["type"] for e in got) == ["call.live", "call.waiting", "photo.added"]
    assert {e["data"]["call_id"] for e in got} == {session_id}
    photo = by_type["photo.added"]["data"]
    assert (
        photo["photo_id"] == uploaded.json()["id"] and photo["sha256"] == uploaded.json()["sha256"]
    )
    live = by_type["call.live"]["data"]
    assert live["agent_id"] is not None and live["state"] == "live"


@contextmanager
def _socket(client: TestClient, person, as_: str):
    client.cookies.clear()
    for name, value in person.cookies.items():
        client.cookies.set(name, value)
    with client.websocket_connect(f"/ws?as={as_}") as ws:
        client.cookies.clear()
        ws.send_json({"type": "hello", "v": 1})
        _recv(ws, "welcome")
        yield ws


def _recv(ws, wanted: str) -> dict:
    for _ in range(50):
        message = ws.receive_json()
        if message["type"] == wanted:
            return message
    raise AssertionError(f"no {wanted!r}")


def test_a_start_sends_at_once_what_a_killed_process_had_claimed(settings, clock, receiver):
    now = clock.now()
    app = create_app(settings.model_copy(update=FAST_RETRIES), clock=clock)
    with Session(app.state.engine) as db:
        endpoint = WebhookEndpoint(
            url=receiver.url,
            events="call.ended",
            secret=new_secret(),
            created_at=now,
            updated_at=now,
        )
        db.add(endpoint)
        db.flush()
        receiver.secrets = [endpoint.secret]
        db.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id="evt_cutoff",
                event_type="call.ended",
                payload={"id": "evt_cutoff", "type": "call.ended", "data": {}},
                created_at=now,
                next_attempt_at=now,
                claimed_until=now + timedelta(hours=1),  # the dead sender's claim
            )
        )
        db.commit()
    receiver.start()
    with TestClient(app, base_url=settings.public_url):
        events = wait_until(lambda: receiver.verified("call.ended"), 5, "the cut-off delivery")
    assert events[0]["id"] == "evt_cutoff"


def test_a_named_receiver_is_reached_at_its_checked_address_with_its_name_as_host(
    server, admin, receiver
):
    by_name = f"http://localhost:{receiver.port}/hooks/showdesk"
    made = _endpoint(admin, by_name, ["outcome.set"])
    receiver.secrets = [made["secret"]]
    receiver.start()
    _tagged_call(server)
    wait_until(lambda: receiver.verified("outcome.set"), 10, "delivered by name")
    assert receiver.received[0].headers["host"] == f"localhost:{receiver.port}"


def test_a_signing_secret_that_reached_a_log_line_would_be_redacted():
    secret = new_secret()
    line = redact(f"endpoint 3 secret {secret} rotated")
    assert secret not in line and secret.removeprefix("whsec_") not in line
    assert "whsec_[redacted]" in line


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_stored_loopback_endpoint_is_refused_at_delivery_without_the_setting(
    settings, clock, receiver, host
):
    """An endpoint kept from when the setting allowed it (or a name that resolves to
    loopback now): the sender checks the address again before each request."""
    now = clock.now()
    strict = FAST_RETRIES | {"webhooks_allow_private": False}
    app = create_app(settings.model_copy(update=strict), clock=clock)
    with Session(app.state.engine) as db:
        endpoint = WebhookEndpoint(
            url=receiver.url.replace("127.0.0.1", host),
            events="call.ended",
            secret=new_secret(),
            created_at=now,
            updated_at=now,
        )
        db.add(endpoint)
        db.flush()
        receiver.secrets = [endpoint.secret]
        db.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id="evt_private",
                event_type="call.ended",
                payload={"id": "evt_private", "type": "call.ended", "data": {}},
                created_at=now,
                next_attempt_at=now,
            )
        )
        db.commit()
    receiver.start()

    def refused_attempt() -> WebhookAttempt | None:
        with Session(app.state.engine) as db:
            return db.exec(select(WebhookAttempt)).first()

    with TestClient(app, base_url=settings.public_url):
        attempt = wait_until(refused_attempt, 5, "a refused attempt")
    assert attempt.status_code is None and "address" in (attempt.error or ""), attempt
    assert receiver.received == []
