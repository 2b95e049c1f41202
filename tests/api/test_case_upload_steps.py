"""An upload names one of the shop's current steps for the link's purpose, of a kind the
step asks for; anything else is refused before a byte is stored. A step the case already
holds a file for stays accepted after the shop edits its steps (the buyer who started
before the edit can still retake it)."""

from __future__ import annotations

from sqlmodel import Session, select

from server.models.case import CaseFile
from tests.helpers.case_uploads import create, patch, webm_clip
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.people import buyer, staff

ONLY_A_PLATE = [
    {"key": "plate", "prompts": {"en": "The serial number plate"}, "clip": False, "photos": True}
]


def stored(app) -> list[CaseFile]:
    with Session(app.state.engine) as db:
        return list(db.exec(select(CaseFile)).all())


def files_on_disk(app) -> list:
    root = app.state.settings.data_dir / "files" / "cases"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_step_the_shop_does_not_have_is_refused_and_nothing_is_stored(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    refused = create(person, 1000, step="anything_at_all")
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "step_unknown"
    # a step of another purpose is not this link's either
    other = create(person, 1000, step="overview")
    assert other.json()["error"]["code"] == "step_unknown"
    assert stored(app) == [] and files_on_disk(app) == []


def test_a_kind_the_step_does_not_ask_for_is_refused(client, app):
    admin, _ = staff(client, app, "admin@example.com", "admin")
    assert (
        admin.put("/api/case-steps/damage_verification", json={"steps": ONLY_A_PLATE}).status_code
        == 200
    )
    _, url = make_link(app)
    person = buyer(client, url)
    refused = create(person, 1000, step="plate", kind="clip")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "step_wrong_kind"
    assert stored(app) == []
    photo = image_bytes("mjpeg")
    made = create(person, len(photo), step="plate", kind="photo")
    assert made.status_code == 201, made.text
    assert patch(person, made.headers["Location"], 0, photo).status_code == 204


def test_the_shops_edit_mid_recording_keeps_the_steps_already_sent(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip()
    made = create(person, len(clip), step="outer_box")
    assert patch(person, made.headers["Location"], 0, clip).status_code == 204
    admin, _ = staff(client, app, "admin@example.com", "admin")
    assert (
        admin.put("/api/case-steps/damage_verification", json={"steps": ONLY_A_PLATE}).status_code
        == 200
    )
    # the step the case holds a file for goes on (a retake), one it never had does not
    again = create(person, len(clip), step="outer_box")
    assert again.status_code == 201, again.text
    gone = create(person, len(clip), step="label")
    assert gone.json()["error"]["code"] == "step_unknown"
    assert create(person, 1000, step="plate", kind="photo").status_code == 201
