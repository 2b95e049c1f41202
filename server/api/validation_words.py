"""What a refused request body or query says to the person who sent it: one sentence per
problem, naming the field as people call it, never the pattern or the validator's
wording ("Locale: String should match pattern '^...'" becomes "The buyer's language must
be a language code such as de or pt-BR.")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MAX_PROBLEMS = 10

# a field's name as people read it (the last part of its location)
FIELD_WORDS: Mapping[str, str] = {
    "locale": "The buyer's language",
    "order_ref": "The order reference",
    "purpose": "The purpose",
    "buyer_name": "The buyer's name",
    "email": "The email address",
    "name": "The name",
    "role": "The role",
    "scopes": "The scopes",
    "expires_in_s": "The expiry",
    "ttl_s": "The link's lifetime",
    "outcome": "The outcome",
    "decision": "The decision",
    "note": "The note",
    "reason": "The reason",
    "caption": "The caption",
    "password": "The password",
    "new_password": "The new password",
}
# what a field with a pattern must look like
PATTERN_WORDS: Mapping[str, str] = {
    "locale": "a language code such as de or pt-BR",
}


def _field(loc: Sequence[Any]) -> tuple[str, str]:
    """(key, words) for an error's location: a body field by its words, a query or path
    parameter by its own name (what an integration typed)."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    key = next((p for p in reversed(parts) if not p.isdigit()), "")
    if loc and loc[0] in ("query", "path"):
        return key, f"The parameter {key}"
    words = FIELD_WORDS.get(key) or (key.replace("_", " ").capitalize() if key else "")
    return key, words


def _sentence(err: Mapping[str, Any]) -> str:
    key, field = _field(err.get("loc", ()))
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    msg = str(err.get("msg", "is not valid"))
    subject = field or "The request"
    if kind == "missing":
        text = f"{subject} is required"
    elif kind == "string_pattern_mismatch":
        text = f"{subject} must be {PATTERN_WORDS.get(key, 'in the expected form')}"
    elif kind == "string_too_short" and ctx.get("min_length") == 1:
        text = f"{subject} must not be empty"
    elif kind == "string_too_short":
        text = f"{subject} must be at least {ctx.get('min_length')} characters long"
    elif kind == "string_too_long" or (kind == "too_long" and isinstance(err.get("input"), str)):
        # a trimmed single line (LineStr) is measured after its validator: "too_long"
        text = f"{subject} must be at most {ctx.get('max_length')} characters long"
    elif kind == "extra_forbidden":
        text = f"{subject} is not a field this request takes"
    elif kind in ("json_invalid", "model_attributes_type", "dict_type", "model_type"):
        text = "The request must be a JSON object" if not field else f"{subject} is not valid"
    else:
        # the validator's own sentence: "Input should be ..." reads "<field> must be ..."
        text = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if text.startswith("Input should be "):
            text = f"{subject} must be " + text.removeprefix("Input should be ")
        elif field and text.startswith(("is ", "must ", "should ")):
            text = f"{subject} {text}"
        elif field:
            text = f"{subject}: {text}"
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """The sentences for a validation error's problems (at most ``MAX_PROBLEMS``)."""
    sentences = [_sentence(err) for err in errors[:MAX_PROBLEMS]]
    return " ".join(dict.fromkeys(sentences)) or "The request is not valid."
