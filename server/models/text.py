"""Text fields typed by people: trimmed, never empty, no control characters."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tab and newline are allowed
_LINE_BREAK = re.compile(r"[\r\n]")


def _clean(value: str, multiline: bool) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty or only spaces")
    if _CONTROL.search(value) or (not multiline and _LINE_BREAK.search(value)):
        raise ValueError("must not contain control characters")
    return value


def _line(value: str) -> str:
    return _clean(value, multiline=False)


def _paragraph(value: str) -> str:
    return _clean(value, multiline=True)


# Apply after the length check: a single line (names, order references) or free text.
Line = AfterValidator(_line)
Paragraph = AfterValidator(_paragraph)
LineStr = Annotated[str, Line]
ParagraphStr = Annotated[str, Paragraph]
