"""Rate limits: link redemptions (per address), WebSocket connections (per address),
signaling messages (per connection and per address) and photo uploads (per call and per
address). Failed sign-ins have their own throttle (``sign_in_throttle.py``).

Moving windows in memory (the ``limits`` library), so they apply per server process; a
shared store (Redis) can replace ``MemoryStorage`` when there are several. Exceeding a
limit raises ``TooMany`` with the seconds until it frees up (the API answers 429 with
``Retry-After``).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from server.errors import TooMany
from server.infra.config import Settings


class RateLimits:
    """The limits of one server process, configured by ``SHOWDESK_LIMIT_*`` settings."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.redeem_per_address = parse(settings.limit_link_opens_per_address)
        self.sockets_per_address = parse(settings.limit_sockets_per_address)
        self.messages_per_socket = parse(settings.limit_messages_per_socket)
        self.messages_per_address = parse(settings.limit_messages_per_address)
        self.photos_per_call = parse(settings.limit_photos_per_call)
        self.photos_per_address = parse(settings.limit_photos_per_address)

    def _refuse(self, item: RateLimitItem, key: str, what: str) -> None:
        reset = self._limiter.get_window_stats(item, key).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        raise TooMany(f"too many {what}; try again in {retry_after} s", retry_after)

    def _count(self, what: str, *limits: tuple[RateLimitItem, str]) -> None:
        """Count one event against each (limit, key); refuse past any of them."""
        for item, key in limits:
            if not self._limiter.hit(item, key):
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
