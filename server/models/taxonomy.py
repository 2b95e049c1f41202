"""The shop's outcome taxonomy: outcome codes grouped into return-reason categories.

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

CODE_MAX_CHARS = 32
LABEL_MAX_CHARS = 80
CODE_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"


class OutcomeCategoryBase(SQLModel):
    """A return-reason category's columns the API shows."""

    code: str = Field(primary_key=True, max_length=CODE_MAX_CHARS)
    label: str = Field(max_length=LABEL_MAX_CHARS)
    position: int = Field(default=0, description="order in lists and charts")
    retired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


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
