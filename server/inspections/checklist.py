"""The rules of an inspection, pure: no HTTP, no database.

An inspection's state is a JSON-ready dict::

    {"template": str,
     "items": [{"key", "label": {locale: text}, "photos_required": int,
                "state": "pending" | "shot" | "approved" | "rejected",
                "photo_ids": [int], "reason": str | None, "decided_at": iso | None}],
     "captures": {capture_id: item_key},     # one-use, handed out to the console
     "signoff": None | {"decision": "approved" | "rejected", "reason": str | None,
                        "name": str, "at": iso}}

Each function takes a state and returns a new one (the argument is not changed), or
raises a domain error: NotFound for an unknown item or capture, Conflict for a step out of
order, InvalidInput for a reject without a reason or a sign-off without a name.
"""

from __future__ import annotations

import copy
import secrets
from datetime import datetime
from typing import Any, Literal

from server.errors import Conflict, InvalidInput, NotFound

ItemState = Literal["pending", "shot", "approved", "rejected"]
Decision = Literal["approved", "rejected"]
State = dict[str, Any]

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
                "state": "pending",
                "photo_ids": [],
                "reason": None,
                "decided_at": None,
            }
            for item in chosen
        ],
        "captures": {},
        "signoff": None,
    }


def _item(state: State, key: str) -> dict[str, Any]:
    for item in state["items"]:
        if item["key"] == key:
            return item
    raise NotFound(f'no item "{key}" in this inspection', code="unknown_item")


def _open(state: State) -> None:
    if state["signoff"] is not None:
        raise Conflict("the inspection is signed off: nothing can change", code="signed_off")


def open_capture(state: State, key: str) -> tuple[State, str]:
    """Hand out a one-use capture id for item ``key``: the photo uploaded with it is tied
    to that item. NotFound for an unknown item, Conflict after sign-off."""
    _open(state)
    _item(state, key)
    new = copy.deepcopy(state)
    capture_id = secrets.token_hex(12)
    new["captures"][capture_id] = key
    return new, capture_id


def tie_photo(state: State, capture_id: str, photo_id: int) -> State:
    """Tie photo ``photo_id`` to the item of ``capture_id`` and use the capture id up; a
    pending item becomes ``shot`` once it has its required photos. NotFound for a capture
    id that is not this inspection's (or already used)."""
    _open(state)
    key = state["captures"].get(capture_id)
    if key is None:
        raise NotFound("no such capture in this inspection", code="unknown_capture")
    new = copy.deepcopy(state)
    del new["captures"][capture_id]
    item = _item(new, key)
    item["photo_ids"].append(photo_id)
    if item["state"] == "pending" and len(item["photo_ids"]) >= item["photos_required"]:
        item["state"] = "shot"
    return new


def check_capture(state: State, capture_id: str) -> None:
    """Raise as ``tie_photo`` would, before a photo is stored for ``capture_id``."""
    _open(state)
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
    decided again until sign-off). Conflict for an item without its required photos."""
    _open(state)
    _item(state, key)
    text = _reason(decision, reason)
    new = copy.deepcopy(state)
    item = _item(new, key)
    if len(item["photo_ids"]) < item["photos_required"]:
        raise Conflict(
            f"this item needs {item['photos_required']} photo(s) before it is decided",
            code="photos_missing",
        )
    item["state"] = decision
    item["reason"] = text
    item["decided_at"] = now.isoformat()
    return new


def sign_off(state: State, decision: str, reason: str | None, name: str, now: datetime) -> State:
    """The buyer signs the inspection off (approve, or reject with a reason) with their
    typed name. Conflict while an item is undecided; once signed, nothing changes."""
    _open(state)
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
