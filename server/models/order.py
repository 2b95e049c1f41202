"""The order a link is about: its lines (SKU, product name, quantity, lot, product
category: what picks an inspection's checklist template), carrier and tracking number,
channel, the buyer's country, order and delivery dates.

``OrderIn`` is what a shop sends (``POST /api/links``'s ``order``), checked like every
other text the API takes; ``OrderPublic`` is what the API and the pages show. A link
stores it as JSON and each call made from it gets a copy, so a call keeps the order it
was about. ``order_keys`` gives the normalized values the review list filters on
(``call.carrier_key``, ``call.channel_key``, ``call.buyer_country`` and the
``call_sku`` table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Self

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from server.models.moments import UTCMoment
from server.models.text import LineStr

ORDER_LINES_MAX = 100
SKU_MAX_CHARS = 64
PRODUCT_NAME_MAX_CHARS = 200
LOT_MAX_CHARS = 64
CATEGORY_MAX_CHARS = 64  # a product category, an order line's and a checklist template's
CARRIER_MAX_CHARS = 64
TRACKING_MAX_CHARS = 64
CHANNEL_MAX_CHARS = 64
QUANTITY_MAX = 1_000_000


def _country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code, e.g. DE or FR")
    return code


CountryCode = Annotated[
    str,
    Field(
        min_length=2,
        max_length=2,
        pattern=r"^[A-Za-z]{2}$",
        description="ISO 3166-1 alpha-2, e.g. DE; answered in capitals",
    ),
    AfterValidator(_country),
]


def filter_key(text: str) -> str:
    """The form a carrier, channel or SKU is stored and searched in: trimmed, inner
    spaces collapsed, case-folded (``" DHL  Express"`` and ``"dhl express"`` match)."""
    return " ".join(text.split()).casefold()


class OrderLine(BaseModel):
    """One line of the order."""

    model_config = ConfigDict(extra="forbid")

    sku: LineStr = Field(min_length=1, max_length=SKU_MAX_CHARS, description="the item's SKU")
    name: LineStr = Field(min_length=1, max_length=PRODUCT_NAME_MAX_CHARS, description="product")
    quantity: int = Field(ge=1, le=QUANTITY_MAX)
    lot: LineStr | None = Field(
        default=None, min_length=1, max_length=LOT_MAX_CHARS, description="lot or batch"
    )
    category: LineStr | None = Field(
        default=None,
        min_length=1,
        max_length=CATEGORY_MAX_CHARS,
        description="the product's category: an inspection starts with the checklist "
        "template of this category (trimmed, any case), that of the first line that has one",
    )


class OrderIn(BaseModel):
    """The order a link is about; every field but the lines is optional."""

    model_config = ConfigDict(extra="forbid")

    lines: list[OrderLine] = Field(default_factory=list, max_length=ORDER_LINES_MAX)
    carrier: LineStr | None = Field(default=None, min_length=1, max_length=CARRIER_MAX_CHARS)
    tracking_number: LineStr | None = Field(
        default=None, min_length=1, max_length=TRACKING_MAX_CHARS
    )
    channel: LineStr | None = Field(
        default=None,
        min_length=1,
        max_length=CHANNEL_MAX_CHARS,
        description="the marketplace or channel the order came through, e.g. amazon.de",
    )
    buyer_country: CountryCode | None = None
    ordered_at: UTCMoment | None = None
    delivered_at: UTCMoment | None = Field(default=None, description="not before ordered_at")

    @model_validator(mode="after")
    def _delivered_after_ordered(self) -> Self:
        if (
            self.ordered_at is not None
            and self.delivered_at is not None
            and self.delivered_at < self.ordered_at
        ):
            raise ValueError("delivered_at must not be before ordered_at")
        return self


class OrderPublic(OrderIn):
    """The order as the API answers it (every field present, null when not given)."""

    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> OrderPublic | None:
        """The public shape of an order stored as JSON (None: the link had none)."""
        return None if stored is None else cls.model_validate(stored)


def stored(order: OrderIn | None) -> dict[str, Any] | None:
    """An order as it is kept in a JSON column (times as ISO 8601 text)."""
    return None if order is None else order.model_dump(mode="json")


@dataclass(frozen=True)
class OrderKeys:
    """An order's values as the review list filters them (see ``filter_key``)."""

    carrier_key: str | None
    channel_key: str | None
    buyer_country: str | None
    skus: tuple[str, ...]


def order_keys(order: dict[str, Any] | None) -> OrderKeys:
    """The filter keys of a stored order (all None and no SKU for no order)."""
    if not order:
        return OrderKeys(None, None, None, ())
    skus = tuple(dict.fromkeys(filter_key(line["sku"]) for line in order.get("lines") or ()))
    carrier, channel = order.get("carrier"), order.get("channel")
    return OrderKeys(
        carrier_key=filter_key(carrier) if carrier else None,
        channel_key=filter_key(channel) if channel else None,
        buyer_country=order.get("buyer_country"),
        skus=skus,
    )


class CallSku(SQLModel, table=True):
    """One SKU of a call's order, normalized (``filter_key``), for the review list."""

    __tablename__ = "call_sku"

    call_id: str = SQLField(foreign_key="call.id", max_length=64, primary_key=True)
    sku_key: str = SQLField(max_length=SKU_MAX_CHARS, primary_key=True, index=True)
