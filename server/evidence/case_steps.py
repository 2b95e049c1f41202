"""The steps a buyer records, per purpose: each a key, a prompt per buyer locale (English
required), and whether it asks for a clip, photos or both. A shop edits them on /admin;
without its own (no ``CaseSteps`` row) a purpose has the shipped ones
(``case_steps_defaults.json``). :func:`checked` is the one place their rules live."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from server.errors import InvalidInput
from server.models.case import STEP_MAX_CHARS, CaseSteps
from signaling.locales import BUYER_LOCALE_CODES, DEFAULT_LOCALE
from signaling.vocabulary import Purpose

DEFAULTS_PATH = Path(__file__).with_name("case_steps_defaults.json")
MAX_STEPS = 12
PROMPT_MAX_CHARS = 200
KEY_PATTERN = re.compile(rf"^[a-z][a-z0-9_]{{0,{STEP_MAX_CHARS - 1}}}$")


def shipped() -> dict[str, list[dict[str, Any]]]:
    """The shipped steps of every purpose (a fresh copy)."""
    return json.loads(DEFAULTS_PATH.read_text(encoding="utf-8"))


def steps_for(db: Session, purpose: Purpose | str) -> list[dict[str, Any]]:
    """The shop's steps for ``purpose``, else the shipped ones."""
    row = db.get(CaseSteps, str(purpose))
    return list(row.steps) if row is not None else shipped().get(str(purpose), [])


def is_customized(db: Session, purpose: Purpose | str) -> bool:
    return db.get(CaseSteps, str(purpose)) is not None


def prompt_in(step: dict[str, Any], locale: str) -> str:
    """The step's prompt in ``locale``, else in English."""
    prompts = step["prompts"]
    return prompts.get(locale) or prompts[DEFAULT_LOCALE]


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:24] or "step"
    if not base[0].isalpha():
        base = f"step_{base}"[:24]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def checked(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps as stored, or InvalidInput naming the step and what is wrong: 1 to
    ``MAX_STEPS`` steps; keys unique (a step without one gets one from its English
    prompt); an English prompt on each, prompts only in buyer locales, one line of at most
    ``PROMPT_MAX_CHARS``; a clip, photos or both."""
    if not steps:
        raise InvalidInput("keep at least one step", code="steps_empty")
    if len(steps) > MAX_STEPS:
        raise InvalidInput(f"at most {MAX_STEPS} steps", code="steps_too_many")
    taken = {s["key"] for s in steps if s.get("key")}
    seen: set[str] = set()
    out = []
    for number, step in enumerate(steps, start=1):
        prompts = {k: (v or "").strip() for k, v in (step.get("prompts") or {}).items()}
        prompts = {k: v for k, v in prompts.items() if v}
        if not prompts.get(DEFAULT_LOCALE):
            raise InvalidInput(f"step {number} needs its prompt in English", code="step_no_english")
        for locale, text in prompts.items():
            if locale not in BUYER_LOCALE_CODES:
                raise InvalidInput(
                    f"step {number}: {locale!r} is not a language of the buyer page",
                    code="step_unknown_locale",
                )
            if len(text) > PROMPT_MAX_CHARS or "\n" in text or "\r" in text:
                raise InvalidInput(
                    f"step {number}: a prompt is one line of at most {PROMPT_MAX_CHARS} characters",
                    code="step_prompt_too_long",
                )
        key = step.get("key") or _slug(prompts[DEFAULT_LOCALE], taken | seen)
        if not KEY_PATTERN.match(key):
            raise InvalidInput(
                f"step {number}: its key is lowercase letters, digits and _ (at most "
                f"{STEP_MAX_CHARS})",
                code="step_bad_key",
            )
        if key in seen:
            raise InvalidInput(f"step {number}: the key {key!r} is used twice", "step_key_twice")
        seen.add(key)
        clip, photos = bool(step.get("clip")), bool(step.get("photos"))
        if not (clip or photos):
            raise InvalidInput(
                f"step {number} asks for nothing: a clip, photos or both", code="step_asks_nothing"
            )
        out.append({"key": key, "prompts": prompts, "clip": clip, "photos": photos})
    return out


def set_steps(
    db: Session,
    purpose: Purpose,
    steps: list[dict[str, Any]],
    now: datetime,
    *,
    by_user_id: int | None,
) -> list[dict[str, Any]]:
    """Store the shop's steps for ``purpose`` (checked); the caller audits and commits."""
    stored = checked(steps)
    row = db.get(CaseSteps, str(purpose)) or CaseSteps(
        purpose=str(purpose), steps=[], updated_at=now
    )
    row.steps, row.updated_at, row.updated_by_user_id = stored, now, by_user_id
    db.add(row)
    db.flush()
    return stored


def reset(db: Session, purpose: Purpose) -> bool:
    """Back to the shipped steps; whether the shop had its own. The caller commits."""
    row = db.get(CaseSteps, str(purpose))
    if row is None:
        return False
    db.delete(row)
    db.flush()
    return True
