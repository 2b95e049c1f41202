"""The FastAPI application: ``create_app(settings)`` wires config, database, routes, signaling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session

from server.api import (
    analytics,
    apikeys,
    auth,
    buyer,
    case_review,
    case_steps,
    cases,
    cluster,
    consent_texts,
    inspection_templates,
    links,
    metrics,
    pages,
    phone_camera,
    phone_camera_photos,
    phrases,
    qa,
    retention,
    sessions,
    support_hours,
    taxonomy,
    uploads,
    users,
    vocabulary,
    webhooks,
)
from server.api.body_limit import BodyLimit
from server.api.errors import UnexpectedErrors, install_error_handlers
from server.api.headers import SecurityHeaders, install_docs
from server.api.openapi import install_openapi
from server.api.pages import WEB_DIR
from server.api.ws import router as ws_router
from server.calls.desk import CallDesk
from server.consent import texts as shipped_consent
from server.db import make_engine, migrate
from server.infra import log_redaction
from server.infra.clock import Clock
from server.infra.cluster import Cluster
from server.infra.config import DATA_DIR_MODE, Settings, resolve_secret_key
from server.infra.metrics import ShowdeskMetrics
from server.infra.rate_limits import RateLimits
from server.infra.sign_in_throttle import SignInThrottle
from server.storage.factory import open_storage, retry_uploads
from server.webhooks.delivery import WebhookSender


def sign_in_throttle(settings: Settings, secret_key: str) -> SignInThrottle:
    """The sign-in throttle: shared by the nodes in Redis with ``SHOWDESK_REDIS_URL``,
    else in this process's memory."""
    limits: dict[str, Any] = {
        "free_failures": settings.sign_in_free_failures,
        "address_free_failures": settings.sign_in_address_free_failures,
        "base_delay_s": 1.0,
        "max_delay_s": settings.sign_in_max_delay_s,
        "window_s": max(900.0, settings.sign_in_max_delay_s),
        "hash_slots": settings.password_checks_at_once,
    }
    if settings.redis_url is None:
        return SignInThrottle(**limits)
    from server.infra.shared_sign_in_throttle import SharedSignInThrottle  # the redis extra

    return SharedSignInThrottle(settings.redis_url.get_secret_value(), secret_key, **limits)


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """Build the app: the database is migrated to the newest schema before it is returned."""
    log_redaction.install()
    settings.data_dir.mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
    migrate.upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    clock = clock or Clock()
    with Session(engine, expire_on_commit=False) as db:
        shipped_consent.sync_shipped(db, clock.now())  # a changed shipped text: a new version

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.calls.start()
        await app.state.metrics.start()
        app.state.webhooks.start()
        retries = asyncio.create_task(retry_uploads(app.state.storage))
        try:
            yield
        finally:
            retries.cancel()
            await app.state.webhooks.stop()
            await app.state.metrics.stop()
            await app.state.calls.stop()
            app.state.sign_in.close()
            engine.dispose()

    app = FastAPI(
        title="Showdesk",
        summary="Live video support for online shops",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, without a CDN or inline script
        redoc_url=None,
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_json_body_bytes)
    app.add_middleware(UnexpectedErrors)  # inside SecurityHeaders: a 500 gets the headers
    app.add_middleware(SecurityHeaders, https=settings.secure_cookies)  # outermost
    install_docs(app)
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock
    app.state.secret_key = resolve_secret_key(settings)
    app.state.storage = open_storage(settings)
    app.state.rate_limits = RateLimits(settings)
    app.state.sign_in = sign_in_throttle(settings, app.state.secret_key)
    app.state.calls = CallDesk(
        engine=engine,
        clock=clock,
        settings=settings,
        storage=app.state.storage,
        cluster=Cluster(settings),  # joined and left by the desk's start and stop
    )
    app.state.webhooks = WebhookSender(engine, settings)
    install_error_handlers(app)
    for module in (
        auth,
        users,
        apikeys,
        links,
        buyer,
        pages,
        sessions,
        retention,
        vocabulary,
        consent_texts,
        phrases,
        support_hours,
        webhooks,
        cases,
        case_steps,
        inspection_templates,
        case_review,
        uploads,
        taxonomy,
        analytics,
        qa,
        phone_camera,
        phone_camera_photos,
        cluster,
    ):
        app.include_router(module.router)
    webhooks.describe_events(app)
    app.include_router(ws_router)
    app.include_router(metrics.router)
    app.state.metrics = ShowdeskMetrics(
        lambda: getattr(app.state, "calls", None), sign_in=app.state.sign_in
    )

    @app.get("/healthz", tags=["system"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    install_openapi(app)
    return app
