"""A staff member's own page language and time zone (``PATCH /api/me``)."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import add_user, login


@pytest.fixture
def agent(app, client):
    add_user(app, "li@shop.test", "agent", "Li")
    return {"X-CSRF-Token": login(client, "li@shop.test")}


def test_a_staff_member_sets_their_language_and_time_zone_and_clears_the_time_zone(client, agent):
    assert client.get("/api/me").json()["locale"] == "en"
    changed = client.patch(
        "/api/me", json={"locale": "zh-CN", "timezone": "Asia/Shanghai"}, headers=agent
    )
    assert changed.status_code == 200
    assert (changed.json()["locale"], changed.json()["timezone"]) == ("zh-CN", "Asia/Shanghai")
    client.patch("/api/me", json={"timezone": None}, headers=agent)
    me = client.get("/api/me").json()
    assert (me["locale"], me["timezone"]) == ("zh-CN", None)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"locale": "de"}, "unknown_locale"),
        ({"locale": None}, "unknown_locale"),
        ({"timezone": "Asia/Atlantis"}, "unknown_timezone"),
        ({"timezone": "+08:00"}, "unknown_timezone"),
        ({"timezone": 8}, "validation_error"),
        ({"theme": "dark"}, "validation_error"),
    ],
)
def test_an_unknown_language_or_time_zone_is_refused_and_changes_nothing(client, agent, body, code):
    answer = client.patch("/api/me", json=body, headers=agent)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == code
    me = client.get("/api/me").json()
    assert (me["locale"], me["timezone"]) == ("en", None)


def test_changing_ones_preferences_needs_the_csrf_token(client, agent):
    assert client.patch("/api/me", json={"locale": "zh-CN"}).status_code == 403
    assert client.get("/api/me").json()["locale"] == "en"
