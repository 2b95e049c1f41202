"""Link tokens are replaced in anything logged."""

from __future__ import annotations

import logging

import pytest

from server.infra.log_redaction import RedactLinkTokens, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"GET /j/abcDEF_-123 HTTP/1.1" 303', '"GET /j/[redacted] HTTP/1.1" 303'),
        ("GET /j/a%2Fb/c?x=1", "GET /j/[redacted]?x=1"),
        ("GET /j/a/b HTTP/1.1", "GET /j/[redacted] HTTP/1.1"),
        ("GET /api/links", "GET /api/links"),
    ],
)
def test_link_paths_are_redacted_up_to_the_query(text, expected):
    assert redact(text) == expected


def test_the_filter_redacts_message_arguments():
    record = logging.LogRecord("x", logging.INFO, "f", 1, "%s - %s", ("1.2.3.4", "/j/tok"), None)
    RedactLinkTokens().filter(record)
    assert record.getMessage() == "1.2.3.4 - /j/[redacted]"


def test_sdp_ice_passwords_are_redacted():
    sdp = "v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:s3cretPassw0rdValue\r\n"
    assert "s3cretPassw0rdValue" not in redact(sdp)
    assert "a=ice-pwd:[redacted]" in redact(sdp)


def test_showdesk_module_loggers_redact_too(caplog):
    import server.app  # noqa: F401  (creates the module loggers)
    from server.infra.log_redaction import install

    install()
    with caplog.at_level(logging.INFO):
        logging.getLogger("showdesk.calls").info("opened %s", "/j/secret-token")
    assert "secret-token" not in caplog.text and "/j/[redacted]" in caplog.text


def test_turn_usernames_are_redacted_even_inside_a_logged_stun_message():
    from aioice import stun

    message = stun.Message(stun.Method.ALLOCATE, stun.Class.REQUEST)
    message.attributes["USERNAME"] = "1767225600:9f3c1a0e-buyer-relay"
    record = logging.LogRecord(
        "aioice.turn",
        logging.DEBUG,
        "f",
        1,
        "%s > %s %s",
        ("proto", ("127.0.0.1", 3478), message),
        None,
    )
    RedactLinkTokens().filter(record)
    text = record.getMessage()
    assert "9f3c1a0e-buyer-relay" not in text
    assert "1767225600:[redacted]" in text and "127.0.0.1" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("redis://:hunter2@redis:6379/0", "redis://:[redacted]@redis:6379/0"),
        ("at rediss://sd:s3cr%40t@10.0.0.9/1", "at rediss://sd:[redacted]@10.0.0.9/1"),
        ("redis://redis.internal:6379/0", "redis://redis.internal:6379/0"),
    ],
)
def test_a_redis_urls_password_is_redacted(text, expected):
    assert redact(text) == expected
