"""Webhooks survive a killed server: the events of a real call (aiortc peers through the
real protocol) whose receiver was down are in the outbox when the server process is
killed with SIGKILL; the next start delivers them, with the call's ``call.ended``
(``server_restart``) and its review file's ``recording.ready``, each verified by the
receiver with the ``standardwebhooks`` library."""

from __future__ import annotations

import asyncio
import signal

import httpx
from sqlmodel import Session, select

from server.db import make_engine
from server.models import WebhookDelivery
from tests.helpers.accounts import PASSWORD, create_account
from tests.helpers.calls import engine_cookies, live_call
from tests.helpers.servers import served
from tests.helpers.waiting import wait_in_thread
from tests.helpers.webhook_receiver import Receiver

FAST = {
    "SHOWDESK_WEBHOOKS_ALLOW_PRIVATE": "true",
    "SHOWDESK_WEBHOOKS_POLL_S": "0.1",
    "SHOWDESK_WEBHOOKS_RETRY_BASE_S": "0.2",
    "SHOWDESK_WEBHOOKS_RETRY_MAX_S": "0.5",
}
EVENTS = ["call.waiting", "call.live", "call.ended", "recording.ready"]


def _deliveries(engine) -> list[WebhookDelivery]:
    with Session(engine) as db:
        return list(db.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


async def test_events_left_undelivered_by_a_killed_server_are_delivered_after_restart(
    tmp_path,
):
    engine = make_engine(f"sqlite:///{(tmp_path / 'data' / 'showdesk.db').resolve()}")
    receiver = Receiver()  # its port is chosen, nothing listens on it yet
    try:
        with served(tmp_path, log_name="first.log", env=FAST) as server:
            create_account(engine, "root@shop.test", "admin")
            async with httpx.AsyncClient(base_url=server.url) as admin:
                answer = await admin.post(
                    "/api/auth/login", json={"email": "root@shop.test", "password": PASSWORD}
                )
                assert answer.status_code == 200, answer.text
                made = await admin.post(
                    "/api/webhooks",
                    json={"url": receiver.url, "events": EVENTS},
                    headers={"X-CSRF-Token": admin.cookies["csrf_token"]},
                )
                assert made.status_code == 201, made.text
            receiver.secrets = [made.json()["secret"]]
            staff, buyer = engine_cookies(engine, server.url)
            async with live_call(
                server.url, await staff("ana@shop.test"), await buyer("K-9")
            ) as call:
                await asyncio.sleep(2)
                server.proc.send_signal(signal.SIGKILL)
                server.proc.wait(timeout=5)
        left = _deliveries(engine)
        assert [d.event_type for d in left] == ["call.waiting", "call.live"]
        assert all(d.state == "pending" and d.delivered_at is None for d in left)
        assert left[0].payload["data"]["call_id"] == call.session_id

        receiver.start()
        with served(tmp_path, log_name="second.log", env=FAST):

            def all_verified() -> list[str] | None:
                got = [e["type"] for e in receiver.verified()]
                return got if set(got) >= set(EVENTS) else None

            got = await wait_in_thread(all_verified, 60, "every event verified by the receiver")
    finally:
        receiver.stop()
    assert sorted(got) == sorted(EVENTS), got  # each once: no event sent twice
    ended = receiver.verified("call.ended")[0]["data"]
    assert ended["call_id"] == call.session_id and ended["end_reason"] == "server_restart"
    ready = receiver.verified("recording.ready")[0]["data"]
    assert ready["call_id"] == call.session_id and ready["sha256"]
    first = receiver.verified("call.waiting")[0]
    assert first["id"] == left[0].event_id  # the same event, not a new one
    assert all(d.state == "delivered" for d in _deliveries(engine))
