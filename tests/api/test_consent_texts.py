"""Consent texts: the buyer reads the newest version in their language; admins publish
new versions; the shipped texts are synced at start without touching old versions."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.app import create_app
from server.consent.texts import ConsentContent, list_versions, shipped_texts, sync_shipped
from signaling.vocabulary import Purpose
from tests.helpers.accounts import add_user, login
from tests.helpers.links import make_link

NEW_DE = {
    "purpose": "damage_verification",
    "locale": "de",
    "title": "Zeigen Sie uns den Schaden",
    "paragraphs": ["{shop} sieht sich Bestellung {order} mit Ihnen an.", "Es dauert kurz."],
    "recorded_note": "Der Anruf wird aufgezeichnet.",
}


@pytest.fixture
def admin(app, client):
    add_user(app, "root@shop.test", "admin", "Root")
    return {"X-CSRF-Token": login(client, "root@shop.test")}


def buyer_for(app, order_ref="ORD-7", locale=None, purpose="damage_verification") -> TestClient:
    _, url = make_link(app, order_ref, purpose, locale=locale)
    buyer = TestClient(app, base_url=app.state.settings.public_url)
    assert buyer.get(urlsplit(url).path, follow_redirects=False).status_code == 303
    return buyer


def test_the_buyer_context_is_in_the_links_language_with_the_consent_text_filled_in(app):
    buyer = buyer_for(app, "ORD-7", locale="de-AT")
    context = buyer.get("/api/buyer/context").json()
    assert context["locale"] == "de" and context["link_locale"] == "de-AT"
    assert context["dir"] == "ltr"
    assert {"code": "ar", "name": "العربية", "dir": "rtl"} in context["locales"]
    assert len(context["locales"]) == 14
    consent = context["consent"]
    shipped = shipped_texts()[(Purpose.DAMAGE_VERIFICATION, "de")]
    assert consent["locale"] == "de" and consent["version"] == 1
    assert consent["purpose"] == "damage_verification"
    assert consent["title"] == shipped.title
    assert consent["paragraphs"][0] == shipped.paragraphs[0].replace("{shop}", "Test Shop").replace(
        "{order}", "ORD-7"
    )
    assert consent["recorded_note"] == shipped.recorded_note


def test_the_pages_own_choice_wins_and_an_unknown_one_is_ignored(app):
    buyer = buyer_for(app, locale="de")
    chosen = buyer.get("/api/buyer/context", params={"locale": "ar"}).json()
    assert chosen["locale"] == "ar" and chosen["dir"] == "rtl"
    assert chosen["consent"]["locale"] == "ar"
    for unknown in ("tlh", "x" * 500, ""):
        ignored = buyer.get("/api/buyer/context", params={"locale": unknown})
        assert ignored.status_code == 200 and ignored.json()["locale"] == "de"


def test_without_a_link_locale_the_browsers_best_language_is_used_then_english(app):
    buyer = buyer_for(app, locale=None, purpose="product_demo")
    header = {"Accept-Language": "sv-SE,ja;q=0.9,en;q=0.8"}
    context = buyer.get("/api/buyer/context", headers=header).json()
    assert context["locale"] == "ja" and context["consent"]["locale"] == "ja"
    assert context["consent"]["purpose"] == "product_demo"
    plain = buyer.get("/api/buyer/context", headers={"Accept-Language": "sv"}).json()
    assert plain["locale"] == "en" and plain["link_locale"] is None


def test_publishing_a_text_makes_the_next_version_and_keeps_the_old_one(app, client, admin):
    before = client.get("/api/consent-texts", params={"locale": "de"}).json()["items"]
    assert [(t["purpose"], t["version"]) for t in before] == [
        ("damage_verification", 1),
        ("product_demo", 1),
        ("remote_inspection", 1),
    ]
    made = client.post("/api/consent-texts", json=NEW_DE, headers=admin)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["version"] == 2 and body["source"] == "admin"
    assert (
        body["sha256"]
        == ConsentContent.model_validate(
            {k: NEW_DE[k] for k in ("title", "paragraphs", "recorded_note")}
        ).sha256()
    )
    versions = client.get(
        "/api/consent-texts", params={"locale": "de", "purpose": "damage_verification"}
    ).json()["items"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["title"] == shipped_texts()[(Purpose.DAMAGE_VERIFICATION, "de")].title
    context = buyer_for(app, locale="de").get("/api/buyer/context").json()
    assert context["consent"]["version"] == 2
    assert (
        context["consent"]["paragraphs"][0] == "Test Shop sieht sich Bestellung ORD-7 mit Ihnen an."
    )
    audit = client.get("/api/audit", params={"action": "consent_text_published"})
    assert audit.status_code == 200 and len(audit.json()["items"]) == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"locale": "sv"}, "unknown_locale"),
        ({"title": "Hi {name}"}, "validation_error"),
        ({"paragraphs": []}, "validation_error"),
        ({"paragraphs": ["x" * 1001]}, "validation_error"),
        ({"recorded_note": "  "}, "validation_error"),
        ({"purpose": "haircut"}, "validation_error"),
        ({"version": 7}, "validation_error"),
    ],
)
def test_a_bad_consent_text_is_refused_and_stores_nothing(client, admin, change, code):
    answer = client.post("/api/consent-texts", json={**NEW_DE, **change}, headers=admin)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == code
    assert len(client.get("/api/consent-texts").json()["items"]) == 42


def test_only_admins_read_and_publish_consent_texts(app, client):
    add_user(app, "sue@shop.test", "supervisor", "Sue")
    headers = {"X-CSRF-Token": login(client, "sue@shop.test")}
    assert client.get("/api/consent-texts").status_code == 403
    assert client.post("/api/consent-texts", json=NEW_DE, headers=headers).status_code == 403


def test_a_changed_shipped_text_becomes_a_new_version_at_start_and_an_identical_one_does_not(
    app, settings, clock
):
    with Session(app.state.engine) as db:
        assert sync_shipped(db, clock.now()) == []  # synced by create_app already
        changed = dict(shipped_texts())
        key = (Purpose.REMOTE_INSPECTION, "fr")
        changed[key] = changed[key].model_copy(update={"title": "Vérifiez avant l'envoi"})
        added = sync_shipped(db, clock.now(), changed)
        assert [(a.purpose, a.locale, a.version, a.source) for a in added] == [
            (Purpose.REMOTE_INSPECTION, "fr", 2, "shipped")
        ]
        assert sync_shipped(db, clock.now(), changed) == []
    create_app(settings, clock=clock)  # a start with the real shipped texts: back to them
    with Session(app.state.engine) as db:
        versions = list_versions(db, Purpose.REMOTE_INSPECTION, "fr")
        assert [v.version for v in versions] == [1, 2, 3]
        assert versions[0].sha256 == versions[2].sha256 != versions[1].sha256


def test_a_text_an_admin_published_is_not_replaced_by_the_shipped_one_at_start(
    app, client, admin, settings, clock
):
    assert client.post("/api/consent-texts", json=NEW_DE, headers=admin).status_code == 201
    create_app(settings, clock=clock)
    versions = client.get(
        "/api/consent-texts", params={"locale": "de", "purpose": "damage_verification"}
    ).json()["items"]
    assert [(v["version"], v["source"]) for v in versions] == [(1, "shipped"), (2, "admin")]
