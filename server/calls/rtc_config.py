"""What each participant's page gets as ``rtc_config``, and the relay's legs' ICE servers.

A page gets ``rtc_config`` once its socket is welcomed; with TURN configured
(``SHOWDESK_TURN_URLS``), it gets a new one before the ``call`` message that starts its
part in a call (the buyer's waiting call, the agent's answered one), with a credential
minted for that participant and call (server/infra/turn.py): a staff console that stays
open all day never offers a peer connection with a credential that ran out before the
call began. The username names the call and side (``<expiry>:<session>-buyer``), or,
before any call, the socket's identity (``<expiry>:staff-<user id>``).

With ``SHOWDESK_RELAY_USES_TURN`` each relay leg gets a credential of its own
(``<expiry>:<session>-<side>-relay``), sent to its worker with the leg's ``open``.

A page's ``ice_error`` (its browser's ``icecandidateerror``) is logged here with the
server's scheme, host and port only: never a username or credential.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from server.infra.config import Settings
from server.infra.turn import ice_servers_for
from signaling import CallState
from signaling.messages import CallUpdate, IceError, RtcConfig, ServerMessage

log = logging.getLogger("showdesk.turn")

# the part of an ICE server URL that names the server: scheme, host, port, transport
_SERVER_PART = re.compile(
    r"(stuns?|turns?):(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?(\?transport=(udp|tcp))?"
)
_STARTS_A_CALL = (CallState.WAITING, CallState.LIVE, CallState.RECONNECTING)


def server_named(url: str) -> str:
    """The server part of an ICE server URL as a page reported it (scheme, host, port,
    transport), or ``"an unreadable URL"``: what a log line may quote of it."""
    found = _SERVER_PART.match(url)
    return found.group(0) if found else "an unreadable URL"


class RtcConfigs:
    """The ``rtc_config`` of every connection (see the module docstring). ``now`` gives
    Unix seconds (the server's clock)."""

    def __init__(self, settings: Settings, now: Callable[[], float]) -> None:
        self._settings = settings
        self._now = now
        self._minted_for: dict[str, str | None] = {}  # connection -> session id (or None)
        self._side: dict[str, str] = {}  # connection -> "buyer" / "agent"
        self._identity: dict[str, str] = {}  # connection -> "staff-7" / "buyer-3"

    @property
    def minting(self) -> bool:
        """TURN credentials are minted (else every page gets the same ``rtc_config``)."""
        return bool(self._settings.turn_urls)

    def _config(self, participant: str) -> RtcConfig:
        return RtcConfig(
            ice_servers=ice_servers_for(self._settings, participant, self._now()),
            ice_transport_policy=self._settings.ice_transport_policy,
            video_codecs=list(self._settings.video_codecs),
        )

    def welcomed(self, conn_id: str, kind: str, key: str, session_id: str | None) -> RtcConfig:
        """The ``rtc_config`` for a connection just welcomed as ``kind`` (``staff`` or
        ``buyer``) ``key``, in the call ``session_id`` (None: no call yet)."""
        self._side[conn_id] = "buyer" if kind == "buyer" else "agent"
        self._identity[conn_id] = f"{kind}-{key}"
        self._minted_for[conn_id] = session_id
        if session_id is not None:
            return self._config(f"{session_id}-{self._side[conn_id]}")
        return self._config(self._identity[conn_id])

    def before(self, conn_id: str, message: ServerMessage) -> RtcConfig | None:
        """A fresh ``rtc_config`` to send before ``message`` to ``conn_id``: when TURN is
        minted and ``message`` is the ``call`` of another call than the one the
        connection's credential was minted for; else None."""
        if not self.minting or not isinstance(message, CallUpdate):
            return None
        if conn_id not in self._side or message.state not in _STARTS_A_CALL:
            return None
        if self._minted_for.get(conn_id) == message.session_id:
            return None
        self._minted_for[conn_id] = message.session_id
        return self._config(f"{message.session_id}-{self._side[conn_id]}")

    def for_leg(self, session_id: str, side: str) -> list[dict[str, Any]] | None:
        """The ICE servers of a relay leg of ``session_id`` on ``side``: with
        ``relay_uses_turn``, TURN with a credential of its own; else None (the
        workers' configured ``ice_servers``)."""
        if not self._settings.relay_uses_turn:
            return None
        return ice_servers_for(self._settings, f"{session_id}-{side}-relay", self._now())

    def forget(self, conn_id: str) -> None:
        """The connection is gone."""
        self._minted_for.pop(conn_id, None)
        self._side.pop(conn_id, None)
        self._identity.pop(conn_id, None)


def log_ice_error(conn_id: str, role: str, message: IceError) -> None:
    """Log a page's ``ice_error``: a TURN server's 401 is a credential it refused
    (wrong secret, or expired); nothing of the credential is logged."""
    server = server_named(message.url)
    if message.error_code == 401:
        log.warning(
            "the %s page on connection %s: %s refused its TURN credential (401): "
            "expired, or SHOWDESK_TURN_SECRET differs from coturn's static-auth-secret",
            role,
            conn_id,
            server,
        )
    else:
        code = message.error_code
        log.info("the %s page on connection %s: %s answered %d", role, conn_id, server, code)
