"""The buyer page's message catalogues (``web/i18n/<locale>.json``): one per buyer locale,
each with every key of English and no other, the plural forms its language needs
(``Intl.PluralRules`` categories; Chromium's own answer is checked in the e2e tests),
the same placeholders as English, no empty text, nothing left in English; every key used
by the buyer's pages, and every code the server can send the buyer with a sentence.

The keys the page builds from a code (``error.<code>``, ``ended.reason.<reason>``,
``state.<state>``, ``purpose.<purpose>``) are derived from the server's own registries:
PROTOCOL.md's buyer tables (held to the code by test_buyer_codes.py) and the vocabulary's
enums."""

from __future__ import annotations

import copy
import json

import pytest

from server.api import buyer_words
from signaling.locales import BUYER_LOCALES
from tests.helpers.buyer_codes import buyer_error_codes
from tests.helpers.catalogues import (
    ASKED,
    DATA_I18N,
    I18N,
    LITERAL,
    WEB,
    buyer_sources,
    catalogue_problems,
    read_catalogues,
    used_keys,
)


def test_every_catalogue_has_every_key_in_each_plural_form_its_language_needs():
    assert catalogue_problems(read_catalogues(), used_keys()) == []


def test_every_key_the_page_asks_for_is_in_the_english_catalogue():
    english = read_catalogues()["en"]
    asked = set(ASKED.findall(buyer_sources())) | set(DATA_I18N.findall(buyer_sources()))
    pseudo = {"problem.devices", "problem.camera"}  # composed by the page from other keys
    missing = [
        key
        for key in sorted(asked - pseudo)
        if key not in english and f"{key}.other" not in english
    ]
    assert missing == []


def test_every_code_the_server_can_send_the_buyer_has_a_sentence_and_so_has_an_unknown_one():
    english = read_catalogues()["en"]
    codes = buyer_error_codes()
    assert {code for code in codes if f"error.{code}" not in english} == set()
    assert "error.unknown" in english and "error.unknown" in LITERAL.findall(buyer_sources())


def test_the_page_never_shows_the_servers_own_sentence():
    buyer = (WEB / "js" / "buyer.js").read_text(encoding="utf-8")
    assert "message.message" not in buyer and ".message)" not in buyer


def test_the_locale_list_the_page_holds_without_a_call_is_the_servers():
    shipped = json.loads((I18N / "locales.json").read_text(encoding="utf-8"))
    assert shipped == [{"code": x.code, "name": x.name, "dir": x.dir} for x in BUYER_LOCALES]


@pytest.mark.parametrize(
    ("break_it", "found"),
    [
        (lambda c: c["de"].pop("consent.accept"), "de: missing consent.accept"),
        (lambda c: c["pl"].pop("waiting.wait_minutes.few"), "pl: missing waiting.wait_minutes.few"),
        (lambda c: c["ja"].update({"ended.next.one": "x {count}"}), "ja: extra ended.next.one"),
        (
            lambda c: c["fr"].update({"live.heading": "Appel vidéo avec {nom}"}),
            "fr: live.heading has ['nom'], English ['name']",
        ),
        (lambda c: c["it"].update({"live.end": " "}), "it: live.end is empty"),
        (
            lambda c: c["tr"].update({"end.text": c["en"]["end.text"]}),
            "tr: end.text is still English",
        ),
        (lambda c: c["en"].update({"live.unheard": "Never shown"}), "en: live.unheard is not used"),
        (lambda c: c.pop("ko"), "are not the buyer locales"),
    ],
)
def test_the_check_fails_on_a_broken_catalogue(break_it, found):
    catalogues = copy.deepcopy(read_catalogues())
    break_it(catalogues)
    problems = catalogue_problems(catalogues, used_keys())
    assert any(found in problem for problem in problems), problems


def test_the_servers_error_page_falls_back_to_english_for_a_key_a_catalogue_lacks(monkeypatch):
    lacking = dict(buyer_words.catalogue("de"))
    del lacking["invalid.text"]
    real = buyer_words.catalogue
    monkeypatch.setattr(
        buyer_words, "catalogue", lambda code: lacking if code == "de" else real(code)
    )
    said = buyer_words.error_words("link_not_found", "de-DE,de;q=0.9")
    assert (said.locale, said.dir) == ("de", "ltr")
    assert said.title == real("de")["invalid.title"]
    assert said.text == real("en")["invalid.text"]
    arabic = buyer_words.error_words("no_such_code", "ar")
    assert (arabic.dir, arabic.title) == ("rtl", real("ar")["error.unknown"])
