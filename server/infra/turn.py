"""TURN credentials in coturn's shared-secret scheme (``use-auth-secret``).

coturn checks a credential without asking anyone: the username is
``"<unix expiry>:<participant>"`` and the password is
``base64(HMAC-SHA1(static-auth-secret, username))``; a username whose expiry has passed
is refused (401). Showdesk mints one per participant and call, valid as long as the call
can last (``Settings.turn_credential_lifetime_s``), and sends it only to that participant
(``rtc_config``); it never logs one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from server.infra.config import Settings

# coturn takes the digits before the first ":" as the expiry; the participant part is kept
# to letters, digits, "-", "_" and "." so that no other separator appears in it
_NOT_PARTICIPANT = re.compile(r"[^A-Za-z0-9_.-]")
MAX_PARTICIPANT_CHARS = 100


def turn_credential(secret: str, participant: str, expires_at: int) -> tuple[str, str]:
    """``(username, password)`` for ``participant``, valid until the Unix time
    ``expires_at`` on a coturn whose ``static-auth-secret`` is ``secret``. Characters of
    ``participant`` other than letters, digits, ``-_.`` become ``-``."""
    name = _NOT_PARTICIPANT.sub("-", participant)[:MAX_PARTICIPANT_CHARS] or "-"
    username = f"{int(expires_at)}:{name}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers_for(settings: Settings, participant: str, now: float) -> list[dict[str, Any]]:
    """The RTCIceServer dicts for ``participant`` at Unix time ``now``: the configured
    ``ice_servers`` as they are, then, with TURN configured, one entry with every
    ``turn_urls`` URL and a credential minted for ``participant``, valid for
    ``turn_credential_lifetime_s``."""
    servers = [dict(server) for server in settings.ice_servers]
    if settings.turn_urls and settings.turn_secret is not None:
        expires_at = int(now) + settings.turn_credential_lifetime_s
        username, password = turn_credential(
            settings.turn_secret.get_secret_value(), participant, expires_at
        )
        servers.append(
            {"urls": list(settings.turn_urls), "username": username, "credential": password}
        )
    return servers
