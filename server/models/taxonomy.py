"""The shop's outcome taxonomy: outcome codes grouped into categories, each of one purpose
(return reasons for a damage check or an inspection; demo results for a product demo).

A call's (and a case's) ``outcome`` holds a code of ``outcome_code``. Codes and
categories are never deleted: a retired one (``retired_at`` set) is no longer offered
for a new verdict, but stays on the calls that have it and in their history, with its
label. A code's ``code`` never changes; renaming changes its ``label``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field as PydanticField
from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime
from server.models.public import PUBLIC_CONFIG
from signaling.vocabulary import Purpose

CODE_MAX_CHARS = 32
LABEL_MAX_CHARS = 80
CODE_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"

TAXONOMY_DAMAGE = Purpose.DAMAGE_VERIFICATION.value
TAXONOMY_DEMO = Purpose.PRODUCT_DEMO.value
TAXONOMY_PURPOSES: tuple[str, ...] = (TAXONOMY_DAMAGE, TAXONOMY_DEMO)
"""The purposes that have outcome codes of their own; the others borrow one's."""


def taxonomy_purpose(purpose: str) -> str:
    """The purpose whose codes a call of ``purpose`` takes: a remote inspection shares the
    damage check's (what the camera shows is judged the same way)."""
    return TAXONOMY_DEMO if purpose == TAXONOMY_DEMO else TAXONOMY_DAMAGE


def call_purposes(taxonomy: str) -> list[str]:
    """The call purposes that take the codes of ``taxonomy``."""
    return [p.value for p in Purpose if taxonomy_purpose(p.value) == taxonomy]


class OutcomeCategoryBase(SQLModel):
    """A return-reason category's columns the API shows."""

    code: str = Field(primary_key=True, max_length=CODE_MAX_CHARS)
    label: str = Field(max_length=LABEL_MAX_CHARS)
    position: int = Field(default=0, description="order in lists and charts")
    retired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    purpose: str = Field(
        default=TAXONOMY_DAMAGE,
        max_length=32,
        description="the call purpose whose verdicts its codes are: damage_verification "
        "(also used by remote_inspection calls) or product_demo",
    )


class OutcomeCategory(OutcomeCategoryBase, table=True):
    """A return-reason category (product, logistics, buyer, ...)."""

    __tablename__ = "outcome_category"


class OutcomeCodeBase(SQLModel):
    """An outcome code's columns the API shows."""

    code: str = Field(primary_key=True, max_length=CODE_MAX_CHARS)
    label: str = Field(max_length=LABEL_MAX_CHARS)
    category: str = Field(foreign_key="outcome_category.code", max_length=CODE_MAX_CHARS)
    position: int = Field(default=0, description="order in lists and selects")
    retired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class OutcomeCode(OutcomeCodeBase, table=True):
    """An outcome an agent may record (unless retired), in one category."""

    __tablename__ = "outcome_code"


class OutcomeCategoryPublic(OutcomeCategoryBase):
    model_config = PUBLIC_CONFIG


class OutcomeCodePublic(OutcomeCodeBase):
    model_config = PUBLIC_CONFIG


OutcomeCodeStr = Annotated[
    str,
    PydanticField(
        min_length=2,
        max_length=CODE_MAX_CHARS,
        pattern=CODE_PATTERN,
        description="an outcome code of the shop's taxonomy (GET /api/outcome-taxonomy): "
        "lower-case letters, digits and _",
    ),
]
"""An outcome code as the API takes it; whether the shop has it is checked against the
taxonomy (``server.evidence.taxonomy``)."""
