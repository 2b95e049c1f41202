"""A buyer's case: files arrive by tus at /api/uploads, are checked by their content,
submitted with a note; staff read the case (files with SHA-256, calls of the same link),
set its verdict and reply; the buyer reads the reply. Bad uploads are refused with clear
errors and leave nothing stored."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, select

from server.links import buyer_links
from server.models.case import CaseFile
from tests.helpers.case_uploads import create, patch, recv_type, socket, webm_clip
from tests.helpers.consent import consent_message
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.people import buyer, staff
from tests.helpers.waiting import wait_until


def stored_files(app) -> list[CaseFile]:
    with Session(app.state.engine) as db:
        return list(db.exec(select(CaseFile)).all())


def files_on_disk(app) -> list:
    root = app.state.settings.data_dir / "files" / "cases"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_clip_uploaded_in_two_chunks_resumes_and_is_stored_byte_identical(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip()
    made = create(person, len(clip))
    assert made.status_code == 201, made.text
    location = made.headers["Location"]
    half = len(clip) // 2
    assert patch(person, location, 0, clip[:half]).status_code == 204
    head = person.request("HEAD", location)
    assert head.headers["Upload-Offset"] == str(half)
    done = patch(person, location, half, clip[half:])
    assert done.status_code == 204, done.text
    submitted = person.post("/api/buyer/case/submit", json={"note": "box crushed"})
    assert submitted.status_code == 201, submitted.text

    agent, _ = staff(client, app, "agent@example.com", "agent")
    listed = agent.get("/api/cases").json()["cases"]
    assert len(listed) == 1
    case = agent.get(f"/api/cases/{listed[0]['id']}").json()
    (row,) = case["files"]
    assert row["sha256"] == hashlib.sha256(clip).hexdigest()
    assert row["container"] == "webm" and row["codecs"] == "vp8"
    assert case["submissions"][0]["note"] == "box crushed"
    served = agent.get(row["url"])
    assert served.status_code == 200 and served.content == clip
    ranged = agent.get(row["url"], headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.content == clip[:10]


def test_photo_is_accepted_as_a_clean_copy(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    photo = image_bytes("mjpeg")
    location = create(person, len(photo), step="label", kind="photo").headers["Location"]
    assert patch(person, location, 0, photo).status_code == 204
    (row,) = stored_files(app)
    assert row.state == "ready" and row.content_type == "image/jpeg"
    assert (row.width, row.height) == (96, 64)


def test_non_media_file_is_refused_and_nothing_is_kept(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    junk = b"#!/bin/sh\necho not a video\n" * 20
    location = create(person, len(junk)).headers["Location"]
    refused = patch(person, location, 0, junk)
    assert refused.status_code == 415
    assert refused.json()["error"]["code"] == "clip_refused"
    assert "refused" in refused.json()["error"]["message"]
    assert stored_files(app) == [] and files_on_disk(app) == []


def test_oversize_upload_is_refused_before_any_byte(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    too_big = app.state.settings.max_case_file_bytes + 1
    refused = create(person, too_big)
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "file_too_large"
    assert stored_files(app) == []


def test_chunk_past_upload_length_is_refused_whole(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip()
    location = create(person, len(clip)).headers["Location"]
    refused = patch(person, location, 0, clip + b"extra")
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "past_upload_length"
    assert person.request("HEAD", location).headers["Upload-Offset"] == "0"


def test_wrong_offset_is_a_conflict(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip()
    location = create(person, len(clip)).headers["Location"]
    assert patch(person, location, 0, clip[:100]).status_code == 204
    wrong = patch(person, location, 50, clip[50:200])
    assert wrong.status_code == 409
    assert wrong.json()["error"]["code"] == "offset_mismatch"
    assert person.request("HEAD", location).headers["Upload-Offset"] == "100"


def test_chunk_for_someone_elses_upload_is_unknown(client, app):
    _, url = make_link(app)
    _, other_url = make_link(app, "ORD-2")
    owner, stranger = buyer(client, url), buyer(client, other_url)
    clip = webm_clip()
    location = create(owner, len(clip)).headers["Location"]
    theirs = patch(stranger, location, 0, clip)
    unknown = patch(stranger, "/api/uploads/nosuchupload", 0, clip)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    assert stored_files(app)[0].offset == 0


def test_upload_after_revocation_is_refused(client, app):
    link, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip()
    location = create(person, len(clip)).headers["Location"]
    with Session(app.state.engine) as db:
        buyer_links.revoke_link(db, link.id, app.state.clock.now())
    refused = patch(person, location, 0, clip)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "upload_not_found"
    assert create(person, len(clip)).status_code == 401
    assert stored_files(app)[0].offset == 0


def test_agent_reply_and_outcome_reach_the_case_and_the_buyer(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip()
    location = create(person, len(clip)).headers["Location"]
    patch(person, location, 0, clip)
    person.post("/api/buyer/case/submit", json={"note": None})
    agent, _ = staff(client, app, "agent@example.com", "agent")
    case_id = agent.get("/api/cases").json()["cases"][0]["id"]
    verdict = agent.put(
        f"/api/cases/{case_id}/outcome", json={"outcome": "damage", "decision": "refund"}
    )
    assert verdict.status_code == 200 and verdict.json()["outcome"] == "damage"
    replied = agent.post(f"/api/cases/{case_id}/replies", json={"text": "Refund on its way"})
    assert replied.status_code == 201, replied.text
    seen = person.get("/api/buyer/case").json()
    assert [r["text"] for r in seen["replies"]] == ["Refund on its way"]


def test_a_later_live_call_from_the_same_link_belongs_to_the_case(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip()
    patch(person, create(person, len(clip)).headers["Location"], 0, clip)
    person.post("/api/buyer/case/submit", json={"note": "please call me"})
    agent, _ = staff(client, app, "agent@example.com", "agent")
    with socket(client, agent, "staff") as agent_ws:
        agent_ws.send_json({"type": "set_availability", "state": "available"})
        recv_type(agent_ws, "availability")
        with socket(client, person, "buyer") as buyer_ws:
            buyer_ws.send_json(consent_message(True))
            session_id = recv_type(buyer_ws, "call")["session_id"]
            agent_ws.send_json({"type": "accept", "session_id": session_id})
            assert recv_type(buyer_ws, "call")["state"] == "live"
    case_id = agent.get("/api/cases").json()["cases"][0]["id"]
    case = wait_until(
        lambda: (found := agent.get(f"/api/cases/{case_id}").json())["calls"] and found,
        10,
        "the call on the case",
    )
    assert [c["id"] for c in case["calls"]] == [session_id]
    assert len(case["files"]) == 1


def test_a_quick_phrase_reply_reaches_the_buyer_in_their_language(client, app):
    _, url = make_link(app, locale="de")
    person = buyer(client, url)
    person.post("/api/buyer/case/submit", json={"note": "Karton zerdrückt"})
    agent, _ = staff(client, app, "agent@example.com", "agent")
    phrase = agent.get("/api/quick-phrases").json()["items"][0]
    case_id = agent.get("/api/cases").json()["cases"][0]["id"]
    sent = agent.post(f"/api/cases/{case_id}/replies", json={"phrase_id": phrase["id"]})
    assert sent.status_code == 201, sent.text
    assert sent.json()["replies"][0]["phrase_key"] == str(phrase["id"])
    seen = person.get("/api/buyer/case").json()["replies"]
    assert [r["text"] for r in seen] == [phrase["texts"]["de"]]
    assert agent.post(f"/api/cases/{case_id}/replies", json={}).status_code == 422


def test_the_buyers_case_routes_check_the_call_cookies_csrf_token(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    person.csrf = None
    refused = person.post("/api/buyer/case/submit", json={"note": "x"})
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert create(person, 100).json()["error"]["code"] == "csrf_failed"


def test_a_clip_over_60_seconds_is_refused_and_deleted(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip(seconds=65, fps=1)
    location = create(person, len(clip)).headers["Location"]
    refused = patch(person, location, 0, clip)
    assert refused.status_code == 415
    assert refused.json()["error"]["code"] == "clip_too_long"
    assert "at most 60 s" in refused.json()["error"]["message"]
    assert stored_files(app) == [] and files_on_disk(app) == []
    assert person.request("HEAD", location).status_code == 404


def test_tus_options_announce_version_extensions_and_the_size_cap(client, app):
    answer = client.options("/api/uploads")
    assert answer.status_code == 204
    assert answer.headers["Tus-Version"] == "1.0.0"
    assert set(answer.headers["Tus-Extension"].split(",")) == {"creation", "termination"}
    assert int(answer.headers["Tus-Max-Size"]) == app.state.settings.max_case_file_bytes


def test_a_retaken_step_deletes_its_unsent_upload(client, app):
    _, url = make_link(app)
    person = buyer(client, url)
    clip = webm_clip()
    location = create(person, len(clip)).headers["Location"]
    patch(person, location, 0, clip[:100])
    deleted = person.request("DELETE", location, headers={"Tus-Resumable": "1.0.0"})
    assert deleted.status_code == 204
    assert stored_files(app) == [] and files_on_disk(app) == []
