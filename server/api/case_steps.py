"""The steps a buyer records, per purpose: admins read, set and reset them
(``/api/case-steps``, audited ``case_steps_changed``); the buyer's page reads its link's
purpose's steps in its language (``/api/buyer/case/steps``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import Admin, BuyerLink, ClockDep, DbDep
from server.evidence import audit, case_steps
from server.models.case import STEP_MAX_CHARS
from signaling.locales import choose_buyer_locale
from signaling.vocabulary import Purpose

router = APIRouter(tags=["cases"])

PurposeParam = Annotated[Purpose, Path(description="the purpose whose steps these are")]


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(
        default=None,
        max_length=STEP_MAX_CHARS,
        description="the step's name in uploads; none: made from the English prompt",
    )
    prompts: dict[str, str | None] = Field(
        description="the prompt per buyer locale; English required",
        max_length=64,
    )
    clip: bool = Field(description="the step asks for a clip of at most 60 s")
    photos: bool = Field(description="the step asks for photos")


class Step(BaseModel):
    key: str
    prompts: dict[str, str]
    clip: bool
    photos: bool


class StepsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[StepIn] = Field(max_length=64, description="in the order the buyer takes them")


class PurposeSteps(BaseModel):
    purpose: Purpose
    customized: bool = Field(description="false: the shipped steps")
    steps: list[Step]


class AllSteps(BaseModel):
    purposes: list[PurposeSteps]


class BuyerStep(BaseModel):
    key: str
    prompt: str = Field(description="in the page's language, else English")
    clip: bool
    photos: bool


class BuyerSteps(BaseModel):
    steps: list[BuyerStep]


def _shown(db: DbDep, purpose: Purpose) -> PurposeSteps:
    return PurposeSteps(
        purpose=purpose,
        customized=case_steps.is_customized(db, purpose),
        steps=[Step(**step) for step in case_steps.steps_for(db, purpose)],
    )


@router.get("/api/case-steps", response_model=AllSteps)
def list_steps(principal: Admin, db: DbDep) -> AllSteps:
    """Every purpose's steps (the shop's own, else the shipped ones)."""
    return AllSteps(purposes=[_shown(db, purpose) for purpose in Purpose])


@router.put("/api/case-steps/{purpose}", response_model=PurposeSteps, responses={422: {}})
def set_steps(
    purpose: PurposeParam, body: StepsIn, principal: Admin, db: DbDep, clock: ClockDep
) -> PurposeSteps:
    """Set the purpose's steps, in order: 1 to 12, each with an English prompt (other
    buyer locales optional, English shown where one is missing), a clip, photos or both.
    Audited."""
    stored = case_steps.set_steps(
        db,
        purpose,
        [step.model_dump() for step in body.steps],
        clock.now(),
        by_user_id=principal.user_id,
    )
    audit.action_done(
        db,
        audit.AUDIT_CASE_STEPS_CHANGED,
        clock.now(),
        user_id=principal.user_id,
        detail={"change": "set", "purpose": str(purpose), "steps": [s["key"] for s in stored]},
    )
    db.commit()
    return _shown(db, purpose)


@router.delete("/api/case-steps/{purpose}", status_code=204)
def reset_steps(purpose: PurposeParam, principal: Admin, db: DbDep, clock: ClockDep) -> Response:
    """Back to the shipped steps. Audited when the shop had its own."""
    if case_steps.reset(db, purpose):
        audit.action_done(
            db,
            audit.AUDIT_CASE_STEPS_CHANGED,
            clock.now(),
            user_id=principal.user_id,
            detail={"change": "reset", "purpose": str(purpose)},
        )
    db.commit()
    return Response(status_code=204)


@router.get("/api/buyer/case/steps", response_model=BuyerSteps)
def buyer_steps(link: BuyerLink, db: DbDep, locale: str | None = None) -> BuyerSteps:
    """The steps of the link's purpose, their prompts in ``locale`` (else the link's
    language, else English; a prompt without that language in English)."""
    chosen = choose_buyer_locale(locale[:35] if locale else None, link.locale, None)
    return BuyerSteps(
        steps=[
            BuyerStep(
                key=step["key"],
                prompt=case_steps.prompt_in(step, chosen),
                clip=step["clip"],
                photos=step["photos"],
            )
            for step in case_steps.steps_for(db, link.purpose)
        ]
    )
