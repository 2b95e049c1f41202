"""Photo intake: nothing is decoded before the header says the picture is small enough,
what is kept carries no location or camera metadata (upright, and with the upload's own
hash kept), uploads are rate-limited, and no JSON route reads a large body."""

from __future__ import annotations

import hashlib
import io
import resource
import struct
import zlib

import PIL.Image
import pytest

from server.infra.rate_limits import RateLimits
from tests.api.test_sessions import staff
from tests.api.test_sessions_photos import live_call, upload

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture
def agent(app, client):
    return staff(client, app, "ann@shop.test", "agent", "Ann Agent")[0]


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
