"""Rate limits: link redemptions (per address), WebSocket connections (per address),
signaling messages (per connection and per address) and photo uploads (per call and per
address). Failed sign-ins have their own throttle (``sign_in_throttle.py``, shared in
Redis by ``shared_sign_in_throttle.py``).

Moving windows (the ``limits`` library), in memory by default, so they apply per server
process; with ``SHOWDESK_REDIS_URL`` they are counted in Redis, so the nodes of one
installation count an address's requests together. Exceeding a limit raises ``TooMany``
with the seconds until it frees up (the API answers 429 with ``Retry-After``). Redis out
of reach refuses nothing: the event is let through and a warning logged (a limit is a
guard against floods, not a reason to turn every buyer away).
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from server.errors import TooMany
from server.infra.config import ConfigError, Settings

log = logging.getLogger("showdesk.rate_limits")
REDIS_KEY_PREFIX = "showdesk:limits"
REDIS_TIMEOUT_S = 1.0  # a slow Redis delays a request this much at most per count


def _storage(settings: Settings) -> Storage:
    """Redis (shared by the nodes) when ``redis_url`` is set, else this process's memory."""
    if settings.redis_url is None:
        return MemoryStorage()
    try:
        import redis  # noqa: F401  (the optional extra)
    except ImportError:
        raise ConfigError(
            "SHOWDESK_REDIS_URL needs the Redis client: pip install 'showdesk[redis]'"
        ) from None
    return RedisStorage(
        settings.redis_url.get_secret_value(),
        key_prefix=REDIS_KEY_PREFIX,
        wrap_exceptions=True,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
    )


class RateLimits:
    """The limits of one server process (of all nodes, with Redis), configured by
    ``SHOWDESK_LIMIT_*`` settings."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(_storage(settings))
        self.redeem_per_address = parse(settings.limit_link_opens_per_address)
        self.sockets_per_address = parse(settings.limit_sockets_per_address)
        self.messages_per_socket = parse(settings.limit_messages_per_socket)
        self.messages_per_address = parse(settings.limit_messages_per_address)
        self.photos_per_call = parse(settings.limit_photos_per_call)
        self.photos_per_address = parse(settings.limit_photos_per_address)

    def _refuse(self, item: RateLimitItem, key: str, what: str) -> None:
        try:
            reset = self._limiter.get_window_stats(item, key).reset_time
        except StorageError:
            reset = time.time() + 1
        retry_after = max(1, math.ceil(reset - time.time()))
        raise TooMany(f"too many {what}; try again in {retry_after} s", retry_after)

    def _count(self, what: str, *limits: tuple[RateLimitItem, str]) -> None:
        """Count one event against each (limit, key); refuse past any of them."""
        for item, key in limits:
            try:
                allowed = self._limiter.hit(item, key)
            except StorageError as exc:
                log.warning("rate limits: the shared store failed, %s let through: %s", what, exc)
                continue
            if not allowed:
                self._refuse(item, key, what)

    def link_opened(self, address: str) -> None:
        """Count a link redemption (good or bad token); refuse past the limit."""
        self._count("links opened", (self.redeem_per_address, f"redeem:{address}"))

    def camera_code_tried(self, address: str) -> None:
        """Count a phone camera code claimed (good or bad), as link opens are counted."""
        self._count("codes tried", (self.redeem_per_address, f"camera-code:{address}"))

    def socket_opened(self, address: str) -> None:
        self._count("connections", (self.sockets_per_address, f"socket:{address}"))

    def photo_upload(self, call_id: str, address: str) -> None:
        """Count a photo upload (before it is read, so refused ones count too), per call and
        per address; refuse past either."""
        self._count(
            "photo uploads",
            (self.photos_per_call, f"photo:{call_id}"),
            (self.photos_per_address, f"photo-address:{address}"),
        )

    def message(self, conn_id: str, address: str) -> None:
        """Count a signaling message, per socket and per address; refuse past either."""
        self._count(
            "messages",
            (self.messages_per_socket, f"message:{conn_id}"),
            (self.messages_per_address, f"message-address:{address}"),
        )
