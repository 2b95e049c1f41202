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
    assert refused(admin, with_item(photos=0))["code"] == "template_bad_photos"  # no clip
    assert refused(admin, with_item(photos=-1, clip_required=True))["code"] == ("validation_error")
    assert refused(admin, with_item(photos=11))["code"] == "validation_error"
    assert refused(admin, with_item(clip_required="yes"))["code"] == "validation_error"
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


def test_an_item_may_need_a_clip_instead_of_or_besides_photos(app, client, agent):
    from server.errors import InvalidInput
    from server.inspections.templates import checked, shipped_templates

    admin, _ = staff(client, app, "admin@example.com", "admin")
    clips = {
        **PHONES,
        "items": [
            {"labels": {"en": "Screen powered on"}, "photos": 0, "clip_required": True},
            {"labels": {"en": "Speaker plays"}, "photos": 2, "clip_required": True},
            {"labels": {"en": "IMEI on the box"}, "photos": 1},
        ],
    }
    saved = admin.put(SET, json={"templates": [clips]})
    assert saved.status_code == 200, saved.text
    (phones,) = agent.get("/api/inspection-templates").json()
    assert [(i["key"], i["photos"], i["clip_required"]) for i in phones["items"]] == [
        ("screen_powered_on", 0, True),
        ("speaker_plays", 2, True),
        ("imei_on_the_box", 1, False),
    ]
    # the rule lives in one place: an item asks for something, a clip is a yes or a no
    item = {"label": {"en": "Box"}, "photos": 0}
    one = {"category": "Phones", "name": {"en": "Phones"}}
    for wrong, code in (
        ({**item}, "template_bad_photos"),
        ({**item, "clip_required": False}, "template_bad_photos"),
        ({**item, "clip_required": "true"}, "template_bad_clip"),
        ({**item, "clip_required": 1}, "template_bad_clip"),
        ({**item, "photos": 11, "clip_required": True}, "template_bad_photos"),
    ):
        with pytest.raises(InvalidInput) as refused_item:
            checked([{**one, "items": [wrong]}])
        assert refused_item.value.code == code
    (stored,) = checked([{**one, "items": [{**item, "clip_required": True}]}])
    assert stored["items"][0] == {
        "key": "box",
        "label": {"en": "Box"},
        "photos": 0,
        "clip_required": True,
    }
    # the shipped checklist films the item powered on, and its set passes its own check
    shipped = shipped_templates()["default"]
    wants = {i["key"]: (i["photos"], i["clip_required"]) for i in shipped["items"]}
    assert wants["powered_on"] == (0, True) and wants["shipping_label"] == (1, False)
    assert checked(list(shipped_templates().values()))[0]["items"] == shipped["items"]
