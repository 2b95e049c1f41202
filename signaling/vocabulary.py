"""Showdesk's vocabulary: every enumerated word of a call, defined once, with the labels
staff read.

The server stores these values (typed at the database boundary), the protocol carries
them, and the pages read the labels from ``GET /api/vocabulary`` (built from
:func:`vocabulary`), so a select, a filter and a review row never disagree. Labels here
are the staff's English; what the buyer reads is the buyer page's own catalogue.

- :class:`CallState`, :class:`EndReason`: a call's life (``signaling.call``).
- :class:`Purpose`: why the link was sent (damage check, inspection, demo).
- :class:`Outcome`, :class:`Decision`: the verdict an agent sets and a supervisor reviews;
  :class:`OutcomeCategory`: the return-reason categories of the shipped outcomes.
- :class:`CloseCode`: every WebSocket close code the server sends (PROTOCOL.md).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any


class CallState(StrEnum):
    WAITING = "waiting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    ENDED = "ended"


ACTIVE_STATES: frozenset[CallState] = frozenset(
    {CallState.WAITING, CallState.LIVE, CallState.RECONNECTING}
)
"""States of a call that has not ended."""


class EndReason(StrEnum):
    """Why a call ended; exactly one per ended call."""

    AGENT_ENDED = "agent_ended"
    BUYER_ENDED = "buyer_ended"
    BUYER_DECLINED = "buyer_declined"
    BUYER_LEFT_QUEUE = "buyer_left_queue"
    LINK_REVOKED = "link_revoked"
    CONNECTION_FAILED = "connection_failed"
    BUYER_LOST = "buyer_lost"
    AGENT_LOST = "agent_lost"
    MAX_DURATION = "max_duration"
    SERVER_SHUTDOWN = "server_shutdown"
    SERVER_RESTART = "server_restart"
    RELAY_FAILED = "relay_failed"
    QUEUE_TIMEOUT = "queue_timeout"  # waited longer than the maximum wait
    LINK_EXPIRED = "link_expired"  # the link expired while the buyer was waiting
    NO_COMMON_CODEC = "no_common_codec"  # a browser had none of the call's video codecs


class Purpose(StrEnum):
    """Why a buyer link was sent; it decides which camera starts and what is asked."""

    DAMAGE_VERIFICATION = "damage_verification"
    REMOTE_INSPECTION = "remote_inspection"
    PRODUCT_DEMO = "product_demo"


class Outcome(StrEnum):
    """What the evidence showed: the shipped outcome codes, the shop's taxonomy as it
    starts (migration 0015 stores them). A shop adds, renames and retires codes in the
    database (``server.evidence.taxonomy``), so a stored outcome is any code of that
    table, not only a member of this enum."""

    DAMAGE = "damage"  # damaged in transit
    DEFECT = "defect"  # manufacturing or quality
    MISUSE = "misuse"  # caused by the buyer
    NO_FAULT_FOUND = "no_fault_found"
    INCONCLUSIVE = "inconclusive"
    NOT_AS_DESCRIBED = "not_as_described"
    WRONG_SIZE = "wrong_size"  # wrong size or fit
    MISSING_PARTS = "missing_parts"
    WRONG_ITEM = "wrong_item"  # the wrong item was shipped
    LOST_IN_TRANSIT = "lost_in_transit"
    CHANGED_MIND = "changed_mind"


class OutcomeCategory(StrEnum):
    """The shipped return-reason categories an outcome code belongs to."""

    PRODUCT = "product"
    LOGISTICS = "logistics"
    BUYER = "buyer"
    NO_FAULT_FOUND = "no_fault_found"
    INCONCLUSIVE = "inconclusive"


SHIPPED_CATEGORY_OF: dict[Outcome, OutcomeCategory] = {
    Outcome.DAMAGE: OutcomeCategory.LOGISTICS,
    Outcome.DEFECT: OutcomeCategory.PRODUCT,
    Outcome.MISUSE: OutcomeCategory.BUYER,
    Outcome.NO_FAULT_FOUND: OutcomeCategory.NO_FAULT_FOUND,
    Outcome.INCONCLUSIVE: OutcomeCategory.INCONCLUSIVE,
    Outcome.NOT_AS_DESCRIBED: OutcomeCategory.PRODUCT,
    Outcome.WRONG_SIZE: OutcomeCategory.PRODUCT,
    Outcome.MISSING_PARTS: OutcomeCategory.PRODUCT,
    Outcome.WRONG_ITEM: OutcomeCategory.LOGISTICS,
    Outcome.LOST_IN_TRANSIT: OutcomeCategory.LOGISTICS,
    Outcome.CHANGED_MIND: OutcomeCategory.BUYER,
}
"""Each shipped code's category in the shop's taxonomy as it starts."""


class Decision(StrEnum):
    """What the shop does about it."""

    REFUND = "refund"
    REPLACE = "replace"
    REPAIR = "repair"
    REJECT = "reject"
    NONE = "none"


class CloseCode(IntEnum):
    """WebSocket close codes the server sends; PROTOCOL.md and ``web/js/signaling.js``
    list exactly these (a test holds them to it)."""

    NORMAL = 1000
    POLICY = 1008  # no hello in time, bad first message, authentication failed or ended
    TOO_BIG = 1009  # a frame over MAX_MESSAGE_BYTES
    SERVER_STOPPING = 1012  # "service restart": the page reconnects to the next server
    TRY_LATER = 1013  # too many sockets from one address, or a client too far behind
    SUPERSEDED = 4001  # the same staff user connected again elsewhere
    MOVED = 4002  # the same buyer link was opened on a new page
    REVOKED = 4003  # the buyer's link was revoked: call access ended
    MEDIA_LOST = 4004  # no media from the page for a while: reconnect with a new connection
    DEVICE_REFUSED = 4005  # another device's request to join the call was refused or is void


CALL_STATE_LABELS: dict[CallState, str] = {
    CallState.WAITING: "Waiting",
    CallState.LIVE: "Live",
    CallState.RECONNECTING: "Reconnecting",
    CallState.ENDED: "Ended",
}

END_REASON_LABELS: dict[EndReason, str] = {
    EndReason.AGENT_ENDED: "Ended by the agent",
    EndReason.BUYER_ENDED: "Ended by the buyer",
    EndReason.BUYER_DECLINED: "Buyer declined",
    EndReason.BUYER_LEFT_QUEUE: "Buyer left the queue",
    EndReason.LINK_REVOKED: "Link revoked",
    EndReason.CONNECTION_FAILED: "Connection failed",
    EndReason.BUYER_LOST: "Buyer's connection lost",
    EndReason.AGENT_LOST: "Agent's connection lost",
    EndReason.MAX_DURATION: "Maximum duration reached",
    EndReason.SERVER_SHUTDOWN: "Server shut down",
    EndReason.SERVER_RESTART: "Server restarted",
    EndReason.RELAY_FAILED: "Media relay failed",
    EndReason.QUEUE_TIMEOUT: "Waited too long",
    EndReason.LINK_EXPIRED: "Link expired while waiting",
    EndReason.NO_COMMON_CODEC: "No video format in common",
}

PURPOSE_LABELS: dict[Purpose, str] = {
    Purpose.DAMAGE_VERIFICATION: "Check damage",
    Purpose.REMOTE_INSPECTION: "Inspect before shipping",
    Purpose.PRODUCT_DEMO: "Product demonstration",
}

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.DAMAGE: "Damaged in transit",
    Outcome.DEFECT: "Manufacturing or quality defect",
    Outcome.MISUSE: "Caused by the buyer",
    Outcome.NO_FAULT_FOUND: "No fault found",
    Outcome.INCONCLUSIVE: "Inconclusive",
    Outcome.NOT_AS_DESCRIBED: "Not as described",
    Outcome.WRONG_SIZE: "Wrong size or fit",
    Outcome.MISSING_PARTS: "Missing parts",
    Outcome.WRONG_ITEM: "Wrong item shipped",
    Outcome.LOST_IN_TRANSIT: "Lost in transit",
    Outcome.CHANGED_MIND: "Changed their mind",
}

OUTCOME_CATEGORY_LABELS: dict[OutcomeCategory, str] = {
    OutcomeCategory.PRODUCT: "Product",
    OutcomeCategory.LOGISTICS: "Logistics",
    OutcomeCategory.BUYER: "Buyer",
    OutcomeCategory.NO_FAULT_FOUND: "No fault found",
    OutcomeCategory.INCONCLUSIVE: "Inconclusive",
}

DECISION_LABELS: dict[Decision, str] = {
    Decision.REFUND: "Refund",
    Decision.REPLACE: "Replace",
    Decision.REPAIR: "Repair",
    Decision.REJECT: "Reject",
    Decision.NONE: "No action",
}

_LABELS: dict[str, dict[Any, str]] = {
    "call_states": CALL_STATE_LABELS,
    "end_reasons": END_REASON_LABELS,
    "purposes": PURPOSE_LABELS,
    "outcomes": OUTCOME_LABELS,
    "outcome_categories": OUTCOME_CATEGORY_LABELS,
    "decisions": DECISION_LABELS,
}


def label(value: StrEnum) -> str:
    """The staff label of one vocabulary value, e.g. ``label(Outcome.DEFECT)``."""
    for labels in _LABELS.values():
        if value in labels:
            return labels[value]
    raise KeyError(value)


def vocabulary() -> dict[str, list[dict[str, str]]]:
    """Every list, in display order: ``{"outcomes": [{"code": "damage", "label": ...}], ...}``.

    This is the body of ``GET /api/vocabulary``; the pages build their selects from it.
    """
    return {
        name: [{"code": str(code), "label": text} for code, text in labels.items()]
        for name, labels in _LABELS.items()
    }
