"""The steps a buyer records are the shop's: admins read the shipped ones, set their own
per purpose (checked, audited), and reset them; the buyer's page gets its link's
purpose's steps with each prompt in its language, else English."""

from __future__ import annotations

from sqlmodel import Session, select

from server.models import AuditEntry
from tests.helpers.links import make_link
from tests.helpers.people import buyer, staff

STEPS = [
    {
        "prompts": {"en": "The serial number", "de": "Die Seriennummer"},
        "clip": False,
        "photos": True,
    },
    {"key": "outer_box", "prompts": {"en": "The box, all round"}, "clip": True, "photos": False},
]


def test_admins_read_the_shipped_steps_of_every_purpose(client, app):
    admin, _ = staff(client, app, "admin@example.com", "admin")
    found = admin.get("/api/case-steps")
    assert found.status_code == 200, found.text
    by_purpose = {p["purpose"]: p for p in found.json()["purposes"]}
    damage = by_purpose["damage_verification"]
    assert not damage["customized"]
    assert [s["key"] for s in damage["steps"]] == ["outer_box", "label", "damage", "item"]
    assert damage["steps"][0]["prompts"]["de"] == "Der Versandkarton von allen Seiten"
    assert set(by_purpose) == {"damage_verification", "remote_inspection", "product_demo"}


def test_an_admins_steps_reach_the_buyer_in_their_language_and_are_audited(client, app):
    admin, _ = staff(client, app, "admin@example.com", "admin")
    saved = admin.put("/api/case-steps/damage_verification", json={"steps": STEPS})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["customized"] and [s["key"] for s in body["steps"]] == [
        "the_serial_number",
        "outer_box",
    ]
    with Session(app.state.engine) as db:
        (entry,) = db.exec(select(AuditEntry).where(AuditEntry.action == "case_steps_changed"))
        assert entry.detail["purpose"] == "damage_verification"

    _, url = make_link(app, locale="de")
    person = buyer(client, url)
    seen = person.get("/api/buyer/case/steps").json()["steps"]
    assert seen == [
        {"key": "the_serial_number", "prompt": "Die Seriennummer", "clip": False, "photos": True},
        {"key": "outer_box", "prompt": "The box, all round", "clip": True, "photos": False},
    ]
    in_french = person.get("/api/buyer/case/steps?locale=fr").json()["steps"]
    assert in_french[0]["prompt"] == "The serial number"  # no French: English


def test_resetting_brings_back_the_shipped_steps(client, app):
    admin, _ = staff(client, app, "admin@example.com", "admin")
    admin.put("/api/case-steps/product_demo", json={"steps": STEPS})
    assert admin.request("DELETE", "/api/case-steps/product_demo").status_code == 204
    found = {p["purpose"]: p for p in admin.get("/api/case-steps").json()["purposes"]}
    assert not found["product_demo"]["customized"]
    assert [s["key"] for s in found["product_demo"]["steps"]] == ["setup", "issue"]


def refused(admin, steps) -> dict:
    answer = admin.put("/api/case-steps/damage_verification", json={"steps": steps})
    assert answer.status_code == 422, answer.text
    return answer.json()["error"]


def test_bad_steps_are_refused_with_a_clear_error_and_nothing_changes(client, app):
    admin, _ = staff(client, app, "admin@example.com", "admin")
    assert refused(admin, [])["code"] == "steps_empty"
    no_english = refused(admin, [{"prompts": {"de": "Karton"}, "clip": True, "photos": True}])
    assert no_english["code"] == "step_no_english" and "English" in no_english["message"]
    nothing = refused(admin, [{"prompts": {"en": "Box"}, "clip": False, "photos": False}])
    assert nothing["code"] == "step_asks_nothing"
    twice = [{"key": "box", "prompts": {"en": "A"}, "clip": True, "photos": True}] * 2
    assert refused(admin, twice)["code"] == "step_key_twice"
    klingon = [{"prompts": {"en": "A", "tlh": "B"}, "clip": True, "photos": True}]
    assert refused(admin, klingon)["code"] == "step_unknown_locale"
    bad_key = [{"key": "Box!", "prompts": {"en": "A"}, "clip": True, "photos": True}]
    assert refused(admin, bad_key)["code"] == "step_bad_key"
    long = [{"prompts": {"en": "x" * 201}, "clip": True, "photos": True}]
    assert refused(admin, long)["code"] == "step_prompt_too_long"
    many = [{"prompts": {"en": f"Step {i}"}, "clip": True, "photos": True} for i in range(13)]
    assert refused(admin, many)["code"] == "steps_too_many"
    found = {p["purpose"]: p for p in admin.get("/api/case-steps").json()["purposes"]}
    assert not found["damage_verification"]["customized"]


def test_only_admins_edit_steps(client, app):
    agent, _ = staff(client, app, "agent@example.com", "agent")
    assert agent.get("/api/case-steps").status_code == 403
    assert (
        agent.put("/api/case-steps/damage_verification", json={"steps": STEPS}).status_code == 403
    )
