"""What the public shapes share: the ``...Public`` models beside each table are what the
API answers, built from rows (``from_attributes``)."""

from __future__ import annotations

from typing import Any

from sqlmodel.main import SQLModelConfig


def _every_field_answered(schema: dict[str, Any]) -> None:
    # a table's defaults say what a new row starts with, not what an answer may leave out
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


PUBLIC_CONFIG = SQLModelConfig(
    from_attributes=True,
    json_schema_serialization_defaults_required=True,
    json_schema_extra=_every_field_answered,
)
"""The ``model_config`` of a public shape: every field is in every answer, so the OpenAPI
schema lists every field as required and shows no defaults."""
