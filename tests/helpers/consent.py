"""The ``consent`` message as a buyer's page sends it: the decision and the consent text it
showed (its locale and version) and the buyer's time zone, all required. The shipped
English texts are version 1 of every purpose on a fresh server, so ``SHIPPED_TEXT`` names
a text any test server holds."""

from __future__ import annotations

import json
from typing import Any

SHIPPED_TEXT: dict[str, Any] = {"locale": "en", "consent_version": 1, "timezone": "UTC"}


def consent_message(accept: bool = True, **fields: Any) -> dict[str, Any]:
    """A ``consent`` message naming the shipped English text (``fields`` replace any of
    ``locale``, ``consent_version``, ``timezone``)."""
    return {"type": "consent", "accept": accept, **SHIPPED_TEXT, **fields}


def consent_json(accept: bool = True, **fields: Any) -> str:
    """``consent_message`` as the JSON text frame."""
    return json.dumps(consent_message(accept, **fields))
