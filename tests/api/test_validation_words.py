"""A refused request says what is wrong in sentences for people: the field as people call
it, never the pattern or the validator's wording."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import add_user, login


@pytest.fixture
def admin(app, client):
    add_user(app, "admin@shop.test", "admin", "Ada Admin")
    return {"X-CSRF-Token": login(client, "admin@shop.test")}


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        (
            {"order_ref": "ORD-1", "purpose": "damage_verification", "locale": "not a locale!"},
            "The buyer's language must be a language code such as de or pt-BR.",
        ),
        ({"purpose": "damage_verification"}, "The order reference is required."),
        (
            {"order_ref": "ORD-1", "purpose": "chat"},
            "The purpose must be 'damage_verification', 'remote_inspection' or 'product_demo'.",
        ),
        (
            {"order_ref": "x" * 101, "purpose": "damage_verification"},
            "The order reference must be at most 100 characters long.",
        ),
        (
            {"order_ref": "ORD-1", "purpose": "damage_verification", "colour": "red"},
            "Colour is not a field this request takes.",
        ),
    ],
)
def test_a_refused_link_says_what_is_wrong_in_a_sentence(client, admin, body, sentence):
    answer = client.post("/api/links", json=body, headers=admin)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == sentence
    assert "pattern" not in error["message"] and "^" not in error["message"]


def test_a_query_parameter_is_named_as_it_was_sent(client, admin):
    answer = client.get("/api/sessions", params={"per_page": 1000})
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == (
        "The parameter per_page must be less than or equal to 100."
    )
