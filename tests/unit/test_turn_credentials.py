"""TURN credentials in coturn's shared-secret scheme, minted per participant and call, and
the rtc_config each connection gets (server/infra/turn.py, server/calls/rtc_config.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from server.calls.rtc_config import RtcConfigs, server_named
from server.infra.turn import ice_servers_for, turn_credential
from signaling.messages import CallUpdate
from tests.helpers.servers import make_settings

SECRET = "a-shared-secret-of-coturn-" + "s" * 20
NOW = 1_767_225_600


def _call(session_id: str, state: str) -> CallUpdate:
    return CallUpdate(
        session_id=session_id,
        state=state,
        buyer_name="Ann",
        order_ref="ORD-1",
        purpose="damage_verification",
        started_at_ms=NOW * 1000,
    )


def test_the_username_is_the_expiry_and_the_participant_and_the_password_its_hmac_sha1():
    username, password = turn_credential(SECRET, "9f3c-buyer", NOW + 600)
    assert username == f"{NOW + 600}:9f3c-buyer"
    expected = hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(password) == expected
    assert len(expected) == 20


def test_the_password_is_the_one_openssl_makes_as_coturn_documents_it():
    # turnserver.conf ("use-auth-secret"): echo -n 1433895918506:my_username |
    # openssl dgst -binary -sha1 -hmac my_secret | openssl base64
    assert turn_credential("my_secret", "my_username", 1433895918506) == (
        "1433895918506:my_username",
        "gKwSWE2uKuZnhCArog06lwc23/A=",
    )


def test_the_participant_part_holds_no_second_separator_or_odd_character():
    username, _ = turn_credential(SECRET, "sess:buyer:1 é/x", NOW)
    assert username == f"{NOW}:sess-buyer-1---x"
    assert username.count(":") == 1


def test_without_turn_the_ice_servers_are_the_configured_ones(tmp_path):
    settings = make_settings(tmp_path, ice_servers=[{"urls": "stun:stun.example.com:3478"}])
    assert ice_servers_for(settings, "anyone", NOW) == [{"urls": "stun:stun.example.com:3478"}]


def test_with_turn_every_url_gets_one_credential_bound_to_the_longest_call(tmp_path):
    urls = ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:443?transport=tcp"]
    settings = make_settings(
        tmp_path,
        turn_urls=urls,
        turn_secret=SECRET,
        turn_ttl_s=24 * 3600,
        max_wait_s=1800,
        max_call_duration_s=7200,
        reconnect_grace_s=30,
    )
    [server] = ice_servers_for(settings, "c1-buyer", NOW)
    assert server["urls"] == urls
    assert server["username"] == f"{NOW + 1800 + 7200 + 30}:c1-buyer"
    assert server["credential"] == turn_credential(SECRET, "c1-buyer", NOW + 9030)[1]


def test_the_ttl_caps_a_credential_shorter_than_a_call(tmp_path):
    settings = make_settings(
        tmp_path, turn_urls=["turn:t.example.com:3478"], turn_secret=SECRET, turn_ttl_s=900
    )
    [server] = ice_servers_for(settings, "p", NOW)
    assert server["username"] == f"{NOW + 900}:p"


def test_a_connection_gets_a_fresh_credential_before_each_call_it_joins(tmp_path):
    settings = make_settings(
        tmp_path,
        turn_urls=["turn:t.example.com:3478"],
        turn_secret=SECRET,
        ice_transport_policy="relay",
    )
    clock = [float(NOW)]
    configs = RtcConfigs(settings, lambda: clock[0])
    first = configs.welcomed("c1", "staff", "7", None)
    assert first.ice_transport_policy == "relay"
    assert first.ice_servers[-1]["username"].endswith(":staff-7")
    clock[0] += 5 * 3600  # the console stays open; an agent answers hours later
    fresh = configs.before("c1", _call("s1", "live"))
    assert fresh is not None
    username = fresh.ice_servers[-1]["username"]
    assert username.endswith(":s1-agent")
    assert int(username.split(":")[0]) > clock[0]
    assert configs.before("c1", _call("s1", "live")) is None  # same call: no new one
    assert configs.before("c1", _call("s1", "ended")) is None
    assert configs.before("c1", _call("s2", "live")) is not None  # the next call


def test_a_page_welcomed_into_its_call_has_that_calls_credential_at_once(tmp_path):
    settings = make_settings(tmp_path, turn_urls=["turn:t.example.com:3478"], turn_secret=SECRET)
    configs = RtcConfigs(settings, lambda: float(NOW))
    welcomed = configs.welcomed("c2", "buyer", "3", "s9")
    assert welcomed.ice_servers[-1]["username"].endswith(":s9-buyer")
    assert configs.before("c2", _call("s9", "live")) is None


def test_without_turn_no_second_rtc_config_is_sent(tmp_path):
    configs = RtcConfigs(make_settings(tmp_path), lambda: float(NOW))
    configs.welcomed("c1", "buyer", "3", None)
    assert configs.before("c1", _call("s1", "waiting")) is None


def test_relay_legs_get_their_own_credential_only_when_the_relay_uses_turn(tmp_path):
    turn = {"turn_urls": ["turn:t.example.com:3478"], "turn_secret": SECRET}
    assert RtcConfigs(make_settings(tmp_path, **turn), lambda: NOW).for_leg("s1", "buyer") is None
    on = RtcConfigs(make_settings(tmp_path, relay_uses_turn=True, **turn), lambda: NOW)
    [server] = on.for_leg("s1", "buyer")
    assert server["username"].endswith(":s1-buyer-relay")


def test_a_logged_server_url_keeps_only_scheme_host_port_and_transport():
    assert server_named("turn:127.0.0.1:3478?transport=udp") == "turn:127.0.0.1:3478?transport=udp"
    assert server_named("turns:turn.example.com:443?transport=tcp&x=1") == (
        "turns:turn.example.com:443?transport=tcp"
    )
    assert server_named("1767:user@turn.example.com") == "an unreadable URL"
