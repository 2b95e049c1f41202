"""POST /api/sessions/{id}/photos: the buyer's page uploads a photo of its live call with
its call cookie; bad uploads are refused with clear errors."""

from __future__ import annotations

import hashlib
import io
import resource
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import PIL.Image
import pytest
from sqlmodel import Session, select

from server.evidence.photos import PHOTO_MAX_BYTES
from server.infra.rate_limits import RateLimits
from server.models import CallEvent
from server.models.evidence import Photo
from tests.helpers.consent import consent_message
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.people import Person, buyer, staff
from tests.helpers.waiting import wait_until

HELLO = {"type": "hello", "v": 1}


def recv_type(ws, wanted: str, limit: int = 50) -> dict:
    """The next message of type ``wanted`` (others are skipped)."""
    seen = []
    for _ in range(limit):
        message = ws.receive_json()
        if message["type"] == wanted:
            return message
        seen.append(message["type"])
    raise AssertionError(f"no {wanted!r}; saw {seen}")


@contextmanager
def socket(client, person: Person, as_: str):
    client.cookies.clear()
    for name, value in person.cookies.items():
        client.cookies.set(name, value)
    with client.websocket_connect(f"/ws?as={as_}") as ws:
        client.cookies.clear()
        ws.send_json(HELLO)
        recv_type(ws, "welcome")
        yield ws


@dataclass
class LiveCall:
    session_id: str
    buyer: Person
    buyer_ws: object
    agent_ws: object


@contextmanager
def live_call(
    app,
    client,
    agent: Person,
    order_ref: str = "ORD-PHOTO",
    before_accept: Callable[[], None] | None = None,
) -> Iterator[LiveCall]:
    _, url = make_link(app, order_ref)
    the_buyer = buyer(client, url)
    with ExitStack() as stack:
        agent_ws = stack.enter_context(socket(client, agent, "staff"))
        agent_ws.send_json({"type": "set_availability", "state": "available"})
        recv_type(agent_ws, "availability")
        buyer_ws = stack.enter_context(socket(client, the_buyer, "buyer"))
        buyer_ws.send_json(consent_message(True))
        session_id = recv_type(buyer_ws, "call")["session_id"]
        if before_accept is not None:
            before_accept()
        agent_ws.send_json({"type": "accept", "session_id": session_id})
        assert recv_type(buyer_ws, "call")["state"] == "live"
        yield LiveCall(session_id, the_buyer, buyer_ws, agent_ws)


@pytest.fixture
def agent(app, client) -> Person:
    return staff(client, app, "ann@shop.test", "agent", "Ann Agent")[0]


def upload(person: Person, session_id: str, data: bytes, content_type: str = "image/jpeg"):
    return person.post(
        f"/api/sessions/{session_id}/photos",
        content=data,
        headers={"Content-Type": content_type},
    )


@pytest.mark.parametrize(
    ("codec", "content_type"),
    [("mjpeg", "image/jpeg"), ("png", "image/png"), ("libwebp", "image/webp")],
)
def test_buyer_uploads_a_photo_and_both_sides_are_told(app, client, agent, codec, content_type):
    data = image_bytes(codec, 320, 240)
    with live_call(app, client, agent) as call:
        agent_asks = {"type": "capture"}
        call.agent_ws.send_json(agent_asks)
        assert recv_type(call.buyer_ws, "take_photo")["session_id"] == call.session_id
        # the type is read from the content: a wrong or missing header does not matter
        answer = upload(call.buyer, call.session_id, data, "application/octet-stream")
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert (body["width"], body["height"], body["content_type"]) == (320, 240, content_type)
        assert body["original_sha256"] == hashlib.sha256(data).hexdigest()
        assert body["t_ms"] >= 0
        for ws in (call.agent_ws, call.buyer_ws):
            told = recv_type(ws, "photo")
            assert (told["photo_id"], told["width"], told["height"]) == (body["id"], 320, 240)
        session_id = call.session_id
    with Session(app.state.engine) as db:
        photo = db.get(Photo, body["id"])
        assert photo is not None and photo.call_id == session_id
        kept = app.state.storage.local_path(photo.storage_key).read_bytes()
    # what is kept is a clean copy of the same picture, described by its own size and hash
    assert body["size_bytes"] == len(kept)
    assert body["sha256"] == hashlib.sha256(kept).hexdigest()
    assert PIL.Image.open(io.BytesIO(kept)).size == (320, 240)

    def photo_event() -> bool:
        with Session(app.state.engine) as db:
            kinds = db.exec(select(CallEvent.kind).where(CallEvent.call_id == session_id)).all()
            return "photo" in kinds

    wait_until(photo_event, 5, "the photo on the call's timeline")


def test_bad_uploads_are_refused_with_clear_errors(app, client, agent):
    with live_call(app, client, agent) as call:
        gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04" + b"\x00" * 20
        for data, content_type in [
            (b"hello, this is not a picture", "image/jpeg"),  # the header lies
            (gif, "image/gif"),
            (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "image/jpeg"),  # a JPEG signature, no image
            (b"", "image/png"),
        ]:
            answer = upload(call.buyer, call.session_id, data, content_type)
            assert answer.status_code == 415, (data[:10], answer.text)
            error = answer.json()["error"]
            assert error["code"] == "unsupported_media_type"
            assert "JPEG" in error["message"] or "could not be read" in error["message"]

        too_big = b"\xff\xd8\xff\xe0" + b"\x00" * PHOTO_MAX_BYTES
        answer = upload(call.buyer, call.session_id, too_big)
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "too_large"
        assert "15 MB" in answer.json()["error"]["message"]

        # another link's buyer, a staff member, nobody
        _, other_url = make_link(app, "ORD-OTHER")
        stranger = buyer(client, other_url)
        good = image_bytes("mjpeg")
        answer = upload(stranger, call.session_id, good)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
        assert upload(agent, call.session_id, good).status_code == 401
        assert upload(Person(client, {}), call.session_id, good).status_code == 401
        assert upload(call.buyer, "no-such-call", good).status_code == 404

        call.agent_ws.send_json({"type": "end"})
        recv_type(call.buyer_ws, "call")
        after = upload(call.buyer, call.session_id, good)
        assert after.status_code == 409 and after.json()["error"]["code"] == "call_ended"
    with Session(app.state.engine) as db:
        assert db.exec(select(Photo)).all() == []


def test_photos_beyond_the_per_call_cap_are_refused(tmp_path):
    from fastapi.testclient import TestClient

    from server.app import create_app
    from tests.helpers.servers import make_settings

    app = create_app(make_settings(tmp_path, max_photos_per_call=1))
    with TestClient(app, base_url=app.state.settings.public_url) as client:
        agent = staff(client, app, "ann@shop.test", "agent", "Ann Agent")[0]
        with live_call(app, client, agent) as call:
            first = upload(call.buyer, call.session_id, image_bytes("mjpeg", 64, 48))
            second = upload(call.buyer, call.session_id, image_bytes("png", 64, 48))
    assert first.status_code == 201
    assert second.status_code == 409 and "1 photos" in second.json()["error"]["message"]


# ---------------------------------------------------------------- intake: what is decoded,
# what is kept, how often (nothing is decoded before the header says the picture is small
# enough; what is kept carries no location or camera metadata; uploads are rate-limited;
# no JSON route reads a large body)

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def png_bomb(width: int, height: int) -> bytes:
    """A valid grayscale PNG of ``width`` x ``height`` zeros, compressed as it is made
    (making it needs no more memory than one row)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    packer = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def jpeg_with_location(width: int, height: int, orientation: int = 1) -> bytes:
    image = PIL.Image.new("RGB", (width, height), (200, 30, 30))
    exif = PIL.Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding(app, client, agent):
    bomb = png_bomb(12000, 10000)  # 120 megapixels in a few hundred kilobytes
    assert len(bomb) < 1_000_000
    with live_call(app, client, agent) as call:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB, peak so far
        answer = upload(call.buyer, call.session_id, bomb, "image/png")
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert answer.status_code == 415
    assert "too many pixels (12000x10000" in answer.json()["error"]["message"]
    # decoding it would take 120 MB at the least; the peak did not move by a third of that
    assert after - before < 40_000


def test_location_and_camera_metadata_are_removed_and_the_picture_is_kept_upright(
    app, client, agent
):
    data = jpeg_with_location(64, 32, orientation=6)  # "rotate 90": the phone was upright
    assert PIL.Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
    with live_call(app, client, agent) as call:
        answer = upload(call.buyer, call.session_id, data)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        served = agent.get(body["url"])
    assert served.status_code == 200
    kept = PIL.Image.open(io.BytesIO(served.content))
    assert kept.size == (32, 64) and (body["width"], body["height"]) == (32, 64)
    exif = kept.getexif()
    assert not exif.get_ifd(GPS_IFD) and ORIENTATION not in exif and 0x010F not in exif
    assert b"PhoneMaker" not in served.content and b"Exif" not in served.content
    assert body["original_sha256"] == hashlib.sha256(data).hexdigest()
    assert body["sha256"] == hashlib.sha256(served.content).hexdigest() != body["original_sha256"]


def test_the_agent_opens_a_photo_at_once_while_the_calls_answer_is_still_being_stored(
    app, client, agent
):
    gate = threading.Event()
    store = app.state.calls.store

    def hold_the_store() -> None:  # the database is slow: the answer waits behind this
        store.queue(lambda db: gate.wait(30))
        threading.Timer(1.0, gate.set).start()

    try:
        with live_call(app, client, agent, before_accept=hold_the_store) as call:
            answer = upload(call.buyer, call.session_id, jpeg_with_location(16, 16))
            assert answer.status_code == 201, answer.text
            served = agent.get(answer.json()["url"])
    finally:
        gate.set()
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"


def test_photo_uploads_are_limited_per_call_refused_ones_included(app, client, agent):
    limited = app.state.settings.model_copy(update={"limit_photos_per_call": "3/minute"})
    app.state.rate_limits = RateLimits(limited)
    with live_call(app, client, agent) as call:
        answers = [upload(call.buyer, call.session_id, b"not an image") for _ in range(3)]
        assert [a.status_code for a in answers] == [415, 415, 415]
        refused = upload(call.buyer, call.session_id, jpeg_with_location(8, 8))
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1


def test_a_large_json_body_is_refused_before_it_is_read(client):
    answer = client.post(
        "/api/auth/login",
        content=b'{"email": "' + b"a" * 2_000_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"
    assert answer.headers["x-content-type-options"] == "nosniff"  # the usual headers too


def test_a_large_chunked_json_body_is_refused_too(client):
    def chunks():
        yield b'{"email": "'
        for _ in range(40):
            yield b"a" * 50_000
        yield b'"}'

    answer = client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413
