"""The sender: a background task of the control plane (started by the app's lifespan)
that delivers the outbox (``WebhookDelivery`` rows) at least once.

Woken after each commit that emitted an event (else every ``SHOWDESK_WEBHOOKS_POLL_S``)
it claims the due deliveries of enabled endpoints
(``claimed_until``; a process that died mid-request left its claims, which the next
start lets go, so a restart delivers what was left), checks each receiver's address
again, signs the body as Standard Webhooks says (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``: one ``v1,`` HMAC-SHA256 signature per
secret, space-separated during a rotation's overlap) and POSTs it with a timeout,
following no redirect. A 2xx answer delivers it; anything else is retried with
exponential backoff and jitter until the retry horizon, then failed. Every attempt is
recorded (status, time taken, error). An endpoint that fails too many times in a row,
or for the whole horizon, is disabled.
Delivered and failed rows older than ``SHOWDESK_WEBHOOKS_KEEP_DAYS`` are pruned.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, or_, select
from standardwebhooks import Webhook

from server.errors import DomainError
from server.infra.config import Settings
from server.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from server.webhooks.addresses import check_receiver
from server.webhooks.endpoints import signing_secrets
from server.webhooks.outbox import on_committed

log = logging.getLogger("showdesk.webhooks")

CLAIM_SLACK_S = 30.0  # a claim outlives the request's timeout by this much
PRUNE_EVERY_S = 3600.0
ERROR_MAX_CHARS = 500
USER_AGENT = "Showdesk-Webhooks/1"


def _now() -> datetime:
    return datetime.now(UTC)


def retry_delay_s(attempts: int, settings: Settings, rng: random.Random | None = None) -> float:
    """The wait after the ``attempts``-th failed attempt: base * 2**(attempts-1), at most
    the maximum, times a random factor of 0.75 to 1.25 (so receivers that came back are
    not hit by every sender at once)."""
    base = settings.webhooks_retry_base_s * 2 ** min(attempts - 1, 40)
    return min(settings.webhooks_retry_max_s, base) * (rng or random).uniform(0.75, 1.25)


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    endpoint_id: int
    url: str
    event_id: str
    body: str
    secrets: list[str]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def sign(secrets: list[str], event_id: str, sent_at: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers of ``body`` sent at ``sent_at``."""
    signatures = " ".join(Webhook(s).sign(event_id, sent_at, body) for s in secrets)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class WebhookSender:
    """Delivers the outbox in a background task (see the module docstring)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._last_prune = 0.0
        self._unsubscribe: Callable[[], None] = lambda: None

    def start(self) -> None:
        self._wake = asyncio.Event()
        loop = asyncio.get_running_loop()

        def woken() -> None:  # in the thread that committed an event
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to wake
                loop.call_soon_threadsafe(self._wake.set)

        self._unsubscribe = on_committed(woken)
        self._task = asyncio.create_task(self._run_forever(), name="webhook-sender")

    async def stop(self) -> None:
        """Stop at once: a delivery cut off stays claimed and is sent again at the next
        start."""
        self._unsubscribe()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def wake(self) -> None:
        """Look for due deliveries now instead of at the next poll."""
        self._wake.set()

    async def _run_forever(self) -> None:
        settings = self._settings
        # no kept-alive connections: each is made to a checked address with its own name
        limits = httpx.Limits(
            max_connections=settings.webhooks_concurrency, max_keepalive_connections=0
        )
        async with httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(settings.webhooks_timeout_s),
            limits=limits,
            trust_env=False,  # no proxy from the environment: the address check must hold
        ) as client:
            released = await asyncio.to_thread(self.release_claims)
            if released:
                log.info("%d webhook deliveries cut off by the last stop are due again", released)
            while True:
                try:
                    await self.run_once(client)
                except Exception:
                    log.exception("delivering webhooks failed")
                try:
                    await asyncio.wait_for(self._wake.wait(), settings.webhooks_poll_s)
                except TimeoutError:
                    pass
                self._wake.clear()

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """Claim and send every due delivery (at most the concurrency at once); how many."""
        if time.monotonic() - self._last_prune >= PRUNE_EVERY_S:
            self._last_prune = time.monotonic()
            pruned = await asyncio.to_thread(self.prune, _now())
            if pruned:
                log.info("pruned %d old webhook deliveries", pruned)
        claims = await asyncio.to_thread(self.claim, _now())
        by_endpoint: dict[int, list[Claim]] = {}
        for claim in claims:
            by_endpoint.setdefault(claim.endpoint_id, []).append(claim)
        await asyncio.gather(*(self._deliver(client, group) for group in by_endpoint.values()))
        return len(claims)

    async def _deliver(self, client: httpx.AsyncClient, claims: list[Claim]) -> None:
        """One endpoint's claims one after the other, oldest first (endpoints in
        parallel), so a receiver gets events in the order they happened unless a retry
        comes between them."""
        for claim in claims:
            outcome = await self.send(client, claim)
            await asyncio.to_thread(self.record, claim, outcome, _now())

    async def send(self, client: httpx.AsyncClient, claim: Claim) -> Outcome:
        """One attempt: the address checked again, the body signed now and posted."""
        started = time.monotonic()

        def took() -> int:
            return round((time.monotonic() - started) * 1000)

        try:
            addresses = await asyncio.to_thread(
                check_receiver, claim.url, allow_private=self._settings.webhooks_allow_private
            )
        except DomainError as exc:
            return Outcome(None, took(), exc.message[:ERROR_MAX_CHARS])
        # connect to the address just checked, not to what the name resolves to next
        # (DNS rebinding): the URL's name goes in Host and, for TLS, in SNI and the
        # certificate check
        url = httpx.URL(claim.url)
        headers = sign(claim.secrets, claim.event_id, _now(), claim.body)
        headers["host"] = url.netloc.decode("ascii")
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        try:
            response = await client.post(
                url.copy_with(host=addresses[0]),
                content=claim.body,
                headers=headers,
                extensions=extensions,
            )
        except httpx.TimeoutException:
            return Outcome(None, took(), f"no answer within {self._settings.webhooks_timeout_s} s")
        except httpx.HTTPError as exc:
            return Outcome(None, took(), f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS])
        ms = took()
        if response.is_redirect:
            return Outcome(response.status_code, ms, "a redirect, not followed")
        if not response.is_success:
            answered = f"the receiver answered {response.status_code}"
            return Outcome(response.status_code, ms, answered)
        return Outcome(response.status_code, ms, None)

    # -- database (in threads) ------------------------------------------------------

    def release_claims(self) -> int:
        """At start: the claims a previous process held (it died mid-request) are let go,
        so their deliveries are sent again at once. One control plane serves a database
        (docs/architecture.md), so no other sender holds a claim now."""
        with Session(self._engine) as db:
            rows = db.exec(
                select(WebhookDelivery).where(
                    WebhookDelivery.state == "pending",
                    col(WebhookDelivery.claimed_until).is_not(None),
                )
            ).all()
            for row in rows:
                row.claimed_until = None
                db.add(row)
            db.commit()
            return len(rows)

    def claim(self, now: datetime) -> list[Claim]:
        """Claim the due deliveries of enabled endpoints, oldest first."""
        until = now + timedelta(seconds=self._settings.webhooks_timeout_s + CLAIM_SLACK_S)
        with Session(self._engine, expire_on_commit=False) as db:
            rows = db.exec(
                select(WebhookDelivery, WebhookEndpoint)
                .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
                .where(
                    WebhookDelivery.state == "pending",
                    col(WebhookDelivery.next_attempt_at) <= now,
                    or_(
                        col(WebhookDelivery.claimed_until).is_(None),
                        col(WebhookDelivery.claimed_until) < now,
                    ),
                    WebhookEndpoint.enabled == True,  # noqa: E712
                )
                .order_by(col(WebhookDelivery.id))
                .limit(self._settings.webhooks_concurrency)
                .with_for_update(skip_locked=True, of=WebhookDelivery)
            ).all()
            claims = []
            for delivery, endpoint in rows:
                assert delivery.id is not None
                delivery.claimed_until = until
                db.add(delivery)
                claims.append(
                    Claim(
                        delivery_id=delivery.id,
                        endpoint_id=endpoint.id or 0,
                        url=endpoint.url,
                        event_id=delivery.event_id,
                        body=json.dumps(delivery.payload, separators=(",", ":")),
                        secrets=signing_secrets(endpoint, now),
                    )
                )
            db.commit()
            return claims

    def record(self, claim: Claim, outcome: Outcome, now: datetime) -> None:
        """Store an attempt: delivered, scheduled again, or failed; the endpoint's failure
        count, and its disabling when it has failed too long."""
        with Session(self._engine) as db:
            delivery = db.get(WebhookDelivery, claim.delivery_id)
            endpoint = db.get(WebhookEndpoint, claim.endpoint_id)
            if delivery is None or endpoint is None:
                return  # deleted meanwhile
            delivery.attempts += 1
            delivery.claimed_until = None
            delivery.last_status = outcome.status_code
            delivery.last_error = outcome.error
            db.add(
                WebhookAttempt(
                    delivery_id=claim.delivery_id,
                    attempt=delivery.attempts,
                    at=now,
                    status_code=outcome.status_code,
                    response_ms=outcome.response_ms,
                    error=outcome.error,
                )
            )
            if outcome.ok:
                delivery.state = "delivered"
                delivery.delivered_at = now
                endpoint.consecutive_failures = 0
                endpoint.failing_since = None
            else:
                self._failed(delivery, endpoint, now)
            attempts = delivery.attempts
            db.add(delivery)
            db.add(endpoint)
            db.commit()
        if not outcome.ok:
            log.warning(
                "webhook delivery %s to endpoint %s failed (attempt %d): %s",
                claim.delivery_id,
                claim.endpoint_id,
                attempts,
                outcome.error,
            )

    def _failed(self, delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime) -> None:
        settings = self._settings
        horizon = timedelta(seconds=settings.webhooks_retry_horizon_s)
        next_at = now + timedelta(seconds=retry_delay_s(delivery.attempts, settings))
        if next_at > delivery.created_at + horizon:
            delivery.state = "failed"
        else:
            delivery.next_attempt_at = next_at
        endpoint.consecutive_failures += 1
        endpoint.failing_since = endpoint.failing_since or now
        too_many = endpoint.consecutive_failures >= settings.webhooks_disable_after_failures
        too_long = now - endpoint.failing_since >= horizon
        if endpoint.enabled and (too_many or too_long):
            endpoint.enabled = False
            endpoint.disabled_at = now
            endpoint.disabled_reason = (
                f"failed {endpoint.consecutive_failures} times in a row since "
                f"{endpoint.failing_since.isoformat(timespec='seconds')}"
            )
            log.warning("webhook endpoint %s disabled: %s", endpoint.id, endpoint.disabled_reason)

    def prune(self, now: datetime) -> int:
        """Delete settled deliveries older than the keep time, with their attempts."""
        before = now - timedelta(days=self._settings.webhooks_keep_days)
        with Session(self._engine) as db:
            old = select(WebhookDelivery.id).where(
                col(WebhookDelivery.state).in_(("delivered", "failed")),
                col(WebhookDelivery.created_at) < before,
            )
            ids = list(db.exec(old))
            if not ids:
                return 0
            db.exec(delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(ids)))
            db.exec(delete(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids)))
            db.commit()
            return len(ids)


def pending_count(engine: Engine) -> dict[str, Any]:
    """How many deliveries are in each state (for tests and metrics)."""
    with Session(engine) as db:
        rows = db.exec(select(WebhookDelivery.state)).all()
    return {state: rows.count(state) for state in ("pending", "delivered", "failed")}
