"""The buyer page's message catalogues (``web/i18n/<locale>.json``) and what is wrong
with them: :func:`catalogue_problems` is the check the suite runs (every locale has every
key of English in the plural forms its language needs, the same placeholders, no empty or
untranslated text, nothing unused by the buyer's pages). The keys the page builds from a
code are derived from the server's registries (PROTOCOL.md's buyer tables, the
vocabulary's enums), never listed here."""

from __future__ import annotations

import json
import re
from pathlib import Path

from signaling.locales import BUYER_LOCALES, DEFAULT_LOCALE
from signaling.vocabulary import CallState, EndReason, Purpose
from tests.helpers.buyer_codes import buyer_error_codes

WEB = Path(__file__).resolve().parents[2] / "web"
I18N = WEB / "i18n"
BUYER_FILES = [
    WEB / "buyer.html",
    WEB / "js" / "buyer.js",
    WEB / "js" / "callmedia.js",
    WEB / "js" / "support_notice.js",
    WEB / "js" / "async_record.js",
    WEB / "js" / "buyer_agent_camera.js",
    WEB / "js" / "product_card.js",
    WEB / "js" / "buyer_inspection.js",
    WEB / "js" / "case_invite.js",
]
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
    """Every catalogue, by locale."""
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
    """The buyer page's markup and scripts, where its keys are named."""
    return "\n".join(path.read_text(encoding="utf-8") for path in BUYER_FILES)


def built_keys() -> set[str]:
    """The keys the page builds from what the server sends or what the browser is."""
    codes = buyer_error_codes()
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


def catalogue(code: str) -> dict[str, str]:
    """The catalogue of buyer locale ``code``."""
    return json.loads((I18N / f"{code}.json").read_text(encoding="utf-8"))
