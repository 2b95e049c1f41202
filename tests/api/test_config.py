"""Configuration: SHOWDESK_ variables (the video codecs' order included), the generated
secret key, refused weak keys, and the tests' cheap password hashing refused outside
code-built Settings."""

from __future__ import annotations

import stat

import pytest

from server.cli.commands import main as showdesk_main
from server.infra.config import ConfigError, load_settings, resolve_secret_key
from server.infra.security import PASSWORD_HASHING_DEFAULT, PASSWORD_HASHING_FOR_TESTS


def test_settings_come_from_showdesk_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOWDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOWDESK_SHOP_NAME", "Nordic Bikes")
    monkeypatch.setenv("SHOWDESK_PUBLIC_URL", "https://support.example.com/")
    monkeypatch.setenv("SHOWDESK_ICE_SERVERS", '[{"urls": "turn:turn.example.com:3478"}]')
    settings = load_settings()
    assert settings.shop_name == "Nordic Bikes"
    assert settings.public_url == "https://support.example.com"
    assert settings.secure_cookies is True
    assert settings.ice_servers == [{"urls": "turn:turn.example.com:3478"}]
    assert settings.db_url == f"sqlite:///{(tmp_path / 'showdesk.db').resolve()}"


def test_ice_servers_are_empty_by_default(monkeypatch):
    monkeypatch.delenv("SHOWDESK_ICE_SERVERS", raising=False)
    assert load_settings().ice_servers == []


@pytest.mark.parametrize(
    ("codecs", "codec", "order"),
    [
        (None, None, ("VP8", "H264")),  # the default: VP8 first, H.264 where only it is offered
        ("H264,VP8", None, ("H264", "VP8")),
        (" vp8 , h264 ", None, ("VP8", "H264")),
        ("H264", None, ("H264",)),
        (None, "H264", ("H264", "VP8")),  # the older variable names the preferred codec
        ("VP8", "H264", ("VP8",)),  # ... and gives way to the list
    ],
)
def test_the_video_codecs_are_an_ordered_list(monkeypatch, codecs, codec, order):
    for name, value in (("SHOWDESK_VIDEO_CODECS", codecs), ("SHOWDESK_VIDEO_CODEC", codec)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert load_settings().video_codecs == order


@pytest.mark.parametrize(
    ("codecs", "says"), [("VP8,AV1", "'VP8' or 'H264'"), ("VP8,vp8", "twice"), (",", "at least")]
)
def test_unknown_repeated_or_no_video_codecs_are_refused(monkeypatch, codecs, says):
    monkeypatch.setenv("SHOWDESK_VIDEO_CODECS", codecs)
    with pytest.raises(ConfigError, match="video_codecs") as refused:
        load_settings()
    assert says in str(refused.value)


def test_without_a_configured_key_one_is_generated_once_and_kept_owner_only(tmp_path):
    settings = load_settings(data_dir=tmp_path)
    first = resolve_secret_key(settings)
    again = resolve_secret_key(settings)
    assert first == again and len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize("key", ["changethis", "secret", "short-key-123"])
def test_short_or_placeholder_secret_key_is_refused_with_how_to_make_one(monkeypatch, key):
    monkeypatch.setenv("SHOWDESK_SECRET_KEY", key)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "secrets.token_urlsafe" in str(refused.value)
    assert key not in str(refused.value) or key in ("secret",)


def test_a_new_data_directory_is_readable_by_the_owner_only(tmp_path):
    from server.app import create_app
    from tests.helpers.servers import make_settings

    data_dir = tmp_path / "fresh"
    create_app(make_settings(data_dir))
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_load_settings_refuses_the_tests_cheap_password_hashing(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOWDESK_PASSWORD_HASHING", PASSWORD_HASHING_FOR_TESTS)
    with pytest.raises(ConfigError, match="SHOWDESK_PASSWORD_HASHING=.* for the tests only"):
        load_settings(data_dir=tmp_path)
    monkeypatch.delenv("SHOWDESK_PASSWORD_HASHING")
    with pytest.raises(ConfigError, match="for the tests only"):
        load_settings(data_dir=tmp_path, password_hashing=PASSWORD_HASHING_FOR_TESTS)
    assert load_settings(data_dir=tmp_path).password_hashing == PASSWORD_HASHING_DEFAULT


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["user", "list"]])
def test_showdesk_serve_and_the_cli_refuse_the_tests_cheap_password_hashing(
    monkeypatch, tmp_path, capsys, command
):
    monkeypatch.setenv("SHOWDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOWDESK_PASSWORD_HASHING", PASSWORD_HASHING_FOR_TESTS)
    assert showdesk_main(command) == 2
    assert "configuration error: SHOWDESK_PASSWORD_HASHING" in capsys.readouterr().err
    assert not (tmp_path / "showdesk.db").exists()  # refused before anything was done


TURN_SECRET = "k" * 8 + "-turn-shared-secret-" + "q" * 12


def test_turn_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(
        "SHOWDESK_TURN_URLS",
        '["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:443?transport=tcp"]',
    )
    monkeypatch.setenv("SHOWDESK_TURN_SECRET", TURN_SECRET)
    monkeypatch.setenv("SHOWDESK_TURN_TTL_S", "3600")
    monkeypatch.setenv("SHOWDESK_ICE_TRANSPORT_POLICY", "relay")
    settings = load_settings()
    assert settings.turn_urls[1] == "turns:turn.example.com:443?transport=tcp"
    assert settings.turn_secret.get_secret_value() == TURN_SECRET
    assert settings.turn_credential_lifetime_s == 3600
    assert settings.ice_transport_policy == "relay"
    assert TURN_SECRET not in repr(settings)


def test_turn_is_off_and_pages_may_connect_directly_by_default():
    settings = load_settings()
    assert settings.turn_urls == [] and settings.turn_secret is None
    assert settings.ice_transport_policy == "all"
    assert settings.relay_uses_turn is False


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"turn_urls": ["turn:t.example.com:3478"]}, "SHOWDESK_TURN_SECRET"),
        ({"turn_secret": TURN_SECRET}, "SHOWDESK_TURN_URLS is empty"),
        ({"turn_urls": ["turn:t.example.com"], "turn_secret": "short"}, "at least 32"),
        ({"turn_urls": ["turn:t.example.com"], "turn_secret": "changeme"}, "placeholder"),
        ({"turn_urls": ["http://t.example.com"], "turn_secret": TURN_SECRET}, "not a TURN URL"),
        (
            {"turn_urls": ["turn:t.example.com:3478?transport=sctp"], "turn_secret": TURN_SECRET},
            "not a TURN URL",
        ),
        ({"ice_transport_policy": "relay"}, "needs a TURN server"),
        ({"ice_transport_policy": "none"}, "ice_transport_policy"),
        ({"relay_uses_turn": True}, "SHOWDESK_RELAY_USES_TURN needs SHOWDESK_TURN_URLS"),
        (
            {"turn_urls": ["turn:t.example.com"], "turn_secret": TURN_SECRET, "turn_ttl_s": 30},
            "turn_ttl_s",
        ),
    ],
)
def test_incomplete_or_wrong_turn_settings_are_refused_with_what_to_fix(overrides, says):
    with pytest.raises(ConfigError) as refused:
        load_settings(**overrides)
    assert says in str(refused.value)
    assert TURN_SECRET not in str(refused.value)


def test_relay_only_is_accepted_with_a_static_turn_server_in_ice_servers():
    settings = load_settings(
        ice_servers=[{"urls": ["turn:t.example.com:3478"], "username": "u", "credential": "c"}],
        ice_transport_policy="relay",
    )
    assert settings.has_turn
