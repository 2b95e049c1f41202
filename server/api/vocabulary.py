"""``GET /api/vocabulary``: every enumerated word of a call with its staff label, and
the languages the pages speak.

The staff pages build their selects and show their labels from this one answer, so the
words come from ``signaling.vocabulary`` alone. Nothing here is secret: no sign-in is
needed, and the browser may keep the answer for a few minutes.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from signaling.locales import BUYER_LOCALES, STAFF_LOCALES, Direction
from signaling.vocabulary import CallState, Decision, EndReason, Outcome, Purpose, vocabulary

router = APIRouter(tags=["vocabulary"])

CACHE_CONTROL = "public, max-age=300"  # five minutes: a new label shows soon after a deploy


class CallStateTerm(BaseModel):
    code: CallState
    label: str


class EndReasonTerm(BaseModel):
    code: EndReason
    label: str


class PurposeTerm(BaseModel):
    code: Purpose
    label: str


class OutcomeTerm(BaseModel):
    code: Outcome
    label: str


class DecisionTerm(BaseModel):
    code: Decision
    label: str


class LocaleTerm(BaseModel):
    code: str = Field(description="a BCP 47 code, as the API takes it")
    name: str = Field(description="the language's name in itself")
    dir: Direction = Field(description="its writing direction")


class Vocabulary(BaseModel):
    """Each list holds every value once, in display order, with the label staff read."""

    call_states: list[CallStateTerm] = Field(description="a call's state")
    end_reasons: list[EndReasonTerm] = Field(description="why a call ended")
    purposes: list[PurposeTerm] = Field(description="why a buyer link was sent")
    outcomes: list[OutcomeTerm] = Field(description="what the evidence showed")
    decisions: list[DecisionTerm] = Field(description="what the shop does about it")
    locales: list[LocaleTerm] = Field(description="the buyer page's languages, English first")
    staff_locales: list[LocaleTerm] = Field(description="the staff pages' languages")


def _locales(found: tuple) -> list[dict[str, str]]:
    return [{"code": loc.code, "name": loc.name, "dir": loc.dir} for loc in found]


@router.get("/api/vocabulary", response_model=Vocabulary)
def get_vocabulary(response: Response) -> Vocabulary:
    """The call states, end reasons, purposes, outcomes and decisions with their labels;
    the buyer page's and the staff pages' languages with their own names."""
    response.headers["Cache-Control"] = CACHE_CONTROL
    return Vocabulary.model_validate(
        {
            **vocabulary(),
            "locales": _locales(BUYER_LOCALES),
            "staff_locales": _locales(STAFF_LOCALES),
        }
    )
