"""PROTOCOL.md's tables of the codes the buyer's page must translate, as sets of codes
(test_buyer_codes.py holds them to the code; the catalogue checks demand a sentence for
each)."""

from __future__ import annotations

import re
from pathlib import Path

import signaling

PROTOCOL = (Path(signaling.__file__).parent / "PROTOCOL.md").read_text(encoding="utf-8")
SECTION = PROTOCOL.split("## Codes the buyer page must translate", 1)[1].split("\n## ", 1)[0]


def documented(header: str) -> set[str]:
    """The codes of the table whose first column is ``header`` (e.g. ``HTTP code``)."""
    table = SECTION.split(f"| {header} |", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `?([\w]+)`? \|", table, flags=re.M))


def buyer_error_codes() -> set[str]:
    """Every HTTP and signaling error code a buyer's page can receive."""
    return documented("HTTP code") | documented("signaling `error` code")
