"""A remote inspection through the API: photos tied to items by one-use capture ids, the
buyer's decisions and sign-off, the report as JSON and as a PDF read back; each step out
of order a clear error."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.helpers.images import image_bytes
from tests.helpers.inspections import LiveCall, error_code, live_call, recv_type, shoot
from tests.helpers.links import make_link
from tests.helpers.people import Person, buyer, staff

ITEMS = ["shipping_label", "serial_number", "accessories"]


@pytest.fixture
def agent(app, client) -> Person:
    return staff(client, app, "ann@shop.test", "agent", "Ann Agent")[0]


def start(agent: Person, session_id: str, items: list[str] | None = ITEMS):
    return agent.post(f"/api/sessions/{session_id}/inspection", json={"items": items})


def test_three_items_photos_tied_one_rejected_signed_off_report_and_pdf(app, client, agent):
    with live_call(app, client, agent) as call:
        sid = call.session_id
        assert start(agent, sid).status_code == 201
        photos = {item: shoot(agent, call, item, 160 + 16 * n) for n, item in enumerate(ITEMS)}
        base = f"/api/buyer/sessions/{sid}/inspection"
        seen = call.buyer.get(base).json()
        assert [i["state"] for i in seen["items"]] == ["shot", "shot", "shot"]
        assert [i["photo_ids"] for i in seen["items"]] == [[photos[i]["id"]] for i in ITEMS]
        for item, decision, reason in [
            ("shipping_label", "approved", None),
            ("serial_number", "rejected", "The serial number sticker is torn"),
            ("accessories", "approved", None),
        ]:
            answer = call.buyer.post(
                f"{base}/items/{item}/decision", json={"decision": decision, "reason": reason}
            )
            assert answer.status_code == 200, answer.text
        signed = call.buyer.post(
            f"{base}/signoff", json={"decision": "approved", "name": "Bea Buyer"}
        )
        assert signed.status_code == 200, signed.text
    got = agent.get(f"/api/sessions/{sid}/inspection")
    assert got.status_code == 200, got.text
    body = got.json()
    assert [(i["key"], i["state"], i["reason"]) for i in body["items"]] == [
        ("shipping_label", "approved", None),
        ("serial_number", "rejected", "The serial number sticker is torn"),
        ("accessories", "approved", None),
    ]
    assert body["signoff"]["name"] == "Bea Buyer" and body["signoff"]["decision"] == "approved"
    assert body["signoff"]["at"]
    pdf = agent.get(body["pdf_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for label in ("Shipping label and barcode", "Serial number", "Accessories counted"):
        assert label in text
    assert "The serial number sticker is torn" in text
    assert "Bea Buyer" in text and sid in text
    # each item's photo embedded as a thumbnail (three different pictures)
    sizes = sorted(image.image.size for page in reader.pages for image in page.images)
    assert sizes == [(160, 120), (176, 120), (192, 120)]


def test_steps_out_of_order_are_clear_errors(app, client, agent):
    bob = staff(client, app, "bob@shop.test", "agent", "Bob Agent")[0]
    with live_call(app, client, agent) as call, live_call(app, client, bob, "ORD-OTHER") as other:
        sid = call.session_id
        base = f"/api/buyer/sessions/{sid}/inspection"
        assert start(agent, sid).status_code == 201
        assert start(bob, other.session_id).status_code == 201
        assert error_code(start(agent, sid), 409) == "conflict"
        # a photo for an item the checklist does not have
        answer = agent.post(f"/api/sessions/{sid}/inspection/captures", json={"item": "wheels"})
        assert error_code(answer, 404) == "unknown_item"
        # another call's capture id is not this call's
        foreign = bob.post(
            f"/api/sessions/{other.session_id}/inspection/captures", json={"item": "accessories"}
        ).json()["capture_id"]
        answer = call.buyer.post(
            f"/api/sessions/{sid}/photos?capture_id={foreign}",
            content=image_bytes("mjpeg", 64, 48),
            headers={"Content-Type": "image/jpeg"},
        )
        assert error_code(answer, 404) == "unknown_capture"
        # a capture id is used once
        opened = agent.post(
            f"/api/sessions/{sid}/inspection/captures", json={"item": "shipping_label"}
        ).json()["capture_id"]
        url = f"/api/sessions/{sid}/photos?capture_id={opened}"
        assert call.buyer.post(url, content=image_bytes("mjpeg", 64, 48)).status_code == 201
        assert error_code(call.buyer.post(url, content=image_bytes("mjpeg", 64, 48)), 404) == (
            "unknown_capture"
        )
        # an item without its photo cannot be decided
        answer = call.buyer.post(
            f"{base}/items/serial_number/decision", json={"decision": "approved"}
        )
        assert error_code(answer, 409) == "photos_missing"
        # a reject needs a reason
        answer = call.buyer.post(
            f"{base}/items/shipping_label/decision", json={"decision": "rejected", "reason": " "}
        )
        assert error_code(answer, 422) == "reason_required"
        # sign-off with items still open
        answer = call.buyer.post(f"{base}/signoff", json={"decision": "approved", "name": "Bea"})
        assert error_code(answer, 409) == "items_open"
        # the buyer of another link sees nothing of this call
        answer = other.buyer.get(base)
        assert error_code(answer, 404) == "not_found"
        answer = other.buyer.post(
            f"{base}/items/shipping_label/decision", json={"decision": "approved"}
        )
        assert error_code(answer, 404) == "not_found"
        # decide everything, sign off, then nothing changes
        shoot(agent, call, "serial_number")
        shoot(agent, call, "accessories")
        for item in ITEMS:
            answer = call.buyer.post(f"{base}/items/{item}/decision", json={"decision": "approved"})
            assert answer.status_code == 200, answer.text
        answer = call.buyer.post(f"{base}/signoff", json={"decision": "rejected", "name": "Bea"})
        assert error_code(answer, 422) == "reason_required"
        answer = call.buyer.post(
            f"{base}/signoff", json={"decision": "rejected", "reason": "Scratched", "name": "Bea"}
        )
        assert answer.status_code == 200, answer.text
        answer = call.buyer.post(
            f"{base}/items/accessories/decision", json={"decision": "rejected", "reason": "late"}
        )
        assert error_code(answer, 409) == "signed_off"
        answer = agent.post(
            f"/api/sessions/{sid}/inspection/captures", json={"item": "accessories"}
        )
        assert error_code(answer, 409) == "signed_off"


def test_only_a_remote_inspection_call_has_an_inspection(app, client, agent):
    with live_call(app, client, agent, purpose="damage_verification") as call:
        assert error_code(start(agent, call.session_id), 409) == "wrong_purpose"
        answer = agent.get(f"/api/sessions/{call.session_id}/inspection")
        assert error_code(answer, 404) == "no_inspection"


def test_the_shipped_checklist_has_every_label_in_every_buyer_locale():
    import json
    from pathlib import Path

    from server.inspections.templates import shipped_templates

    locales = {entry["code"] for entry in json.loads(Path("web/i18n/locales.json").read_text())}
    for template in shipped_templates().values():
        for item in template["items"]:
            assert set(item["label"]) == locales, item["key"]
            assert all(text.strip() for text in item["label"].values())


def agent_shoot(agent: Person, call: LiveCall, item: str, width: int = 160):
    """The agent photographs ``item`` with their own camera: a capture id, then the
    upload to the inspection's photo route."""
    opened = agent.post(f"/api/sessions/{call.session_id}/inspection/captures", json={"item": item})
    assert opened.status_code == 201, opened.text
    return agent.post(
        f"/api/sessions/{call.session_id}/inspection/photos?capture_id={opened.json()['capture_id']}",
        content=image_bytes("mjpeg", width, 120),
        headers={"Content-Type": "image/jpeg"},
    )


def test_both_sides_are_told_each_change_and_the_agent_photographs_the_goods(app, client, agent):
    with live_call(app, client, agent) as call:
        sid = call.session_id
        assert start(agent, sid).status_code == 201
        for ws in (call.agent_ws, call.buyer_ws):
            told = recv_type(ws, "inspection")
            assert told["session_id"] == sid and told["signoff"] is None
            assert [(i["key"], i["state"]) for i in told["items"]] == [
                (k, "pending") for k in ITEMS
            ]
        answer = agent_shoot(agent, call, "shipping_label")
        assert answer.status_code == 201, answer.text
        photo_id = answer.json()["id"]
        for ws in (call.agent_ws, call.buyer_ws):
            assert recv_type(ws, "photo")["photo_id"] == photo_id
            told = recv_type(ws, "inspection")
            assert told["items"][0] == {
                "key": "shipping_label",
                "state": "shot",
                "photo_ids": [photo_id],
                "clip": None,
            }
        # a buyer's upload with a capture id tells both sides too
        shoot(agent, call, "serial_number")
        for ws in (call.agent_ws, call.buyer_ws):
            assert recv_type(ws, "inspection")["items"][1]["state"] == "shot"
        base = f"/api/buyer/sessions/{sid}/inspection"
        answer = call.buyer.post(
            f"{base}/items/serial_number/decision", json={"decision": "rejected", "reason": "Torn"}
        )
        assert answer.status_code == 200, answer.text
        for ws in (call.agent_ws, call.buyer_ws):
            assert recv_type(ws, "inspection")["items"][1]["state"] == "rejected"
        # the buyer's copy names the buyer's own photo and PDF routes
        body = call.buyer.get(base).json()
        assert body["pdf_url"] == f"{base}.pdf"
        assert body["items"][0]["photo_urls"] == [f"{base}/photos/{photo_id}"]
        seen = call.buyer.get(body["items"][0]["photo_urls"][0])
        assert seen.status_code == 200 and seen.headers["content-type"] == "image/jpeg"
        # a photo of the call that is no item's is not the buyer's to read here
        loose = call.buyer.post(
            f"/api/sessions/{sid}/photos",
            content=image_bytes("mjpeg", 64, 48),
            headers={"Content-Type": "image/jpeg"},
        ).json()["id"]
        assert error_code(call.buyer.get(f"{base}/photos/{loose}"), 404) == "not_found"
        agent_shoot(agent, call, "accessories")
        left_open = agent.post(
            f"/api/sessions/{sid}/inspection/captures", json={"item": "accessories"}
        ).json()["capture_id"]
        for item in ("shipping_label", "accessories"):
            call.buyer.post(f"{base}/items/{item}/decision", json={"decision": "approved"})
        signed = call.buyer.post(f"{base}/signoff", json={"decision": "approved", "name": "Bea"})
        assert signed.status_code == 200, signed.text
        for ws in (call.agent_ws, call.buyer_ws):
            # the accessories' photo, two decisions, then the sign-off
            told = [recv_type(ws, "inspection") for _ in range(4)]
            assert [m["signoff"] for m in told] == [None, None, None, "approved"]
        pdf = call.buyer.get(f"{base}.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Shipping label and barcode" in text and "Torn" in text and "Bea" in text
        # after sign-off a capture id handed out before carries no photo
        answer = agent.post(
            f"/api/sessions/{sid}/inspection/photos?capture_id={left_open}",
            content=image_bytes("mjpeg", 64, 48),
        )
        assert error_code(answer, 409) == "signed_off"


def test_the_agents_photo_needs_a_capture_id_of_this_call(app, client, agent):
    with live_call(app, client, agent) as call:
        sid = call.session_id
        url = f"/api/sessions/{sid}/inspection/photos"
        answer = agent.post(f"{url}?capture_id=abc", content=image_bytes("mjpeg", 64, 48))
        assert error_code(answer, 404) == "no_inspection"
        assert start(agent, sid).status_code == 201
        answer = agent.post(f"{url}?capture_id=abc", content=image_bytes("mjpeg", 64, 48))
        assert error_code(answer, 404) == "unknown_capture"
        assert error_code(agent.post(url, content=b"x"), 422) == "validation_error"
        other = buyer(client, make_link(app, "ORD-X", "remote_inspection")[1])
        assert error_code(other.get(f"/api/buyer/sessions/{sid}/inspection.pdf"), 404) == (
            "not_found"
        )


def test_staff_read_the_checklist_templates(client, agent):
    answer = agent.get("/api/inspection-templates")
    assert answer.status_code == 200, answer.text
    default = next(t for t in answer.json() if t["key"] == "default")
    keys = [i["key"] for i in default["items"]]
    assert "shipping_label" in keys and default["items"][0]["photos"] >= 1
    assert default["items"][0]["labels"]["de"]
