"""Retention, legal holds, erasure and export cover recorded cases as they cover calls:
an old case loses its clips, photos and notes (files and rows) and keeps its verdict and
replies; a hold on a call of the same link keeps it; erasing the order deletes its cases
whole; the order's export holds its cases and their files."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from datetime import timedelta

from sqlmodel import Session, select

from server.models import Call
from server.models.case import Case, CaseFile, CaseReply, CaseSubmission
from signaling.vocabulary import CallState, EndReason, Purpose
from tests.helpers.case_uploads import create, patch, webm_clip
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.people import buyer, staff


def recorded_case(client, app, order_ref: str, *, days_ago: float = 0) -> tuple[int, bytes]:
    """A submitted case of ``order_ref`` with a clip, a photo, a note and a reply, its
    submission ``days_ago`` old; returns its id and the clip's bytes."""
    _, url = make_link(app, order_ref)
    person = buyer(client, url)
    clip = webm_clip()
    assert patch(person, create(person, len(clip)).headers["Location"], 0, clip).status_code == 204
    photo = image_bytes("mjpeg")
    where = create(person, len(photo), step="label", kind="photo").headers["Location"]
    assert patch(person, where, 0, photo).status_code == 204
    assert person.post("/api/buyer/case/submit", json={"note": "box crushed"}).status_code == 201
    with Session(app.state.engine) as db:
        case = db.exec(select(Case).order_by(Case.id.desc())).first()
        db.add(CaseReply(case_id=case.id, text="We will refund", at=app.state.clock.now()))
        for submission in db.exec(select(CaseSubmission).where(CaseSubmission.case_id == case.id)):
            submission.submitted_at -= timedelta(days=days_ago)
            db.add(submission)
        case.created_at -= timedelta(days=days_ago)
        db.add(case)
        db.commit()
        return case.id, clip


def files_of(app, case_id: int) -> tuple[int, int]:
    """(file rows, files on disk) of the case."""
    with Session(app.state.engine) as db:
        rows = db.exec(select(CaseFile).where(CaseFile.case_id == case_id)).all()
    folder = app.state.settings.data_dir / "files" / "cases" / str(case_id)
    return len(rows), len([p for p in folder.glob("*") if p.is_file()]) if folder.exists() else 0


def test_retention_deletes_an_old_cases_clips_photos_and_notes_and_keeps_its_verdict(client, app):
    old, _ = recorded_case(client, app, "ORD-OLD-CASE", days_ago=91)
    recent, _ = recorded_case(client, app, "ORD-NEW-CASE", days_ago=10)
    admin, _ = staff(client, app, "root@shop.test", "admin")
    dry = admin.post("/api/retention/runs", json={"dry_run": True})
    assert dry.status_code == 200, dry.text
    assert [c["case_id"] for c in dry.json()["cases"]] == [old]
    assert files_of(app, old) == (2, 2)  # a dry run deletes nothing
    run = admin.post("/api/retention/runs", json={}).json()
    assert run["cases"] == [
        {"case_id": old, "order_ref": "ORD-OLD-CASE", "clips": 1, "photos": 1, "notes": 1}
    ]
    assert files_of(app, old) == (0, 0)
    assert files_of(app, recent) == (2, 2)
    with Session(app.state.engine) as db:
        case = db.get(Case, old)
        assert case.media_deleted_at is not None
        (submission,) = db.exec(select(CaseSubmission).where(CaseSubmission.case_id == old))
        assert submission.note is None and submission.submitted_at
        assert db.exec(select(CaseReply).where(CaseReply.case_id == old)).all()
    assert admin.post("/api/retention/runs", json={}).json()["cases"] == []  # once only


def ended_call_of(app, link_id: int, order_ref: str) -> str:
    """An ended call made from the link (the same case timeline); returns its id."""
    now = app.state.clock.now() - timedelta(days=200)
    call_id = uuid.uuid4().hex
    with Session(app.state.engine) as db:
        db.add(
            Call(
                id=call_id,
                link_id=link_id,
                order_ref=order_ref,
                purpose=Purpose.DAMAGE_VERIFICATION,
                state=CallState.ENDED,
                created_at=now,
                ended_at=now + timedelta(minutes=3),
                end_reason=EndReason.AGENT_ENDED,
            )
        )
        db.commit()
    return call_id


def test_a_hold_on_a_call_of_the_same_link_keeps_the_case(client, app):
    case_id, _ = recorded_case(client, app, "ORD-HELD-CASE", days_ago=200)
    with Session(app.state.engine) as db:
        link_id = db.get(Case, case_id).link_id
    call_id = ended_call_of(app, link_id, "ORD-HELD-CASE")
    admin, _ = staff(client, app, "root@shop.test", "admin")
    held = admin.put(f"/api/sessions/{call_id}/hold", json={"reason": "carrier dispute"})
    assert held.status_code == 200, held.text
    run = admin.post("/api/retention/runs", json={}).json()
    assert run["cases"] == [] and run["calls"] == []
    assert files_of(app, case_id) == (2, 2)
    assert admin.request("DELETE", f"/api/sessions/{call_id}/hold").status_code == 204
    assert [c["case_id"] for c in admin.post("/api/retention/runs", json={}).json()["cases"]] == [
        case_id
    ]
    assert files_of(app, case_id) == (0, 0)


def test_erasing_the_order_deletes_its_cases_files_and_rows(client, app):
    case_id, _ = recorded_case(client, app, "ORD-ERASE-CASE")
    admin, _ = staff(client, app, "root@shop.test", "admin")
    erased = admin.post("/api/erasures", json={"order_ref": "ORD-ERASE-CASE"})
    assert erased.status_code == 200, erased.text
    assert erased.json()["cases"] == [
        {"case_id": case_id, "order_ref": "ORD-ERASE-CASE", "clips": 1, "photos": 1, "notes": 1}
    ]
    assert files_of(app, case_id) == (0, 0)
    with Session(app.state.engine) as db:
        assert db.get(Case, case_id) is None
        assert db.exec(select(CaseSubmission).where(CaseSubmission.case_id == case_id)).all() == []
        assert db.exec(select(CaseReply).where(CaseReply.case_id == case_id)).all() == []
    assert admin.get(f"/api/cases/{case_id}").status_code == 404


def test_the_orders_export_holds_its_cases_and_their_files(client, app):
    case_id, clip = recorded_case(client, app, "ORD-EXPORT-CASE")
    admin, _ = staff(client, app, "root@shop.test", "admin")
    answer = admin.get("/api/exports", params={"order_ref": "ORD-EXPORT-CASE"})
    assert answer.status_code == 200, answer.text
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    order = json.loads(archive.read("order.json"))
    (case,) = order["cases"]
    assert case["id"] == case_id
    assert [s["note"] for s in case["submissions"]] == ["box crushed"]
    assert [r["text"] for r in case["replies"]] == ["We will refund"]
    clips = [f for f in case["files"] if f["kind"] == "clip"]
    assert clips[0]["file"].startswith(f"files/cases/{case_id}/") and clips[0]["file"].endswith(
        ".webm"
    )
    assert archive.read(clips[0]["file"]) == clip
    assert clips[0]["sha256"] == hashlib.sha256(clip).hexdigest()
    assert "storage_key" not in clips[0]
    assert any(f["kind"] == "photo" and f["file"] for f in case["files"])
