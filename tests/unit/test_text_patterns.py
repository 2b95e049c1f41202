"""The pattern ``/openapi.json`` shows for typed text and the validator that refuses it
agree: whatever matches the pattern is taken as it is, and whatever the validator takes
matches it once trimmed."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from server.models.text import LINE_PATTERN, PARAGRAPH_PATTERN, LineStr, ParagraphStr

CASES = ((LineStr, LINE_PATTERN), (ParagraphStr, PARAGRAPH_PATTERN))
# any characters, the troublesome ones often: controls, breaks, Unicode spaces
chars = (
    st.sampled_from("\x00\x01\x07\t\n\x0b\x0c\r\x1c\x1f \x7f\x85\xa0\u2000\u3000\ufeffa李")
    | st.characters()
)


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text(chars, max_size=12))
def test_what_the_validator_takes_matches_the_documented_pattern_once_trimmed(text):
    for kind, pattern in CASES:
        try:
            taken = TypeAdapter(kind).validate_python(text)
        except ValidationError:
            continue
        assert re.fullmatch(pattern, taken), (kind, text)


@settings(max_examples=200, derandomize=True, database=None)
@given(st.sampled_from(CASES).flatmap(lambda c: st.tuples(st.just(c[0]), st.from_regex(c[1]))))
def test_what_matches_the_documented_pattern_is_taken(case):
    kind, text = case
    assert TypeAdapter(kind).validate_python(text) == text.strip()


def test_the_schema_of_typed_text_is_the_pattern():
    assert TypeAdapter(LineStr).json_schema() == {"type": "string", "pattern": LINE_PATTERN}
    assert TypeAdapter(ParagraphStr).json_schema()["pattern"] == PARAGRAPH_PATTERN
