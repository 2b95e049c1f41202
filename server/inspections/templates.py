"""Checklist templates: the shipped set in ``defaults.json`` (each item's label in every
buyer locale, the number of photos it needs and whether it needs a clip), or the shop's
own set, edited on /admin and stored whole in one ``InspectionTemplates`` row that
replaces the shipped set.
:func:`checked` is the one place their rules live. An inspection copies its items when it
starts, so a later change of the templates leaves it as it was."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session

from server.errors import InvalidInput, NotFound
from server.models.inspection import InspectionTemplates
from server.models.order import CATEGORY_MAX_CHARS as ORDER_CATEGORY_MAX_CHARS
from signaling.locales import BUYER_LOCALE_CODES, DEFAULT_LOCALE

DEFAULTS = Path(__file__).with_name("defaults.json")
ROW_ID = 1
MAX_TEMPLATES = 20
MAX_ITEMS = 50  # what starting an inspection accepts as ``items``
KEY_MAX_CHARS = 64  # what starting an inspection accepts as ``template``
NAME_MAX_CHARS = 100
CATEGORY_MAX_CHARS = ORDER_CATEGORY_MAX_CHARS  # the order line's, so every category fits
LABEL_MAX_CHARS = 200
MIN_PHOTOS, MAX_PHOTOS = 1, 10  # an item that needs a clip may need no photo
KEY_PATTERN = re.compile(rf"^[a-z][a-z0-9_]{{0,{KEY_MAX_CHARS - 1}}}$")
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@cache
def _shipped() -> tuple[dict[str, Any], ...]:
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    return tuple(data["templates"])


def shipped_templates() -> dict[str, dict[str, Any]]:
    """The shipped templates by key, as read from ``defaults.json`` (a fresh copy)."""
    return {t["key"]: json.loads(json.dumps(t)) for t in _shipped()}


def all_templates(db: Session) -> list[dict[str, Any]]:
    """The shop's templates in their order, else the shipped ones."""
    row = db.get(InspectionTemplates, ROW_ID)
    return list(row.templates) if row is not None else list(shipped_templates().values())


def is_customized(db: Session) -> bool:
    return db.get(InspectionTemplates, ROW_ID) is not None


def template(db: Session, key: str) -> dict[str, Any]:
    """The template ``key`` of the shop's set; NotFound when there is none of that name."""
    for found in all_templates(db):
        if found["key"] == key:
            return found
    raise NotFound(f'no checklist template "{key}"')


def _slug(text: str, taken: set[str], fallback: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or fallback
    if not base[0].isalpha():
        base = f"{fallback}_{base}"[:40]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _texts(texts: Any, where: str, what: str, limit: int) -> dict[str, str]:
    """A text per buyer locale, English required, each one line of at most ``limit``."""
    out: dict[str, str] = {}
    for locale, text in (texts or {}).items():
        text = (text or "").strip()
        if not text:
            continue
        if locale not in BUYER_LOCALE_CODES:
            raise InvalidInput(
                f"{where}: {locale!r} is not a language of the buyer page",
                code="template_unknown_locale",
            )
        if len(text) > limit or _CONTROL.search(text):
            raise InvalidInput(
                f"{where}: {what} is one line of at most {limit} characters, without control "
                "characters",
                code="template_bad_text",
            )
        out[locale] = text
    if not out.get(DEFAULT_LOCALE):
        raise InvalidInput(f"{where} needs {what} in English", code="template_no_english")
    return out


def _key(key: str | None, where: str) -> str:
    if not KEY_PATTERN.match(key or ""):
        raise InvalidInput(
            f"{where}: its key is lowercase letters, digits and _ (at most {KEY_MAX_CHARS})",
            code="template_bad_key",
        )
    return key or ""


def _items(items: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    if not items:
        raise InvalidInput(f"{where} needs at least one item", code="template_no_items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"{where}: at most {MAX_ITEMS} items", code="template_too_many_items")
    taken = {i["key"] for i in items if i.get("key")}
    seen: set[str] = set()
    out = []
    for number, item in enumerate(items, start=1):
        at = f"{where}, item {number}"
        label = _texts(item.get("label"), at, "the label", LABEL_MAX_CHARS)
        key = _key(item.get("key") or _slug(label[DEFAULT_LOCALE], taken | seen, "item"), at)
        if key in seen:
            raise InvalidInput(f"{at}: the key {key!r} is used twice", code="template_key_twice")
        seen.add(key)
        clip = item.get("clip_required", False)
        if not isinstance(clip, bool):
            raise InvalidInput(
                f"{at}: needs a clip or not (true or false)", code="template_bad_clip"
            )
        photos = item.get("photos")
        if isinstance(photos, bool) or not isinstance(photos, int):
            photos = -1
        least = 0 if clip else MIN_PHOTOS
        if not least <= photos <= MAX_PHOTOS:
            raise InvalidInput(
                f"{at} asks for {MIN_PHOTOS} to {MAX_PHOTOS} photos (0 to {MAX_PHOTOS} with a "
                "clip)",
                code="template_bad_photos",
            )
        out.append({"key": key, "label": label, "photos": photos, "clip_required": clip})
    return out


def checked(templates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The templates as stored, or InvalidInput naming the template or item and what is
    wrong: 1 to ``MAX_TEMPLATES`` templates, each with a category, an English name and 1 to
    ``MAX_ITEMS`` items; every item an English label and ``MIN_PHOTOS`` to ``MAX_PHOTOS``
    photos, or a clip (``clip_required``) and 0 to ``MAX_PHOTOS`` photos; texts one line
    without control characters, only in buyer locales; keys unique
    (a template or item without one gets one from its English name or label)."""
    if not templates:
        raise InvalidInput("keep at least one checklist", code="templates_empty")
    if len(templates) > MAX_TEMPLATES:
        raise InvalidInput(f"at most {MAX_TEMPLATES} checklists", code="templates_too_many")
    taken = {t["key"] for t in templates if t.get("key")}
    seen: set[str] = set()
    out = []
    for number, one in enumerate(templates, start=1):
        where = f"checklist {number}"
        name = _texts(one.get("name"), where, "the name", NAME_MAX_CHARS)
        key = _key(one.get("key") or _slug(name[DEFAULT_LOCALE], taken | seen, "checklist"), where)
        if key in seen:
            raise InvalidInput(f"{where}: the key {key!r} is used twice", code="template_key_twice")
        seen.add(key)
        category = (one.get("category") or "").strip()
        if not category or len(category) > CATEGORY_MAX_CHARS or _CONTROL.search(category):
            raise InvalidInput(
                f"{where}: its product category is one line of 1 to {CATEGORY_MAX_CHARS} "
                "characters, without control characters",
                code="template_bad_category",
            )
        items = _items(one.get("items") or [], f"{where} ({name[DEFAULT_LOCALE]})")
        out.append({"key": key, "category": category, "name": name, "items": items})
    return out


def set_templates(
    db: Session, templates: list[dict[str, Any]], now: datetime, *, by_user_id: int | None
) -> list[dict[str, Any]]:
    """Store the shop's templates (checked), replacing the set; the caller audits and
    commits."""
    stored = checked(templates)
    row = db.get(InspectionTemplates, ROW_ID) or InspectionTemplates(
        id=ROW_ID, templates=[], updated_at=now
    )
    row.templates, row.updated_at, row.updated_by_user_id = stored, now, by_user_id
    db.add(row)
    db.flush()
    return stored


def reset(db: Session) -> bool:
    """Back to the shipped templates; whether the shop had its own. The caller commits."""
    row = db.get(InspectionTemplates, ROW_ID)
    if row is None:
        return False
    db.delete(row)
    db.flush()
    return True
