"""A shop's own checklist templates: admins replace the shipped set (checked, audited) and
go back to it; agents start inspections from the shop's set and cannot change it; an
inspection already started keeps the items it started with."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from server.models import AuditEntry
from tests.helpers.inspections import error_code, live_call, shoot
from tests.helpers.people import staff

PHONES = {
    "key": "phones",
    "category": "Phones",
    "name": {"en": "Phones before shipping", "de": "Telefone vor dem Versand"},
    "items": [
        {"labels": {"en": "IMEI on the box"}, "photos": 1},
        {
            "key": "screen_on",
            "labels": {"en": "Screen powered on", "de": "Bildschirm an"},
            "photos": 2,
        },
    ],
}
SET = "/api/inspection-template-set"


@pytest.fixture
def agent(app, client):
    return staff(client, app, "ann@shop.test", "agent", "Ann Agent")[0]


def test_an_admins_templates_replace_the_shipped_ones_and_are_audited(app, client, agent):
    admin, _ = staff(client, app, "admin@example.com", "admin")
    before = admin.get(SET).json()
    assert not before["customized"] and before["templates"][0]["key"] == "default"

    saved = admin.put(SET, json={"templates": [PHONES]})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["customized"]
    (phones,) = body["templates"]
    assert phones["category"] == "Phones"
    assert [(i["key"], i["photos"]) for i in phones["items"]] == [
        ("imei_on_the_box", 1),
        ("screen_on", 2),
    ]
    seen = agent.get("/api/inspection-templates").json()
    assert [t["key"] for t in seen] == ["phones"]
    assert seen[0]["items"][1]["labels"]["de"] == "Bildschirm an"
    with Session(app.state.engine) as db:
        (entry,) = db.exec(
            select(AuditEntry).where(AuditEntry.action == "inspection_templates_changed")
        )
        assert entry.detail == {"change": "set", "templates": ["phones"]}

    assert admin.request("DELETE", SET).status_code == 204
    assert not admin.get(SET).json()["customized"]
    assert [t["key"] for t in agent.get("/api/inspection-templates").json()] == ["default"]


def test_an_agent_cannot_change_the_templates(app, client, agent):
    assert error_code(agent.put(SET, json={"templates": [PHONES]}), 403) == "forbidden"
    assert agent.request("DELETE", SET).status_code == 403
    assert agent.get(SET).status_code == 403
    assert [t["key"] for t in agent.get("/api/inspection-templates").json()] == ["default"]


def refused(admin, templates) -> dict:
    answer = admin.put(SET, json={"templates": templates})
    assert answer.status_code == 422, answer.text
    return answer.json()["error"]


def with_item(**item) -> list[dict]:
    return [{**PHONES, "items": [{"labels": {"en": "Box"}, "photos": 1, **item}]}]


def test_bad_templates_are_refused_and_nothing_changes(app, client):
    admin, _ = staff(client, app, "admin@example.com", "admin")
    assert refused(admin, [])["code"] == "templates_empty"
    assert refused(admin, [{**PHONES, "items": []}])["code"] == "template_no_items"
    assert refused(admin, with_item(labels={"en": "  "}))["code"] == "template_no_english"
    assert refused(admin, with_item(labels={"de": "Karton"}))["code"] == "template_no_english"
    assert refused(admin, with_item(labels={"en": "Box\x07"}))["code"] == "template_bad_text"
    assert refused(admin, with_item(labels={"en": "Box\nlid"}))["code"] == "template_bad_text"
    assert refused(admin, with_item(labels={"xx": "Box", "en": "Box"}))["code"] == (
        "template_unknown_locale"
    )
    assert refused(admin, with_item(photos=0))["code"] == "validation_error"
    assert refused(admin, with_item(photos=11))["code"] == "validation_error"
    twice = [{**PHONES, "items": [PHONES["items"][1], PHONES["items"][1]]}]
    assert refused(admin, twice)["code"] == "template_key_twice"
    assert refused(admin, [PHONES, PHONES])["code"] == "template_key_twice"
    assert refused(admin, [{**PHONES, "category": " "}])["code"] == "template_bad_category"
    assert refused(admin, [{**PHONES, "key": "Bad Key"}])["code"] == "template_bad_key"
    assert refused(admin, [PHONES] * 21)["code"] == "validation_error"
    assert not admin.get(SET).json()["customized"]


def test_a_started_inspection_keeps_its_items_when_the_templates_change(app, client, agent):
    admin, _ = staff(client, app, "admin@example.com", "admin")
    with live_call(app, client, agent) as call:
        started = agent.post(
            f"/api/sessions/{call.session_id}/inspection",
            json={"template": "default", "items": ["shipping_label", "serial_number"]},
        )
        assert started.status_code == 201, started.text
        assert admin.put(SET, json={"templates": [PHONES]}).status_code == 200

        report = agent.get(f"/api/sessions/{call.session_id}/inspection").json()
        assert [i["key"] for i in report["items"]] == ["shipping_label", "serial_number"]
        shoot(agent, call, "serial_number")  # its items still take photos
        report = agent.get(f"/api/sessions/{call.session_id}/inspection").json()
        assert report["items"][1]["state"] == "shot"

    with live_call(app, client, agent, order_ref="ORD-PHONES") as call:
        gone = agent.post(f"/api/sessions/{call.session_id}/inspection", json={})
        assert error_code(gone, 404) == "not_found"  # "default" is not in the shop's set
        started = agent.post(
            f"/api/sessions/{call.session_id}/inspection", json={"template": "phones"}
        )
        assert started.status_code == 201, started.text
        items = agent.get(f"/api/sessions/{call.session_id}/inspection").json()["items"]
        assert [(i["key"], i["photos_required"]) for i in items] == [
            ("imei_on_the_box", 1),
            ("screen_on", 2),
        ]


def test_the_migration_adds_the_table_and_its_downgrade_drops_it(app, client):
    import sqlalchemy as sa
    from alembic import command

    from server.db.migrate import alembic_config, upgrade

    admin, _ = staff(client, app, "admin@example.com", "admin")
    assert admin.put(SET, json={"templates": [PHONES]}).status_code == 200
    url = app.state.settings.db_url
    app.state.engine.dispose()
    command.downgrade(alembic_config(url), "0020")
    engine = sa.create_engine(url)
    assert "inspection_templates" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    upgrade(url)
    engine = sa.create_engine(url)
    assert "inspection_templates" in sa.inspect(engine).get_table_names()
    engine.dispose()
    assert not admin.get(SET).json()["customized"]  # the shipped set again
