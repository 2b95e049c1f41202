"""The rules of an inspection, pure: no HTTP, no database.

An inspection's state is a JSON-ready dict::

    {"template": str,
     "items": [{"key", "label": {locale: text}, "photos_required": int,
                "clip_required": bool,
                "state": "pending" | "shot" | "approved" | "rejected",
                "photo_ids": [int], "clip": None | {"start_ms": int, "end_ms": int | None},
                "reason": str | None, "decided_at": iso | None}],
     "captures": {capture_id: item_key},     # one-use, handed out to the console
     "signoff": None | {"decision": "approved" | "rejected", "reason": str | None,
                        "name": str, "at": iso}}

An item is ``shot`` once it has its required photos and, when it needs one, its clip: a
stretch of the call's own recording, ``start_ms`` to ``end_ms`` on the call clock (the
clock of photos' ``t_ms``); ``end_ms`` is None while the agent is recording it. Items of
an inspection started before clips existed have neither key (read with ``.get``).

Each function takes a state and returns a new one (the argument is not changed), or
raises a domain error: NotFound for an unknown item or capture, Conflict for a step out of
order, InvalidInput for a reject without a reason or a sign-off without a name.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from server.errors import Conflict, InvalidInput, NotFound

ItemState = Literal["pending", "shot", "approved", "rejected"]
Decision = Literal["approved", "rejected"]
State = dict[str, Any]
Rule = Callable[[State], State]

REASON_MAX_CHARS = 1000
NAME_MAX_CHARS = 100


def new_inspection(template: dict[str, Any], only: list[str] | None = None) -> State:
    """A fresh inspection of ``template`` (``only``: those of its items, in the template's
    order): every item pending, no photos, no sign-off. NotFound for a key ``only`` names
    that the template has not; InvalidInput when no item is left."""
    keys = {item["key"] for item in template["items"]}
    for key in only or []:
        if key not in keys:
            raise NotFound(f'no item "{key}" in this checklist', code="unknown_item")
    chosen = [i for i in template["items"] if only is None or i["key"] in only]
    if not chosen:
        raise InvalidInput("choose at least one item of the checklist")
    return {
        "template": template["key"],
        "items": [
            {
                "key": item["key"],
                "label": dict(item["label"]),
                "photos_required": int(item.get("photos", 1)),
                "clip_required": bool(item.get("clip_required", False)),
                "state": "pending",
                "photo_ids": [],
                "clip": None,
                "reason": None,
                "decided_at": None,
            }
            for item in chosen
        ],
        "captures": {},
        "signoff": None,
    }


def item_of(state: State, key: str) -> dict[str, Any]:
    for item in state["items"]:
        if item["key"] == key:
            return item
    raise NotFound(f'no item "{key}" in this inspection', code="unknown_item")


def still_open(state: State) -> None:
    if state["signoff"] is not None:
        raise Conflict("the inspection is signed off: nothing can change", code="signed_off")


def open_capture(state: State, key: str) -> tuple[State, str]:
    """Hand out a one-use capture id for item ``key``: the photo uploaded with it is tied
    to that item. NotFound for an unknown item, Conflict after sign-off."""
    still_open(state)
    item_of(state, key)
    new = copy.deepcopy(state)
    capture_id = secrets.token_hex(12)
    new["captures"][capture_id] = key
    return new, capture_id


def tie_photo(state: State, capture_id: str, photo_id: int) -> State:
    """Tie photo ``photo_id`` to the item of ``capture_id`` and use the capture id up; a
    pending item becomes ``shot`` once it has its required photos. NotFound for a capture
    id that is not this inspection's (or already used)."""
    still_open(state)
    key = state["captures"].get(capture_id)
    if key is None:
        raise NotFound("no such capture in this inspection", code="unknown_capture")
    new = copy.deepcopy(state)
    del new["captures"][capture_id]
    item = item_of(new, key)
    item["photo_ids"].append(photo_id)
    maybe_shot(item)
    return new


def evidence_done(item: dict[str, Any]) -> bool:
    """Whether ``item`` has its required photos and, if it needs one, its finished clip."""
    if len(item["photo_ids"]) < item["photos_required"]:
        return False
    clip = item.get("clip")
    return not item.get("clip_required") or (clip is not None and clip["end_ms"] is not None)


def maybe_shot(item: dict[str, Any]) -> None:
    if item["state"] == "pending" and evidence_done(item):
        item["state"] = "shot"


def check_capture(state: State, capture_id: str) -> None:
    """Raise as ``tie_photo`` would, before a photo is stored for ``capture_id``."""
    still_open(state)
    if capture_id not in state["captures"]:
        raise NotFound("no such capture in this inspection", code="unknown_capture")


def _reason(decision: str, reason: str | None) -> str | None:
    if decision not in ("approved", "rejected"):
        raise InvalidInput('the decision is "approved" or "rejected"')
    text = (reason or "").strip()
    if decision == "rejected" and not text:
        raise InvalidInput("say why you reject it", code="reason_required")
    if len(text) > REASON_MAX_CHARS:
        raise InvalidInput(f"the reason is at most {REASON_MAX_CHARS} characters")
    return text or None


def decide(state: State, key: str, decision: str, reason: str | None, now: datetime) -> State:
    """The buyer approves or rejects item ``key`` (a reason required to reject; it may be
    decided again until sign-off). Conflict for an item without its required photos or
    its finished clip."""
    still_open(state)
    item_of(state, key)
    text = _reason(decision, reason)
    new = copy.deepcopy(state)
    item = item_of(new, key)
    if len(item["photo_ids"]) < item["photos_required"]:
        raise Conflict(
            f"this item needs {item['photos_required']} photo(s) before it is decided",
            code="photos_missing",
        )
    if not evidence_done(item):
        raise Conflict("this item needs its clip before it is decided", code="clip_missing")
    item["state"] = decision
    item["reason"] = text
    item["decided_at"] = now.isoformat()
    return new


def sign_off(state: State, decision: str, reason: str | None, name: str, now: datetime) -> State:
    """The buyer signs the inspection off (approve, or reject with a reason) with their
    typed name. Conflict while an item is undecided; once signed, nothing changes."""
    still_open(state)
    text = _reason(decision, reason)
    typed = " ".join((name or "").split())
    if not typed:
        raise InvalidInput("type your name to sign", code="name_required")
    if len(typed) > NAME_MAX_CHARS:
        raise InvalidInput(f"the name is at most {NAME_MAX_CHARS} characters")
    undecided = [i["key"] for i in state["items"] if i["state"] not in ("approved", "rejected")]
    if undecided:
        raise Conflict(
            f"decide every item first: {', '.join(undecided)} still open", code="items_open"
        )
    new = copy.deepcopy(state)
    new["captures"] = {}
    new["signoff"] = {"decision": decision, "reason": text, "name": typed, "at": now.isoformat()}
    return new


def label(item: dict[str, Any], locale: str | None) -> str:
    """The item's label in ``locale``, else English."""
    return item["label"].get(locale or "en") or item["label"]["en"]
