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
import re
from pathlib import Path

import pytest

from server.api import buyer_words
from signaling.locales import BUYER_LOCALES, DEFAULT_LOCALE
from signaling.vocabulary import CallState, EndReason, Purpose
from tests.unit.test_buyer_codes import documented

WEB = Path(__file__).resolve().parents[2] / "web"
I18N = WEB / "i18n"
BUYER_FILES = [WEB / "buyer.html", WEB / "js" / "buyer.js", WEB / "js" / "callmedia.js"]
CATEGORIES = ("zero", "one", "two", "few", "many", "other")
# what Intl.PluralRules(locale).resolvedOptions().pluralCategories answers (CLDR)
PLURAL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "en": ("one", "other"),
    "de": ("one", "other"),
    "fr": ("one", "many", "other"),
    "es": ("one", "many", "other"),
    "it": ("one", "many", "other"),
    "nl": ("one", "other"),
    "pl": ("one", "few", "many", "other"),
    "pt-BR": ("one", "many", "other"),
    "tr": ("one", "other"),
    "ar": ("zero", "one", "two", "few", "many", "other"),
    "ja": ("other",),
    "ko": ("other",),
    "zh-CN": ("other",),
    "zh-TW": ("other",),
}
# ended calls with a screen of their own (declined, left the line) need no reason sentence
OWN_SCREEN_REASONS = {EndReason.BUYER_DECLINED, EndReason.BUYER_LEFT_QUEUE}
SAME_IN_MANY_LANGUAGES_WORDS = 2  # "Zoom {zoom}×", "Live", "Chat": a text this short may stay
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# t("key"), tNodes("key"), say("key"), photoNotice("key"), words("key"): keys the page asks for
ASKED = re.compile(r"\b(?:t|tNodes|say|photoNotice|words)\(\s*\"([a-z][\w.-]*)\"")
LITERAL = re.compile(r"[\"'`]([a-z][a-z_]*(?:\.[a-z0-9_-]+)+)[\"'`]")
DATA_I18N = re.compile(r'data-i18n="([^"]+)"')
DATA_I18N_ATTR = re.compile(r'data-i18n-attr="([^"]+)"')


def read_catalogues() -> dict[str, dict[str, str]]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(I18N.glob("*.json"))
        if path.stem != "locales"
    }


def plural_bases(english: dict[str, str]) -> set[str]:
    """The keys English has in plural forms (``key.one`` and ``key.other``)."""
    return {key[: -len(".one")] for key in english if key.endswith(".one")} & {
        key[: -len(".other")] for key in english if key.endswith(".other")
    }


def plural_base(key: str, bases: set[str]) -> str | None:
    head, _, tail = key.rpartition(".")
    return head if tail in CATEGORIES and head in bases else None


def buyer_sources() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in BUYER_FILES)


def built_keys() -> set[str]:
    """The keys the page builds from what the server sends or what the browser is."""
    codes = documented("HTTP code") | documented("signaling `error` code")
    media = (WEB / "js" / "media.js").read_text(encoding="utf-8")
    buyer = (WEB / "js" / "buyer.js").read_text(encoding="utf-8")
    family = buyer.split("function browserFamily", 1)[1].split("\n}\n", 1)[0]
    return (
        {f"error.{code}" for code in codes}
        | {
            f"ended.reason.{reason.value}"
            for reason in EndReason
            if reason not in OWN_SCREEN_REASONS
        }
        | {f"state.{state.value}" for state in CallState}
        | {f"purpose.{purpose.value}" for purpose in Purpose}
        | {f"device.{error}" for error in re.findall(r'error: "([\w-]+)"', media)}
        | {f"camera.help.{name}" for name in re.findall(r'return "(\w+)"', family)}
    )


def used_keys() -> set[str]:
    """Every key the buyer's pages name, literally or built from a registry."""
    source = buyer_sources()
    used = set(LITERAL.findall(source)) | set(DATA_I18N.findall(source)) | built_keys()
    for pairs in DATA_I18N_ATTR.findall(source):
        used |= {pair.split(":")[1].strip() for pair in pairs.split(";") if ":" in pair}
    return used


def catalogue_problems(catalogues: dict[str, dict[str, str]], used: set[str]) -> list[str]:
    """Everything wrong with ``catalogues`` (locale -> key -> text) for a page that uses
    ``used``; empty when they are complete."""
    problems = []
    english = catalogues.get(DEFAULT_LOCALE, {})
    codes = [loc.code for loc in BUYER_LOCALES]
    if sorted(catalogues) != sorted(codes):
        problems.append(f"catalogues {sorted(catalogues)} are not the buyer locales {codes}")
    plurals = plural_bases(english)
    singles = {key for key in english if plural_base(key, plurals) is None}
    for code, table in catalogues.items():
        wanted = singles | {f"{b}.{c}" for b in plurals for c in PLURAL_CATEGORIES.get(code, ())}
        problems += [f"{code}: missing {key}" for key in sorted(wanted - set(table))]
        problems += [f"{code}: extra {key}" for key in sorted(set(table) - wanted)]
        for key, text in table.items():
            if not text.strip():
                problems.append(f"{code}: {key} is empty")
            base = plural_base(key, plurals)
            model = english.get(f"{base}.other" if base else key)
            if model is None:
                continue
            have, need = set(PLACEHOLDER.findall(text)), set(PLACEHOLDER.findall(model))
            # a plural form may leave out the count ("one day", Arabic's "two days")
            if not (
                need - {"count"} <= have <= need
                if base and key != f"{base}.other"
                else have == need
            ):
                problems.append(f"{code}: {key} has {sorted(have)}, English {sorted(need)}")
            if code != DEFAULT_LOCALE and text == english.get(key):
                if len(text.split()) > SAME_IN_MANY_LANGUAGES_WORDS:
                    problems.append(f"{code}: {key} is still English")
    for key in sorted(set(english) - {f"{b}.{c}" for b in plurals for c in CATEGORIES}):
        if key not in used:
            problems.append(f"en: {key} is not used by the buyer's pages")
    for base in sorted(plurals):
        if base not in used:
            problems.append(f"en: {base}.* is not used by the buyer's pages")
    return problems


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
    codes = documented("HTTP code") | documented("signaling `error` code")
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
