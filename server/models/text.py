"""Text fields typed by people: trimmed, never empty, no control characters.

``LineStr`` and ``ParagraphStr`` carry their rule twice from the same character classes:
the validator that refuses (with the project's own sentences) and the ``pattern`` that
``/openapi.json`` shows for the field. The pattern is the strict reading (what is stored,
after trimming); the validator also takes surrounding whitespace and trims it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# Written with escapes both ECMA-262 (JSON Schema) and Python's re read alike.
CONTROL_CHARS = r"\x00-\x08\x0b-\x1f\x7f"  # tab and newline are allowed
LINE_BREAKS = r"\n\r"
# what str.strip() removes (Python's whitespace), so a text of only these is blank
BLANK_CHARS = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

_CONTROL = re.compile(f"[{CONTROL_CHARS}]")
_LINE_BREAK = re.compile(f"[{LINE_BREAKS}]")


def _text_pattern(allowed_not: str) -> str:
    """A whole text of characters outside ``allowed_not`` with at least one that is
    neither blank nor a control character."""
    some = f"[^{allowed_not}]*"
    return f"^{some}[^{BLANK_CHARS}{CONTROL_CHARS}]{some}$"


LINE_PATTERN = _text_pattern(CONTROL_CHARS + LINE_BREAKS)
PARAGRAPH_PATTERN = _text_pattern(CONTROL_CHARS)


@dataclass(frozen=True)
class Documented:
    """Annotated metadata that adds ``extra`` (JSON Schema keywords) to the field's schema
    in ``/openapi.json`` without validating anything itself: the validator beside it does,
    with the project's own error sentence."""

    extra: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, **extra: Any) -> Documented:
        return cls(tuple(extra.items()))

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.update(dict(self.extra))
        return schema


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
LineStr = Annotated[str, Line, Documented.of(pattern=LINE_PATTERN)]
ParagraphStr = Annotated[str, Paragraph, Documented.of(pattern=PARAGRAPH_PATTERN)]
