"""The ``showdesk`` command, run as a user runs it (a real process, a real database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.helpers.cli import showdesk
from tests.helpers.servers import served


def last_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_user_add_list_disable_and_reset_password(tmp_path):
    added = showdesk(
        tmp_path,
        "user",
        "add",
        "Ana@Shop.test",
        "--role",
        "agent",
        "--name",
        "Ana",
        "--password-stdin",
        stdin="ana's long password\n",
    )
    assert last_line(added) == "ana@shop.test (agent)"
    listed = showdesk(tmp_path, "user", "list", "--json")
    assert [u["email"] for u in json.loads(listed.stdout)] == ["ana@shop.test"]
    password = last_line(showdesk(tmp_path, "user", "reset-password", "ana@shop.test"))
    assert len(password) >= 16 and " " not in password
    assert "disabled" in last_line(showdesk(tmp_path, "user", "disable", "ana@shop.test"))
    assert json.loads(showdesk(tmp_path, "user", "list", "--json").stdout)[0]["disabled"]


def test_user_add_without_a_way_to_ask_prints_a_one_time_password(tmp_path):
    result = showdesk(tmp_path, "user", "add", "sam@shop.test", "--role", "supervisor")
    assert len(last_line(result)) >= 16


def test_link_create_prints_the_url_on_the_last_line(tmp_path):
    result = showdesk(
        tmp_path,
        "link",
        "create",
        "--order",
        "ORD-55",
        "--purpose",
        "product_demo",
        "--locale",
        "pt-BR",
        "--expires",
        "90m",
        "--note",
        "blue kettle",
    )
    assert last_line(result).startswith("https://support.shop.test/j/")
    record = json.loads(
        showdesk(
            tmp_path,
            "link",
            "create",
            "--order",
            "ORD-56",
            "--purpose",
            "damage_verification",
            "--json",
        ).stdout
    )
    assert record["order_ref"] == "ORD-56" and record["url"].startswith("https://")
    assert "token_hash" not in record


def test_apikey_create_prints_the_key_once(tmp_path):
    key = last_line(showdesk(tmp_path, "apikey", "create", "order system"))
    assert key.startswith("sdk_") and len(key) > 40


def test_apikey_create_list_and_revoke(tmp_path):
    key = last_line(
        showdesk(
            tmp_path,
            "apikey",
            "create",
            "order system",
            "--scopes",
            "links:read,calls:read",
            "--expires",
            "90d",
        )
    )
    made = json.loads(showdesk(tmp_path, "apikey", "create", "reports", "--json").stdout)
    assert made["key"].startswith("sdk_")
    assert made["scopes"] == ["links:write", "links:read", "calls:read"]
    listed = showdesk(tmp_path, "apikey", "list", "--json")
    records = json.loads(listed.stdout)
    assert [(k["name"], k["status"]) for k in records] == [
        ("order system", "active"),
        ("reports", "active"),
    ]
    assert records[0]["scopes"] == ["links:read", "calls:read"]
    assert records[0]["expires_at"] and records[1]["expires_at"] is None
    assert records[0]["last_used_at"] is None and records[0]["revoked_at"] is None
    table = showdesk(tmp_path, "apikey", "list")
    assert "order system" in table.stdout and "links:read,calls:read" in table.stdout
    for output in (listed.stdout, table.stdout):
        assert key not in output and made["key"] not in output and "hash" not in output
    revoked = showdesk(tmp_path, "apikey", "revoke", str(records[0]["id"]))
    assert "revoked" in last_line(revoked)
    after = json.loads(showdesk(tmp_path, "apikey", "list", "--json").stdout)
    assert [k["status"] for k in after] == ["revoked", "active"] and after[0]["revoked_at"]


def test_apikey_revoke_of_an_unknown_id_fails_clearly(tmp_path):
    result = showdesk(tmp_path, "apikey", "revoke", "42")
    assert result.returncode == 1
    assert "no API key with id 42" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("link", "create", "--order", "A", "--purpose", "haircut"),
        ("link", "create", "--order", "A", "--purpose", "product_demo", "--expires", "soon"),
        ("user", "add", "x@shop.test", "--role", "boss"),
        ("apikey", "create", "x", "--scopes", "links:delete"),
        ("apikey", "create", "x", "--expires", "forever"),
        ("apikey", "revoke", "first"),
    ],
)
def test_bad_cli_input_exits_nonzero_with_a_clear_message(tmp_path, args):
    result = showdesk(tmp_path, *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and result.stderr.strip()


def test_user_add_checks_the_email_as_the_api_does(tmp_path):
    refused = showdesk(tmp_path, "user", "add", "nul\x01x\x07@example.test", "--role", "agent")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "not an email address" in refused.stderr and "U+0001" in refused.stderr
    assert showdesk(tmp_path, "user", "add", "x@shop", "--role", "agent").returncode == 1
    made = showdesk(tmp_path, "user", "add", "Ops@Showdesk.LOCAL", "--role", "admin")
    assert made.returncode == 0, made.stderr
    listed = json.loads(showdesk(tmp_path, "user", "list", "--json").stdout)
    assert [(u["email"], u["name"]) for u in listed] == [("ops@showdesk.local", "ops")]


def test_the_cli_makes_the_database_owner_only_in_an_existing_data_dir(tmp_path):
    import stat

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    assert showdesk(data, "user", "add", "ana@shop.test", "--role", "agent").returncode == 0
    made = [p for p in data.iterdir() if p.name.startswith("showdesk.db")]
    assert made and {stat.S_IMODE(p.stat().st_mode) for p in made} == {0o600}, made


def test_duplicate_user_is_refused_with_a_message(tmp_path):
    args = ("user", "add", "ana@shop.test", "--role", "agent", "--password-stdin")
    showdesk(tmp_path, *args, stdin="long enough password\n")
    again = showdesk(tmp_path, *args, stdin="long enough password\n")
    assert again.returncode == 1 and "exists already" in again.stderr


def test_weak_secret_key_stops_the_command_with_advice(tmp_path):
    env = {**os.environ, "SHOWDESK_DATA_DIR": str(tmp_path), "SHOWDESK_SECRET_KEY": "changeme"}
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "placeholder" in result.stderr and "token_urlsafe" in result.stderr


def test_link_create_builds_the_url_of_the_server_running_on_the_data(tmp_path):
    with served(tmp_path) as server:  # no SHOWDESK_PUBLIC_URL: it serves at its own port
        assert not server.url.endswith(":8000")
        result = showdesk(
            tmp_path / "data",
            "link",
            "create",
            "--order",
            "ORD-PORT",
            "--purpose",
            "product_demo",
            public_url=None,
        )
        assert result.returncode == 0, result.stderr
        url = last_line(result)
        assert url.startswith(f"{server.url}/j/"), (url, server.url)
        assert httpx.get(url, follow_redirects=False).status_code == 303  # it opens
    # SHOWDESK_PUBLIC_URL, when set, wins over the running server's address
    told = showdesk(
        tmp_path / "data", "link", "create", "--order", "ORD-ENV", "--purpose", "product_demo"
    )
    assert last_line(told).startswith("https://support.shop.test/j/")
