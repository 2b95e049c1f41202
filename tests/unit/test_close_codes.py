"""Close codes exist once (signaling.vocabulary.CloseCode); the protocol document and the
pages' client list exactly those, and the server never closes with a bare number."""

from __future__ import annotations

import re
from pathlib import Path

import signaling
from signaling.vocabulary import CloseCode

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (Path(signaling.__file__).parent / "PROTOCOL.md").read_text(encoding="utf-8")
CLIENT = (ROOT / "web" / "js" / "signaling.js").read_text(encoding="utf-8")


def documented_codes() -> set[int]:
    section = PROTOCOL.split("## Close codes", 1)[1]
    return {int(code) for code in re.findall(r"^\| (\d{4}) \|", section, flags=re.M)}


def client_codes() -> dict[str, int]:
    body = re.search(r"CLOSE_CODES = Object\.freeze\(\{(.*?)\}\)", CLIENT, flags=re.S)
    assert body, "web/js/signaling.js defines CLOSE_CODES"
    return {name: int(code) for name, code in re.findall(r"(\w+): (\d{4})", body.group(1))}


def test_protocol_md_documents_exactly_the_close_codes_the_server_sends() -> None:
    assert documented_codes() == {int(code) for code in CloseCode}


def test_the_pages_client_knows_every_close_code_under_the_same_name() -> None:
    assert client_codes() == {code.name: int(code) for code in CloseCode}


def test_the_client_treats_only_named_codes_as_final() -> None:
    finals = re.search(r"FINAL_CLOSE_CODES = new Map\(\[(.*?)\]\);", CLIENT, flags=re.S)
    assert finals
    names = re.findall(r"\[CLOSE_CODES\.(\w+),", finals.group(1))
    assert set(names) == {"SUPERSEDED", "MOVED", "REVOKED", "POLICY", "DEVICE_REFUSED"}
    assert not re.search(r"\[\d{4},", finals.group(1)), "final codes are named, not numbers"


def test_no_server_module_closes_a_socket_with_a_bare_number() -> None:
    bare = re.compile(r"\.close\(\s*\d{4}|[\"(, ]\b(10(0[0-9]|1[0-5])|40\d\d)\b\s*,\s*\"")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("server", "signaling")
        for path in (ROOT / folder).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if bare.search(line) and "vocabulary.py" not in path.name
    ]
    assert offenders == []
