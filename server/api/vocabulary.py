"""``GET /api/vocabulary``: every enumerated word of a call with its staff label, and
the languages the pages speak.

The staff pages build their selects and show their labels from this one answer: the
fixed words come from ``signaling.vocabulary``, the outcomes and their categories from
the shop's taxonomy (active ones; retired ones apart, for the labels of old calls).
Nothing here is secret: no sign-in is needed, and the browser may keep the answer for
half a minute.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from server.api.deps import DbDep
from server.evidence import taxonomy
from server.models.taxonomy import OutcomeCode, call_purposes
from signaling.locales import BUYER_LOCALES, STAFF_LOCALES, Direction
from signaling.vocabulary import (
    OUTCOME_CATEGORY_LABELS,
    OUTCOME_LABELS,
    CallState,
    Decision,
    EndReason,
    Purpose,
    vocabulary,
)

router = APIRouter(tags=["vocabulary"])

CACHE_CONTROL = "public, max-age=30"  # an admin's change of the taxonomy shows soon


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
    code: str
    label: str
    category: str = Field(description="its category's code")
    purposes: list[Purpose] = Field(
        description="the call purposes whose verdicts may take it (its category's)"
    )
    shipped: bool = Field(
        description="the label is the shipped one (a page may show its own translation)"
    )


class CategoryTerm(BaseModel):
    code: str
    label: str
    purposes: list[Purpose] = Field(description="the call purposes its codes are for")
    shipped: bool = Field(description="the label is the shipped one")


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
    outcomes: list[OutcomeTerm] = Field(
        description="what the call found: the shop's active outcome codes; a call's verdict "
        "takes only those whose `purposes` hold the call's purpose"
    )
    outcome_categories: list[CategoryTerm] = Field(
        description="the categories (active ones): return reasons, demo results"
    )
    retired_outcomes: list[OutcomeTerm] = Field(
        description="retired codes: no longer offered, still on the calls that have them"
    )
    decisions: list[DecisionTerm] = Field(description="what the shop does about it")
    locales: list[LocaleTerm] = Field(description="the buyer page's languages, English first")
    staff_locales: list[LocaleTerm] = Field(description="the staff pages' languages")


def _locales(found: tuple) -> list[dict[str, str]]:
    return [{"code": loc.code, "name": loc.name, "dir": loc.dir} for loc in found]


@router.get("/api/vocabulary", response_model=Vocabulary)
def get_vocabulary(response: Response, db: DbDep) -> Vocabulary:
    """The call states, end reasons, purposes, outcomes (the shop's codes, with their
    categories) and decisions with their labels; the buyer page's and the staff pages'
    languages with their own names."""
    response.headers["Cache-Control"] = CACHE_CONTROL
    found = taxonomy.load(db)
    active = {c.code for c in found.active_codes()}
    purpose_of = found.purpose_of()

    def term(code: OutcomeCode) -> dict[str, object]:
        shipped = OUTCOME_LABELS.get(code.code)  # type: ignore[call-overload]
        return {
            "code": code.code,
            "label": code.label,
            "category": code.category,
            "purposes": call_purposes(purpose_of[code.code]),
            "shipped": shipped == code.label,
        }

    return Vocabulary.model_validate(
        {
            **vocabulary(),
            "outcomes": [term(c) for c in found.codes if c.code in active],
            "retired_outcomes": [term(c) for c in found.codes if c.code not in active],
            "outcome_categories": [
                {
                    "code": c.code,
                    "label": c.label,
                    "purposes": call_purposes(c.purpose),
                    "shipped": OUTCOME_CATEGORY_LABELS.get(c.code) == c.label,  # type: ignore[call-overload]
                }
                for c in found.categories
                if c.retired_at is None
            ],
            "locales": _locales(BUYER_LOCALES),
            "staff_locales": _locales(STAFF_LOCALES),
        }
    )
