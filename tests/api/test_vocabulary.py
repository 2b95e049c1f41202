"""``GET /api/vocabulary``: the words the staff pages show, from signaling.vocabulary; the
outcomes and their categories from the shop's taxonomy, which starts as the shipped one."""

from __future__ import annotations

from signaling.locales import BUYER_LOCALES, STAFF_LOCALES
from signaling.vocabulary import (
    SHIPPED_CATEGORY_OF,
    CallState,
    Decision,
    EndReason,
    Outcome,
    OutcomeCategory,
    Purpose,
    label,
    vocabulary,
)

LISTS = {
    "call_states": CallState,
    "end_reasons": EndReason,
    "purposes": Purpose,
    "decisions": Decision,
}
# from the shop's taxonomy: the shipped codes and categories on a new database
TAXONOMY_LISTS = {"outcomes": Outcome, "outcome_categories": OutcomeCategory}
SHOP_LISTS = {*TAXONOMY_LISTS, "retired_outcomes"}


def test_vocabulary_answers_without_sign_in_and_equals_the_module(client):
    answer = client.get("/api/vocabulary")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    languages = {"locales": BUYER_LOCALES, "staff_locales": STAFF_LOCALES}
    fixed = {k: v for k, v in body.items() if k not in languages and k not in SHOP_LISTS}
    assert fixed == {k: v for k, v in vocabulary().items() if k in LISTS}
    assert set(body) == set(LISTS) | set(languages) | SHOP_LISTS
    assert body["retired_outcomes"] == []
    damage = ["damage_verification", "remote_inspection"]
    for name in TAXONOMY_LISTS:
        # the return reasons are the shipped vocabulary; a demo's results come after them
        returns = [t for t in body[name] if t["purposes"] == damage]
        assert [(t["code"], t["label"]) for t in returns] == [
            (t["code"], t["label"]) for t in vocabulary()[name]
        ]
        assert all(t["shipped"] for t in returns)
        assert body[name][: len(returns)] == returns
        demo = body[name][len(returns) :]
        assert demo and all(t["purposes"] == ["product_demo"] for t in demo)
    returns = {t["code"]: t["category"] for t in body["outcomes"] if t["purposes"] == damage}
    assert returns == SHIPPED_CATEGORY_OF
    demo_codes = [t["code"] for t in body["outcomes"] if t["purposes"] == ["product_demo"]]
    assert demo_codes == [
        "purchased",
        "decide_later",
        "not_interested",
        "question_answered",
        "referred",
    ]
    for name, locales in languages.items():
        assert body[name] == [{"code": x.code, "name": x.name, "dir": x.dir} for x in locales]
    for name, enum in LISTS.items():
        terms = body[name]
        assert [term["code"] for term in terms] == [str(member) for member in enum], name
        for term in terms:
            assert set(term) == {"code", "label"}
            assert term["label"] == label(enum(term["code"]))
            assert term["label"].strip() == term["label"] != ""


def test_vocabulary_may_be_kept_briefly_by_the_browser(client):
    cache = client.get("/api/vocabulary").headers["cache-control"]
    directives = {part.strip().split("=")[0]: part.strip() for part in cache.split(",")}
    assert "no-store" not in directives
    max_age = int(directives["max-age"].split("=")[1])
    assert 0 < max_age <= 3600


def test_vocabulary_is_described_exactly_in_the_openapi_schema(client):
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/vocabulary"]["get"]
    assert not operation.get("security")
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    components = schema["components"]["schemas"]
    model = components[ref.rsplit("/", 1)[1]]
    languages = {"locales", "staff_locales"}
    assert set(model["properties"]) == set(LISTS) | languages | SHOP_LISTS
    assert set(model["required"]) == set(LISTS) | languages | SHOP_LISTS
    for name in languages:
        term = components[model["properties"][name]["items"]["$ref"].rsplit("/", 1)[1]]
        assert set(term["required"]) == {"code", "name", "dir"}, name
        assert term["properties"]["dir"]["enum"] == ["ltr", "rtl"], name
    for name, enum in LISTS.items():
        array = model["properties"][name]
        assert array["type"] == "array", name
        term = components[array["items"]["$ref"].rsplit("/", 1)[1]]
        assert set(term["required"]) == {"code", "label"}
        assert term["properties"]["label"]["type"] == "string"
        code = term["properties"]["code"]
        if "$ref" in code:
            code = components[code["$ref"].rsplit("/", 1)[1]]
        assert code["enum"] == [str(member) for member in enum], name
