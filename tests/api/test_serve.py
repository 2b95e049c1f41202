"""``showdesk serve`` as a user starts it: a real process on a free loopback port."""

from __future__ import annotations

import datetime
import re
import ssl
import stat
from pathlib import Path

import httpx
import pytest

from server.cli.serve import FIRST_START_FILE, first_start_notice
from tests.helpers.servers import served
from tests.helpers.waiting import NotYet, wait_until


@pytest.fixture
def demo(tmp_path: Path):
    """``showdesk serve --demo`` in ``tmp_path``: yield (base url, output reader)."""
    with served(tmp_path, "--demo") as server:
        yield server.url, server.output


def first_start_file(tmp_path: Path) -> str:
    """What the first start wrote for its operator (stdout is not a terminal in tests)."""
    path = tmp_path / "data" / FIRST_START_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path.read_text()


def test_first_start_creates_admin_demo_accounts_and_a_link_and_writes_them_to_a_private_file(
    demo, tmp_path
):
    base, output = demo
    printed = output()
    assert f"{base}/login" in printed and f"{base}/console" in printed
    # not a terminal: no one-time password, no link token in what was printed (a log) ...
    assert "one-time password:" not in printed and "/j/" not in printed
    assert str((tmp_path / "data" / FIRST_START_FILE).resolve()) in printed
    # ... they are in a file only its owner can read
    text = first_start_file(tmp_path)
    admin = re.search(r"admin@showdesk\.local\s+one-time password: (\S+)", text)
    agent = re.search(r"agent@showdesk\.local\s+one-time password: (\S+)", text)
    link = re.search(rf"buyer link\s+({re.escape(base)}/j/\S+)", text)
    assert admin and agent and link, text
    assert (tmp_path / "data" / "showdesk.db").exists()
    assert (tmp_path / "data" / "secret_key").exists()
    with httpx.Client(base_url=base) as staff:
        answer = staff.post(
            "/api/auth/login",
            json={"email": "admin@showdesk.local", "password": admin.group(1)},
        )
        assert answer.status_code == 200 and answer.json()["must_change_password"] is True
    with httpx.Client() as buyer:
        opened = buyer.get(link.group(1), follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == "/call"


def test_access_log_redacts_link_tokens(demo, tmp_path):
    base, output = demo
    link = re.search(rf"buyer link\s+{re.escape(base)}/j/(\S+)", first_start_file(tmp_path))
    link = link.group(1)
    with httpx.Client() as buyer:
        buyer.get(f"{base}/j/{link}", follow_redirects=False)
        buyer.get(f"{base}/j/{link}x", follow_redirects=False)
    wait_until(
        lambda: "/j/[redacted]" in output() or NotYet("no redacted /j/ line logged yet"),
        5,
        "the access log line of the link",
    )
    text = output().split("Stop with Ctrl-C.")[-1]  # after the first-start printout
    assert "/j/[redacted]" in text
    assert link not in text


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_serve_with_tls_speaks_https_and_sets_secure_cookies(tmp_path):
    cert, key = self_signed(tmp_path)
    tls = ("--tls-cert", str(cert), "--tls-key", str(key))
    with served(tmp_path, *tls, scheme="https") as server:
        base = server.url
        assert base.startswith("https://")
        password = re.search(r"one-time password: (\S+)", first_start_file(tmp_path)).group(1)
        answer = httpx.post(
            f"{base}/api/auth/login",
            json={"email": "admin@showdesk.local", "password": password},
            verify=ssl.create_default_context(cafile=str(cert)),
        )
        assert answer.status_code == 200
        cookies = answer.headers.get_list("set-cookie")
        assert cookies and all("Secure" in c for c in cookies)
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://localhost:{base.rsplit(':', 1)[1]}/healthz", timeout=2)


def test_on_a_terminal_the_first_start_prints_what_it_created(tmp_path):
    created = ["  admin       admin@showdesk.local  one-time password: abc"]
    assert first_start_notice(created, tmp_path, to_terminal=True).endswith(created[0])
    assert not (tmp_path / FIRST_START_FILE).exists()
