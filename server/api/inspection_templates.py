"""Checklist templates for remote inspections: staff read the shop's set
(``GET /api/inspection-templates``, what an agent starts an inspection with); admins read
it with whether it is the shop's own, replace it and go back to the shipped set
(``/api/inspection-template-set``, audited ``inspection_templates_changed``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from server.api.deps import Admin, AnyStaff, ClockDep, DbDep
from server.evidence import audit
from server.inspections import templates
from server.inspections.templates import (
    CATEGORY_MAX_CHARS,
    KEY_MAX_CHARS,
    LABEL_MAX_CHARS,
    MAX_ITEMS,
    MAX_PHOTOS,
    MAX_TEMPLATES,
    MIN_PHOTOS,
)

router = APIRouter(tags=["inspections"])

Texts = Annotated[
    dict[str, Annotated[str | None, Field(max_length=4 * LABEL_MAX_CHARS)]],
    Field(max_length=64, description="a text per buyer locale; English required"),
]


class TemplateItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str | None = Field(
        default=None,
        max_length=KEY_MAX_CHARS,
        description="the item's name in the inspection; none: made from the English label",
    )
    labels: Texts
    photos: int = Field(
        ge=0,
        le=MAX_PHOTOS,
        description=f"photos the item needs before it is decided ({MIN_PHOTOS} to "
        f"{MAX_PHOTOS}; 0 to {MAX_PHOTOS} for an item that needs a clip)",
    )
    clip_required: StrictBool = Field(
        default=False, description="the item needs a clip of the call's recording"
    )


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str | None = Field(
        default=None,
        max_length=KEY_MAX_CHARS,
        description="the template's name; none: made from the English name",
    )
    category: str = Field(max_length=CATEGORY_MAX_CHARS, description="the product category")
    name: Texts
    items: list[TemplateItemIn] = Field(max_length=MAX_ITEMS, description="in checking order")


class TemplatesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    templates: list[TemplateIn] = Field(
        max_length=MAX_TEMPLATES, description="the whole set, in the order agents see it"
    )


class TemplateItemOut(BaseModel):
    key: str
    labels: dict[str, str] = Field(description="the item's label in every buyer locale")
    photos: int = Field(description="photos the item needs")
    clip_required: bool = Field(description="the item needs a clip of the call's recording")


class TemplateOut(BaseModel):
    key: str
    category: str
    name: dict[str, str]
    items: list[TemplateItemOut]


class TemplateSet(BaseModel):
    customized: bool = Field(description="false: the shipped templates")
    templates: list[TemplateOut]


def _out(template: dict) -> TemplateOut:
    return TemplateOut(
        key=template["key"],
        category=template["category"],
        name=template["name"],
        items=[
            TemplateItemOut(
                key=i["key"],
                labels=i["label"],
                photos=int(i.get("photos", 1)),
                clip_required=bool(i.get("clip_required", False)),
            )
            for i in template["items"]
        ],
    )


def _set(db: DbDep) -> TemplateSet:
    return TemplateSet(
        customized=templates.is_customized(db),
        templates=[_out(t) for t in templates.all_templates(db)],
    )


@router.get("/api/inspection-templates", response_model=list[TemplateOut])
def list_templates(principal: AnyStaff, db: DbDep) -> list[TemplateOut]:
    """The checklist templates an agent can start an inspection with (the shop's own,
    else the shipped ones)."""
    return [_out(t) for t in templates.all_templates(db)]


@router.get("/api/inspection-template-set", response_model=TemplateSet)
def read_set(principal: Admin, db: DbDep) -> TemplateSet:
    """The checklist templates, and whether they are the shop's own."""
    return _set(db)


@router.put("/api/inspection-template-set", response_model=TemplateSet, responses={422: {}})
def set_templates(body: TemplatesIn, principal: Admin, db: DbDep, clock: ClockDep) -> TemplateSet:
    """Replace the checklist templates with the shop's own set: 1 to 20 templates, each
    with a product category, a name in English (other buyer locales optional) and 1 to 50
    items, each with a label in English and 1 to 10 photos, or a clip and 0 to 10 photos;
    texts are one line without
    control characters; keys unique (made from the English text when left out). An
    inspection already started keeps the items it started with. Audited."""
    stored = templates.set_templates(
        db,
        [
            {
                **t.model_dump(exclude={"items"}),
                "items": [
                    {
                        "key": i.key,
                        "label": i.labels,
                        "photos": i.photos,
                        "clip_required": i.clip_required,
                    }
                    for i in t.items
                ],
            }
            for t in body.templates
        ],
        clock.now(),
        by_user_id=principal.user_id,
    )
    audit.action_done(
        db,
        audit.AUDIT_INSPECTION_TEMPLATES_CHANGED,
        clock.now(),
        user_id=principal.user_id,
        detail={"change": "set", "templates": [t["key"] for t in stored]},
    )
    db.commit()
    return _set(db)


@router.delete("/api/inspection-template-set", status_code=204)
def reset_templates(principal: Admin, db: DbDep, clock: ClockDep) -> Response:
    """Back to the shipped templates. Audited when the shop had its own."""
    if templates.reset(db):
        audit.action_done(
            db,
            audit.AUDIT_INSPECTION_TEMPLATES_CHANGED,
            clock.now(),
            user_id=principal.user_id,
            detail={"change": "reset"},
        )
    db.commit()
    return Response(status_code=204)
