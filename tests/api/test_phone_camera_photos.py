"""The photo the agent's phone takes for an inspection item, through the API and real
sockets: the agent's `phone_camera_photo` is refused to anyone else and without a live
phone, the phone's `camera_photo_failed` reaches the console, and the upload is refused
alike without the phone's photo key, with a wrong one, after the phone left, after a
newer phone replaced it or after the call ended; another call's capture id and what is
not an image get the inspection's own answers."""

from __future__ import annotations

import io
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PIL import Image
from sqlmodel import Session, select

from server.evidence import audit
from server.models.evidence import AuditEntry
from tests.helpers.images import image_bytes
from tests.helpers.inspections import HELLO, LiveCall, error_code, live_call, recv_type
from tests.helpers.people import Person, staff

PATH = "/api/phone-camera/photos"
KEY_HEADER = "X-Camera-Photo-Key"
REFUSED = {
    "error": {
        "code": "camera_key_invalid",
        "message": "This phone is not the camera of a call: connect it again",
    }
}


@pytest.fixture
def agent(app, client) -> Person:
    return staff(client, app, "pia@shop.test", "agent", "Pia Agent")[0]


@contextmanager
def phone(client, agent: Person, session_id: str) -> Iterator[tuple[object, str]]:
    """The agent's phone, connected as the call's camera: its socket and photo key."""
    issued = agent.post(f"/api/sessions/{session_id}/phone-camera")
    assert issued.status_code == 201, issued.text
    client.cookies.clear()
    claimed = client.post("/api/phone-camera/claim", json={"code": issued.json()["code"]})
    assert claimed.status_code == 200, claimed.text
    token = claimed.cookies["showdesk_camera"]
    client.cookies.clear()
    client.cookies.set("showdesk_camera", token)
    with client.websocket_connect("/ws?as=camera") as ws:
        client.cookies.clear()
        ws.send_json(HELLO)
        welcome = recv_type(ws, "camera_welcome")
        assert welcome["session_id"] == session_id
        yield ws, welcome["photo_key"]


def capture(agent: Person, call: LiveCall, item: str = "shipping_label") -> str:
    if agent.get(f"/api/sessions/{call.session_id}/inspection").status_code == 404:
        started = agent.post(f"/api/sessions/{call.session_id}/inspection", json={})
        assert started.status_code == 201, started.text
    opened = agent.post(f"/api/sessions/{call.session_id}/inspection/captures", json={"item": item})
    assert opened.status_code == 201, opened.text
    return opened.json()["capture_id"]


def upload(client, capture_id: str, key: str | None, content: bytes | None = None):
    client.cookies.clear()
    headers = {"Content-Type": "image/jpeg"}
    if key is not None:
        headers[KEY_HEADER] = key
    body = image_bytes("mjpeg", 160, 120) if content is None else content
    return client.post(f"{PATH}?capture_id={capture_id}", content=body, headers=headers)


def refused_alike(answer) -> None:
    assert (answer.status_code, answer.json()) == (401, REFUSED)


def test_the_phones_photo_is_the_items_told_to_both_sides_and_audited(app, client, agent, caplog):
    caplog.set_level(logging.DEBUG)
    with live_call(app, client, agent) as call, phone(client, agent, call.session_id) as (_, key):
        capture_id = capture(agent, call)
        answer = upload(client, capture_id, key)
        assert answer.status_code == 201, answer.text
        photo_id = answer.json()["id"]
        for ws in (call.agent_ws, call.buyer_ws):
            assert recv_type(ws, "photo")["photo_id"] == photo_id
            told = recv_type(ws, "inspection")
            item = next(i for i in told["items"] if i["key"] == "shipping_label")
            assert (item["state"], item["photo_ids"]) == ("shot", [photo_id])
        # the capture id was used once
        assert error_code(upload(client, capture_id, key), 404) == "unknown_capture"
        with Session(app.state.engine) as db:
            entries = db.exec(
                select(AuditEntry).where(AuditEntry.action == audit.AUDIT_PHONE_CAMERA_PHOTO)
            ).all()
        assert [(e.call_id, e.detail) for e in entries] == [
            (call.session_id, {"photo_id": photo_id})
        ]
        assert entries[0].user_id is not None
        assert key not in caplog.text and key not in repr(entries[0].detail)


def test_no_key_a_wrong_key_and_a_gone_phones_key_get_one_answer(app, client, agent):
    with live_call(app, client, agent) as call:
        capture_id = capture(agent, call)
        with phone(client, agent, call.session_id) as (_, key):
            refused_alike(upload(client, capture_id, None))
            refused_alike(upload(client, capture_id, ""))
            refused_alike(upload(client, capture_id, key[:-2] + "xx"))
            refused_alike(upload(client, capture_id, "k" * 5000))
            # what is not an image, with the right key: the photo route's own 415
            bad = upload(client, capture_id, key, content=b"not an image at all")
            assert error_code(bad, 415) == "unsupported_media_type"
            # a capture id that is not this call's inspection's
            assert error_code(upload(client, "abc123", key), 404) == "unknown_capture"
            with phone(client, agent, call.session_id) as (_, newer):
                refused_alike(upload(client, capture_id, key))  # replaced by a newer phone
                gone = newer
        refused_alike(upload(client, capture_id, gone))  # the phone left
        refused_alike(upload(client, capture_id, key))
        # the item still waits for its photo
        report = agent.get(f"/api/sessions/{call.session_id}/inspection").json()
        assert all(item["photo_ids"] == [] for item in report["items"])


def test_another_calls_capture_id_is_refused(app, client, agent):
    other_agent = staff(client, app, "ola@shop.test", "agent", "Ola Agent")[0]
    with live_call(app, client, agent, "ORD-PH-A") as call:
        with live_call(app, client, other_agent, "ORD-PH-B") as other:
            theirs = capture(other_agent, other)
            capture(agent, call)
            with phone(client, agent, call.session_id) as (_, key):
                assert error_code(upload(client, theirs, key), 404) == "unknown_capture"


def test_the_key_dies_with_the_call(app, client, agent):
    with live_call(app, client, agent) as call:
        capture_id = capture(agent, call)
        with phone(client, agent, call.session_id) as (ws, key):
            call.agent_ws.send_json({"type": "end"})
            while recv_type(call.agent_ws, "call")["state"] != "ended":
                pass
            refused_alike(upload(client, capture_id, key))


def test_only_the_agent_with_a_live_phone_asks_it_for_a_photo(app, client, agent):
    with live_call(app, client, agent) as call:
        sid = call.session_id
        capture_id = capture(agent, call)
        ask = {"type": "phone_camera_photo", "session_id": sid, "capture_id": capture_id}
        call.buyer_ws.send_json(ask)
        refused = recv_type(call.buyer_ws, "error")
        assert (refused["code"], refused["in_reply_to"]) == ("forbidden", "phone_camera_photo")
        call.agent_ws.send_json({**ask, "session_id": "0123456789abcdef0123456789abcdef"})
        assert recv_type(call.agent_ws, "error")["code"] == "forbidden"
        call.agent_ws.send_json({**ask, "capture_id": "NOT-HEX"})
        assert recv_type(call.agent_ws, "error")["code"] == "bad_message"
        call.agent_ws.send_json(ask)  # no phone at all
        error = recv_type(call.agent_ws, "error")
        assert (error["code"], error["in_reply_to"]) == ("invalid_state", "phone_camera_photo")
        with phone(client, agent, sid) as (camera, _):
            call.agent_ws.send_json(ask)  # a phone that is connecting sends no picture yet
            assert recv_type(call.agent_ws, "error")["code"] == "invalid_state"
            # the phone says it could not take one: the console is told
            failed = {"type": "camera_photo_failed", "capture_id": capture_id}
            camera.send_json({**failed, "problem": "camera_off"})
            told = recv_type(call.agent_ws, "phone_camera_photo_failed")
            assert told == {
                **failed,
                "type": "phone_camera_photo_failed",
                "session_id": sid,
                "problem": "camera_off",
            }
            camera.send_json({**failed, "problem": "on fire"})
            assert recv_type(camera, "error")["code"] == "bad_message"
            # the console's messages are not the phone's to send
            camera.send_json(ask)
            assert recv_type(camera, "error")["code"] == "forbidden"


def noisy_jpeg(width: int = 800, height: int = 600) -> bytes:
    """A JPEG of noise: well over the JSON body cap (64 KiB), well under the photo cap."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def test_the_phones_and_the_agents_large_photos_keep_the_photo_cap_not_the_json_one(
    app, client, agent
):
    big = noisy_jpeg()
    assert len(big) > app.state.settings.max_json_body_bytes
    with live_call(app, client, agent) as call, phone(client, agent, call.session_id) as (_, key):
        answer = upload(client, capture(agent, call), key, content=big)
        assert answer.status_code == 201, answer.text
        own = capture(agent, call, "serial_number")
        answer = agent.post(
            f"/api/sessions/{call.session_id}/inspection/photos?capture_id={own}",
            content=big,
            headers={"Content-Type": "image/jpeg"},
        )
        assert answer.status_code == 201, answer.text
