"""The pages' stylesheets are whole: every rule's block is closed. One unclosed block makes
the browser ignore every rule after it, silently (a merge once left two open)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
COMMENT = re.compile(r"/\*.*?\*/", re.S)
STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


def open_blocks(css: str) -> list[int]:
    """The line numbers of blocks that are never closed, and of closing braces with no
    block open (as negative numbers)."""
    text = STRING.sub('""', COMMENT.sub(lambda m: "\n" * m.group().count("\n"), css))
    opened: list[int] = []
    stray: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for char in line:
            if char == "{":
                opened.append(number)
            elif char == "}":
                if opened:
                    opened.pop()
                else:
                    stray.append(-number)
    return opened + stray


def test_the_checker_finds_an_unclosed_rule() -> None:
    assert open_blocks(".a { color: red; }\n.b { color: blue;\n.c { }\n") == [2]
    assert open_blocks("/* { */ .a { content: '}'; }") == []


@pytest.mark.parametrize("sheet", sorted(p.name for p in WEB.glob("*.css")))
def test_every_block_of_the_stylesheet_is_closed(sheet: str) -> None:
    assert open_blocks((WEB / sheet).read_text(encoding="utf-8")) == []
