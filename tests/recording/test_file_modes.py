"""Files Showdesk makes in its data directory are the owner's only (``showdesk`` sets the
umask to 077 as it starts), even in a data directory that existed before with looser
modes: the database, photos, and the relay worker's track files and their folders."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx

from server.db import make_engine
from tests.helpers.accounts import PASSWORD, create_account
from tests.helpers.calls import live_call
from tests.helpers.images import image_bytes
from tests.helpers.links import create_link_in
from tests.helpers.recordings import wait_recorded
from tests.helpers.servers import served


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_database_photos_and_tracks_are_owner_only_in_an_existing_data_dir(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)  # made before, by hand or an older version, open to the group
    engine = make_engine(f"sqlite:///{(data / 'showdesk.db').resolve()}")
    with served(tmp_path) as server:
        create_account(engine, "ana@shop.test", "agent", "Ana")
        _, link_url = create_link_in(engine, server.url, "M-1")
        async with httpx.AsyncClient(base_url=server.url) as http:
            signed_in = await http.post(
                "/api/auth/login", json={"email": "ana@shop.test", "password": PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            agent_cookie = f"showdesk_session={signed_in.cookies['showdesk_session']}"
            opened = await http.get(link_url, follow_redirects=False)
            assert opened.status_code == 303
            call_cookie, csrf = opened.cookies["showdesk_call"], opened.cookies["call_csrf_token"]
            buyer_cookie = f"showdesk_call={call_cookie}; call_csrf_token={csrf}"
            async with live_call(server.url, agent_cookie, buyer_cookie) as call:
                calls = data / "files" / "calls" / call.session_id
                await wait_recorded(calls / "tracks" / "buyer_video-0.webm", 1000)
                uploaded = await http.post(
                    f"/api/sessions/{call.session_id}/photos",
                    content=image_bytes("mjpeg", 320, 240),
                    headers={
                        "Content-Type": "image/jpeg",
                        "Cookie": buyer_cookie,
                        "X-CSRF-Token": csrf,
                    },
                )
                assert uploaded.status_code == 201, uploaded.text
                made = sorted(p for p in (data / "files").rglob("*"))
                modes = {str(p.relative_to(data)): oct(mode_of(p)) for p in made}
                modes["showdesk.db"] = oct(mode_of(data / "showdesk.db"))
    photos = [p for p in made if p.parent.name == "photos" and p.is_file()]
    tracks = [p for p in made if p.parent.name == "tracks" and p.is_file()]
    assert photos and tracks, modes
    for path in made:
        assert mode_of(path) == (0o700 if path.is_dir() else 0o600), modes
    assert modes["showdesk.db"] == oct(0o600), modes
    assert mode_of(data) == 0o755  # the directory itself is left as its owner made it
