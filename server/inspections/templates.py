"""Checklist templates: the shipped set in ``defaults.json`` (each item's label in every
buyer locale and the number of photos it needs)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from server.errors import NotFound

DEFAULTS = Path(__file__).with_name("defaults.json")


@cache
def shipped_templates() -> dict[str, dict[str, Any]]:
    """The shipped templates by key, as read from ``defaults.json``."""
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    return {template["key"]: template for template in data["templates"]}


def template(key: str) -> dict[str, Any]:
    """The template ``key``; NotFound when there is none of that name."""
    found = shipped_templates().get(key)
    if found is None:
        raise NotFound(f'no checklist template "{key}"')
    return found
