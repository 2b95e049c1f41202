"""``showdesk serve``: first-start accounts, then uvicorn with Showdesk's socket limits."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlmodel import Session

from server.accounts import users
from server.app import create_app
from server.cli import public_url
from server.errors import NotFound
from server.infra import log_redaction
from server.infra.clock import Clock
from server.infra.config import Settings
from server.infra.security import passwords_for
from server.links import buyer_links
from server.models import Role
from server.models.link import LinkBase
from signaling.messages import MAX_MESSAGE_BYTES

FIRST_ADMIN_EMAIL = "admin@showdesk.local"
DEMO_AGENT_EMAIL = "agent@showdesk.local"
DEMO_SUPERVISOR_EMAIL = "supervisor@showdesk.local"


FIRST_START_FILE = "first-start.txt"


def first_start_notice(created: list[str], data_dir: Path, to_terminal: bool) -> str:
    """What to print about the accounts and link just created. On a terminal, the lines
    themselves; otherwise (a service manager's log, a pipe) the one-time passwords would
    end up in logs, so they are written to ``<data>/first-start.txt`` (mode 0600) and only
    that file's path is printed."""
    if to_terminal:
        return "Created:\n" + "\n".join(created)
    path = data_dir.resolve() / FIRST_START_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("Created:\n" + "\n".join(created) + "\n")
    return (
        f"Created accounts (and a demo link): their one-time passwords are in {path}, "
        "readable by you only; delete it once they are used."
    )


def first_start(app_engine, settings: Settings, demo: bool) -> list[str]:  # noqa: ANN001
    """Create the first admin when there is no account (and demo data with ``demo``).

    Returns the lines to print: who was created and with which one-time password.
    """
    lines: list[str] = []
    now = Clock().now()
    passwords = passwords_for(settings.password_hashing)
    with Session(app_engine, expire_on_commit=False) as db:
        if users.count_users(db) == 0:
            _, password = users.create_user(
                db,
                email=FIRST_ADMIN_EMAIL,
                role=Role.admin,
                name="Admin",
                password=None,
                now=now,
                passwords=passwords,
            )
            lines.append(f"  admin       {FIRST_ADMIN_EMAIL}  one-time password: {password}")
        if demo:
            for email, role, name in (
                (DEMO_AGENT_EMAIL, Role.agent, "Alex (demo agent)"),
                (DEMO_SUPERVISOR_EMAIL, Role.supervisor, "Sam (demo supervisor)"),
            ):
                try:
                    users.find_user(db, email)
                    lines.append(
                        f"  {role.value:<11} {email}  (exists; `showdesk user reset-password`)"
                    )
                except NotFound:
                    _, password = users.create_user(
                        db,
                        email=email,
                        role=role,
                        name=name,
                        password=None,
                        now=now,
                        passwords=passwords,
                    )
                    lines.append(f"  {role.value:<11} {email}  one-time password: {password}")
            made = buyer_links.create_link(
                db,
                LinkBase(
                    order_ref="DEMO-1001",
                    purpose="damage_verification",
                    locale="en",
                    buyer_name="Demo Buyer",
                ),
                ttl_s=settings.link_ttl_s,
                max_ttl_s=settings.link_ttl_max_s,
                public_url=settings.public_url,
                now=now,
            )
            lines.append(f"  buyer link  {made.url}")
    return lines


SHUTDOWN_NOTICE_TIMEOUT_S = 1.0  # time to deliver "call ended" before sockets close


class ShowdeskServer(uvicorn.Server):
    """uvicorn, plus: on shutdown (SIGTERM, Ctrl-C), first end every call with
    ``server_shutdown`` and tell its participants, then close the sockets (uvicorn's own
    close code 1012), then the app's shutdown finalizes recordings."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._showdesk_app = app

    async def shutdown(self, sockets: list | None = None) -> None:
        calls = self._showdesk_app.state.calls
        try:
            await calls.announce_shutdown(SHUTDOWN_NOTICE_TIMEOUT_S)
        except Exception:  # noqa: BLE001  (shutting down goes on whatever happens)
            logging.getLogger("showdesk.serve").exception("ending calls at shutdown failed")
        await super().shutdown(sockets)


def uvicorn_config(
    app: FastAPI,
    settings: Settings,
    *,
    host: str,
    port: int,
    tls_cert: str | None = None,
    tls_key: str | None = None,
) -> uvicorn.Config:
    """uvicorn settings with Showdesk's WebSocket limits (64 KiB messages, keepalive)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        ws_max_size=MAX_MESSAGE_BYTES,
        ws_ping_interval=settings.ws_ping_interval_s,
        ws_ping_timeout=settings.ws_ping_interval_s,
        proxy_headers=True,
        server_header=False,
    )


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    demo: bool = False,
) -> None:
    """Migrate, create first-start accounts, print the URLs, and serve until stopped."""
    if bool(tls_cert) != bool(tls_key):
        raise ValueError("--tls-cert and --tls-key go together")
    app = create_app(settings)
    created = first_start(app.state.engine, settings, demo)
    config = uvicorn_config(app, settings, host=host, port=port, tls_cert=tls_cert, tls_key=tls_key)
    log_redaction.install()  # after uvicorn configured its loggers
    public_url.remember(settings)  # `showdesk link create` builds its links from it
    base = settings.public_url
    print(f"Showdesk is running at {base} (shop name: {settings.shop_name})")
    print(f"  sign in:        {base}/login")
    print(f"  agent console:  {base}/console")
    print(f"  review:         {base}/review")
    print(f"  admin:          {base}/admin")
    print(f"  API docs:       {base}/docs")
    print(f"  data:           {settings.data_dir.resolve()}")
    if created:
        print(first_start_notice(created, settings.data_dir, sys.stdout.isatty()))
    print("Stop with Ctrl-C.", flush=True)
    ShowdeskServer(config, app).run()
