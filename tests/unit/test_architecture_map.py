"""docs/architecture.md's code map matches the folders: every package of server/ is on it,
and every path and module it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def map_rows() -> list[tuple[str, str]]:
    section = DOC.split("## Code map", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            rows.append((cells[0].strip("`"), cells[1]))
    return rows


def test_every_place_on_the_map_exists() -> None:
    missing = [where for where, _ in map_rows() if not (ROOT / where).exists()]
    assert missing == []


def test_every_module_a_folder_row_names_exists_in_that_folder() -> None:
    missing = []
    for where, what in map_rows():
        if not where.endswith("/"):
            continue
        for module in re.findall(r"`([\w/]+\.(?:py|md))`", what):
            if not (ROOT / where / module).exists():
                missing.append(f"{where}{module}")
    assert missing == []


def test_every_server_package_is_on_the_map() -> None:
    mapped = {where.rstrip("/") for where, _ in map_rows()}
    packages = {
        str(init.parent.relative_to(ROOT)) for init in (ROOT / "server").glob("*/__init__.py")
    }
    assert packages - mapped == set()
