"""The command line's side of orders and integrations: ``showdesk link create`` with an
order, ``showdesk apikey create --scope`` (repeated)."""

from __future__ import annotations

import json

from tests.helpers.cli import showdesk


def test_link_create_takes_the_order_lines_carrier_and_country(tmp_path):
    result = showdesk(
        tmp_path,
        *("link", "create", "--order", "ORD-77", "--purpose", "damage_verification"),
        *("--line", "MUG-01:Stoneware mug:2:L7", "--line", "PLT-07:Dinner plate:1"),
        *("--carrier", "DHL Express", "--tracking", "JD01", "--channel", "amazon.de"),
        *("--buyer-country", "fr", "--ordered-at", "2026-11-20T10:00:00Z"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    order = json.loads(result.stdout)["order"]
    assert order["lines"] == [
        {"sku": "MUG-01", "name": "Stoneware mug", "quantity": 2, "lot": "L7", "category": None},
        {"sku": "PLT-07", "name": "Dinner plate", "quantity": 1, "lot": None, "category": None},
    ]
    assert order["carrier"] == "DHL Express" and order["buyer_country"] == "FR"


def test_link_create_refuses_a_bad_line_or_country_clearly(tmp_path):
    base = ("link", "create", "--order", "ORD-78", "--purpose", "damage_verification")
    bad_line = showdesk(tmp_path, *base, "--line", "MUG-01:two mugs")
    assert bad_line.returncode == 2 and "SKU:NAME:QUANTITY[:LOT]" in bad_line.stderr
    bad_country = showdesk(tmp_path, *base, "--buyer-country", "XX")
    assert bad_country.returncode == 1
    assert "not an ISO 3166-1 alpha-2 country code" in bad_country.stderr


def test_apikey_create_takes_each_scope_with_its_own_flag(tmp_path):
    made = showdesk(
        tmp_path,
        *("apikey", "create", "claims", "--scope", "recordings:read", "--scope", "calls:read"),
        "--json",
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["scopes"] == ["calls:read", "recordings:read"]
    unknown = showdesk(tmp_path, "apikey", "create", "x", "--scope", "everything")
    assert unknown.returncode == 2 and "unknown scope everything" in unknown.stderr
