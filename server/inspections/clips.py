"""An inspection item's clip, pure: a stretch of the call's own recording that the agent
marks with a start and a stop, ``start_ms`` to ``end_ms`` on the call clock (the clock of
photos' ``t_ms``; ``end_ms`` None while it is being recorded). Nothing is uploaded: the
recording already holds it. The agent's rules only; what the buyer may do with an item
(decide it once its clip is done) is in ``checklist.py``."""

from __future__ import annotations

import copy
from typing import Any

from server.errors import Conflict, InvalidInput
from server.inspections import checklist

CLIP_MAX_MS = 60_000  # a clip longer than this stops by itself there


def _clip_item(state: checklist.State, key: str) -> dict[str, Any]:
    checklist.still_open(state)
    item = checklist.item_of(state, key)
    if not item.get("clip_required"):
        raise Conflict(f'the item "{key}" needs no clip', code="clip_not_wanted")
    if item["state"] in ("approved", "rejected"):
        raise Conflict(f'the buyer has decided "{key}": its clip stays', code="item_decided")
    return item


def start_clip(state: checklist.State, key: str, at_ms: int) -> checklist.State:
    """The agent starts recording the clip of item ``key`` at ``at_ms`` on the call clock;
    it replaces the item's clip, finished or not, and the item waits for it again.
    Conflict for an item that needs no clip, one the buyer has decided, or after
    sign-off; NotFound for an unknown item."""
    _clip_item(state, key)
    if at_ms < 0:
        raise InvalidInput("a clip starts within the call", code="clip_bad_time")
    new = copy.deepcopy(state)
    item = checklist.item_of(new, key)
    item["clip"] = {"start_ms": at_ms, "end_ms": None}
    if item["state"] == "shot":
        item["state"] = "pending"
    return new


def stop_clip(state: checklist.State, key: str, at_ms: int) -> checklist.State:
    """The agent stops the clip of item ``key`` at ``at_ms``: it ends there, or at
    ``CLIP_MAX_MS`` after its start if that came first (it stopped by itself). Conflict
    when no clip of the item is being recorded; InvalidInput for an end not after the
    start."""
    item = _clip_item(state, key)
    clip = item.get("clip")
    if clip is None or clip["end_ms"] is not None:
        raise Conflict(f'no clip of "{key}" is being recorded', code="clip_not_recording")
    if at_ms <= clip["start_ms"]:
        raise InvalidInput("a clip ends after it starts", code="clip_bad_time")
    new = copy.deepcopy(state)
    item = checklist.item_of(new, key)
    item["clip"]["end_ms"] = min(at_ms, clip["start_ms"] + CLIP_MAX_MS)
    checklist.maybe_shot(item)
    return new


def close_open(state: checklist.State, at_ms: int) -> checklist.State | None:
    """The call ended at ``at_ms``: a clip still being recorded ends there (at most
    ``CLIP_MAX_MS`` after its start), so the buyer can decide its item after the call.
    None when no clip was open."""
    open_keys = [i["key"] for i in state["items"] if i.get("clip") and i["clip"]["end_ms"] is None]
    if not open_keys or state["signoff"] is not None:
        return None
    new = copy.deepcopy(state)
    for key in open_keys:
        item = checklist.item_of(new, key)
        start = item["clip"]["start_ms"]
        item["clip"]["end_ms"] = max(start + 1, min(at_ms, start + CLIP_MAX_MS))
        checklist.maybe_shot(item)
    return new
