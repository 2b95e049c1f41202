"""The webhook event types live in one list (server/webhooks/events.py): the API document's
``webhooks`` section is made from it and /admin reads its choices from that document, so no
page or other module keeps a copy that could fall behind."""

from __future__ import annotations

import re
from pathlib import Path

from server.webhooks.events import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]


def test_no_page_script_keeps_its_own_list_of_event_types():
    for script in sorted((ROOT / "web" / "js").rglob("*.js")):
        text = script.read_text(encoding="utf-8")
        quoted = {t for t in EVENT_TYPES if re.search(rf"[\"'`]{re.escape(t)}[\"'`]", text)}
        assert len(quoted) < 2, f"{script.relative_to(ROOT)} lists event types {sorted(quoted)}"


def test_the_admin_page_reads_the_event_types_from_the_api_document():
    text = (ROOT / "web" / "js" / "admin_webhooks.js").read_text(encoding="utf-8")
    assert '"/openapi.json"' in text and ".webhooks" in text
