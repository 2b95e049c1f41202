"""The shop's outcome taxonomy: ``GET /api/outcome-taxonomy`` (staff: every category and
code, retired ones included) and the admin's changes: ``POST /api/outcome-categories``,
``PATCH /api/outcome-categories/{code}``, ``POST /api/outcome-codes``,
``PATCH /api/outcome-codes/{code}`` (rename, move, retire or bring back). Changes are
audited; nothing is deleted, so old calls keep their codes and history."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import Admin, AnyStaff, ClockDep, DbDep
from server.evidence import audit, taxonomy
from server.models.taxonomy import (
    CODE_MAX_CHARS,
    CODE_PATTERN,
    LABEL_MAX_CHARS,
    OutcomeCategoryPublic,
    OutcomeCodePublic,
    OutcomeCodeStr,
)
from server.models.text import LineStr
from signaling.vocabulary import Purpose as TaxonomyPurpose

router = APIRouter(tags=["outcome taxonomy"])

CodePath = Annotated[
    str,
    Path(min_length=2, max_length=CODE_MAX_CHARS, pattern=CODE_PATTERN, description="a code"),
]
Label = Annotated[LineStr, Field(min_length=1, max_length=LABEL_MAX_CHARS)]


class TaxonomyOut(BaseModel):
    categories: list[OutcomeCategoryPublic] = Field(description="by position")
    codes: list[OutcomeCodePublic] = Field(description="by position")


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: OutcomeCodeStr
    label: Label
    purpose: Literal[TaxonomyPurpose.DAMAGE_VERIFICATION, TaxonomyPurpose.PRODUCT_DEMO] = Field(
        default=TaxonomyPurpose.DAMAGE_VERIFICATION,
        description="whose verdicts its codes are (remote inspections take damage_verification's)",
    )


class CategoryChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Label | None = None
    retired: bool | None = Field(default=None, description="true retires, false brings back")


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: OutcomeCodeStr
    label: Label
    category: OutcomeCodeStr = Field(description="an active category's code")


class CodeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Label | None = None
    category: OutcomeCodeStr | None = Field(default=None, description="move it to this one")
    retired: bool | None = Field(default=None, description="true retires, false brings back")


def _audit(db: DbDep, clock: ClockDep, principal: Admin, detail: dict[str, object]) -> None:
    audit.action_done(
        db, audit.AUDIT_TAXONOMY_CHANGED, clock.now(), user_id=principal.user_id, detail=detail
    )
    db.commit()


def _all(db: DbDep) -> TaxonomyOut:
    found = taxonomy.load(db)
    return TaxonomyOut(
        categories=[OutcomeCategoryPublic.model_validate(c) for c in found.categories],
        codes=[OutcomeCodePublic.model_validate(c) for c in found.codes],
    )


@router.get("/api/outcome-taxonomy", response_model=TaxonomyOut)
def get_taxonomy(principal: AnyStaff, db: DbDep) -> TaxonomyOut:
    """Every category and outcome code, retired ones included (``retired_at``)."""
    return _all(db)


@router.post(
    "/api/outcome-categories",
    status_code=201,
    response_model=OutcomeCategoryPublic,
    responses={409: {"description": "a category with this code exists already"}},
)
def add_category(
    body: CategoryIn, principal: Admin, db: DbDep, clock: ClockDep
) -> OutcomeCategoryPublic:
    """Add a category of a purpose's outcomes (409 ``category_exists`` when the code is
    taken)."""
    row = taxonomy.add_category(db, body.code, body.label, str(body.purpose.value))
    _audit(db, clock, principal, {"change": "category_added", "code": row.code})
    return OutcomeCategoryPublic.model_validate(row)


@router.patch("/api/outcome-categories/{code}", response_model=OutcomeCategoryPublic)
def change_category(
    code: CodePath, body: CategoryChange, principal: Admin, db: DbDep, clock: ClockDep
) -> OutcomeCategoryPublic:
    """Rename a category, retire it or bring it back."""
    row = taxonomy.change_category(db, code, clock.now(), label=body.label, retired=body.retired)
    _audit(db, clock, principal, {"change": "category_changed", "code": code})
    return OutcomeCategoryPublic.model_validate(row)


@router.post(
    "/api/outcome-codes",
    status_code=201,
    response_model=OutcomeCodePublic,
    responses={409: {"description": "an outcome code with this code exists already"}},
)
def add_code(body: CodeIn, principal: Admin, db: DbDep, clock: ClockDep) -> OutcomeCodePublic:
    """Add an outcome code to an active category (409 ``outcome_exists`` when taken)."""
    row = taxonomy.add_code(db, body.code, body.label, body.category)
    _audit(db, clock, principal, {"change": "outcome_added", "code": row.code})
    return OutcomeCodePublic.model_validate(row)


@router.patch("/api/outcome-codes/{code}", response_model=OutcomeCodePublic)
def change_code(
    code: CodePath, body: CodeChange, principal: Admin, db: DbDep, clock: ClockDep
) -> OutcomeCodePublic:
    """Rename a code, move it to another category, retire it or bring it back. Calls that
    have it keep it (and their history); a retired code is refused for new verdicts."""
    row = taxonomy.change_code(
        db, code, clock.now(), label=body.label, category=body.category, retired=body.retired
    )
    _audit(db, clock, principal, {"change": "outcome_changed", "code": code})
    return OutcomeCodePublic.model_validate(row)
