"""The shop's outcome taxonomy: read it, check a verdict's code, and let admins add,
rename and retire codes and categories.

Contract: a new verdict (call or case) takes only an active code of its purpose
(``require_active``: a category belongs to one purpose, a remote inspection shares the
damage check's); a
filter or a report takes any code the shop ever had (``require_known``). Nothing is
deleted: retiring sets ``retired_at``, and calls keep the code, its label and its
history. A code stays in its category unless an admin moves it; a retired category's
codes may not be used until they are moved to an active one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from server.errors import Conflict, InvalidInput, NotFound
from server.models.taxonomy import (
    TAXONOMY_DAMAGE,
    OutcomeCategory,
    OutcomeCode,
    taxonomy_purpose,
)

WRONG_PURPOSE = "outcome_wrong_purpose"
"""The error code of a verdict whose code belongs to another purpose's categories."""


@dataclass(frozen=True)
class Taxonomy:
    """Every category and code, by position (retired ones included)."""

    categories: list[OutcomeCategory]
    codes: list[OutcomeCode]

    def category_of(self) -> dict[str, str]:
        """Each code's category."""
        return {c.code: c.category for c in self.codes}

    def purpose_of(self) -> dict[str, str]:
        """Each code's purpose (its category's)."""
        purposes = {c.code: c.purpose for c in self.categories}
        return {c.code: purposes.get(c.category, TAXONOMY_DAMAGE) for c in self.codes}

    def active_codes(self) -> list[OutcomeCode]:
        retired = {c.code for c in self.categories if c.retired_at is not None}
        return [c for c in self.codes if c.retired_at is None and c.category not in retired]


def load(db: Session) -> Taxonomy:
    """The taxonomy as stored."""
    categories = db.exec(
        select(OutcomeCategory).order_by(col(OutcomeCategory.position), col(OutcomeCategory.code))
    ).all()
    codes = db.exec(
        select(OutcomeCode).order_by(col(OutcomeCode.position), col(OutcomeCode.code))
    ).all()
    return Taxonomy(list(categories), list(codes))


def require_active(db: Session, code: str, purpose: str | None = None) -> str:
    """``code`` if a new verdict may use it, else ``InvalidInput`` naming why. With
    ``purpose`` (the call's), the code must be of that purpose's categories
    (``WRONG_PURPOSE`` otherwise): a demo's result is never a return reason."""
    row = db.get(OutcomeCode, code)
    if row is None:
        raise InvalidInput(f"outcome: {code!r} is not one of the shop's outcome codes")
    if row.retired_at is not None:
        raise InvalidInput(f"outcome: {code!r} is retired and cannot be used for a new verdict")
    category = db.get(OutcomeCategory, row.category)
    if category is not None and category.retired_at is not None:
        raise InvalidInput(f"outcome: the category of {code!r} is retired")
    if purpose is not None:
        wanted = taxonomy_purpose(str(purpose))
        has = category.purpose if category is not None else TAXONOMY_DAMAGE
        if has != wanted:
            raise InvalidInput(
                f"outcome: {code!r} is an outcome of {has} calls, not of {purpose} calls",
                code=WRONG_PURPOSE,
            )
    return code


def require_known(db: Session, code: str) -> str:
    """``code`` if the shop has or had it (a filter may name a retired code)."""
    if db.get(OutcomeCode, code) is None:
        raise InvalidInput(f"outcome: {code!r} is not one of the shop's outcome codes")
    return code


def require_known_category(db: Session, code: str) -> str:
    """``code`` if the shop has or had that category."""
    if db.get(OutcomeCategory, code) is None:
        raise InvalidInput(f"category: {code!r} is not one of the shop's outcome categories")
    return code


def _next_position(db: Session, model: type[OutcomeCode] | type[OutcomeCategory]) -> int:
    rows = db.exec(select(model.position)).all()
    return max(rows, default=-1) + 1


def add_category(
    db: Session, code: str, label: str, purpose: str = TAXONOMY_DAMAGE
) -> OutcomeCategory:
    """A new category of ``purpose``'s codes at the end; ``Conflict`` when the code is
    taken."""
    if db.get(OutcomeCategory, code) is not None:
        raise Conflict(f"a category {code!r} exists already", code="category_exists")
    row = OutcomeCategory(
        code=code,
        label=label,
        position=_next_position(db, OutcomeCategory),
        purpose=taxonomy_purpose(purpose),
    )
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


def change_category(
    db: Session, code: str, now: datetime, *, label: str | None, retired: bool | None
) -> OutcomeCategory:
    """Rename and/or retire (or bring back) a category."""
    row = db.get(OutcomeCategory, code)
    if row is None:
        raise NotFound(f"no outcome category {code!r}")
    if label is not None:
        row.label = label
    if retired is not None:
        row.retired_at = (row.retired_at or now) if retired else None
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


def add_code(db: Session, code: str, label: str, category: str) -> OutcomeCode:
    """A new outcome code at the end of the list, in an active category."""
    if db.get(OutcomeCode, code) is not None:
        raise Conflict(f"an outcome code {code!r} exists already", code="outcome_exists")
    _active_category(db, category)
    row = OutcomeCode(
        code=code, label=label, category=category, position=_next_position(db, OutcomeCode)
    )
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


def _active_category(db: Session, category: str) -> None:
    found = db.get(OutcomeCategory, category)
    if found is None:
        raise InvalidInput(f"category: {category!r} is not one of the shop's outcome categories")
    if found.retired_at is not None:
        raise InvalidInput(f"category: {category!r} is retired")


def change_code(
    db: Session,
    code: str,
    now: datetime,
    *,
    label: str | None,
    category: str | None,
    retired: bool | None,
) -> OutcomeCode:
    """Rename, move to another (active) category, and/or retire (or bring back) a code.
    Calls that have it keep it: they show the new label and count in the new category."""
    row = db.get(OutcomeCode, code)
    if row is None:
        raise NotFound(f"no outcome code {code!r}")
    if label is not None:
        row.label = label
    if category is not None and category != row.category:
        _active_category(db, category)
        row.category = category
    if retired is not None:
        row.retired_at = (row.retired_at or now) if retired else None
    db.add(row)
    db.commit()
    db.refresh(row)
    return row
