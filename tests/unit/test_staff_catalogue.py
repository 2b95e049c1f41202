"""The staff pages' catalogues (web/i18n/staff/): English and Simplified Chinese hold the
same keys with the same placeholders; every key the staff pages use is in them and every
key in them is used; the Chinese is Chinese, not English left in place."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from signaling.vocabulary import vocabulary

WEB = Path(__file__).resolve().parents[2] / "web"
CATALOGUES = {code: WEB / "i18n" / "staff" / f"{code}.json" for code in ("en", "zh-CN")}
STAFF_PAGES = (
    "console.html",
    "review.html",
    "admin.html",
    "login.html",
    "analytics.html",
    "qa.html",
    "camera.html",
)
# the buyer page has its own catalogue (web/i18n/)
BUYER_ONLY = {
    "buyer.js",
    "i18n.js",
    "support_notice.js",
    "async_record.js",
    "buyer_agent_camera.js",
    "buyer_inspection.js",
    "case_invite.js",
}
MECHANISM = {"staff_i18n.js"}  # the catalogue reader itself: its comments name no keys
PLURALS = (".zero", ".one", ".two", ".few", ".many", ".other")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
CALLED = re.compile(r"""\bt\(\s*["']([\w.]+)["']""")  # t("console.accept", ...)
DATA_T = re.compile(r"""data-t="([\w.]+)\"""")
DATA_T_ATTR = re.compile(r"""data-t-attr="([^"]+)\"""")
QUOTED = re.compile(r"""["']([a-z_]+(?:\.[a-z_]+)+)["']""")
CJK = re.compile(r"[\u4e00-\u9fff]")
VOCABULARY_PREFIX = "vocab."  # vocab.<list>.<code>: the labels of GET /api/vocabulary


def catalogue(code: str) -> dict[str, str]:
    return json.loads(CATALOGUES[code].read_text(encoding="utf-8"))


def staff_sources() -> dict[str, str]:
    """Every file of the staff pages: their HTML and every module but the buyer's own."""
    files = [WEB / name for name in STAFF_PAGES]
    files += [p for p in sorted((WEB / "js").glob("*.js")) if p.name not in BUYER_ONLY | MECHANISM]
    return {p.name: p.read_text(encoding="utf-8") for p in files}


def base_key(key: str) -> str:
    """``console.hint.available.one`` -> ``console.hint.available`` (a plural variant)."""
    for suffix in PLURALS:
        if key.endswith(suffix):
            return key.removesuffix(suffix)
    return key


def keys_asked_for() -> dict[str, set[str]]:
    """Key -> the files that ask for it by t("...") or data-t / data-t-attr."""
    found: dict[str, set[str]] = {}
    for name, text in staff_sources().items():
        keys = set(CALLED.findall(text)) | set(DATA_T.findall(text))
        for pairs in DATA_T_ATTR.findall(text):
            keys |= {pair.split(":")[1].strip() for pair in pairs.split(";") if ":" in pair}
        for key in keys:
            found.setdefault(key, set()).add(name)
    return found


def test_both_catalogues_hold_the_same_keys_and_placeholders() -> None:
    english, chinese = catalogue("en"), catalogue("zh-CN")
    assert sorted(set(english) ^ set(chinese)) == []
    for key, text in english.items():
        assert text.strip() and chinese[key].strip(), key
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(chinese[key])), key


def test_every_key_the_staff_pages_ask_for_is_in_the_catalogue() -> None:
    english = catalogue("en")
    known = set(english) | {base_key(k) for k in english}
    missing = {key: sorted(files) for key, files in keys_asked_for().items() if key not in known}
    assert missing == {}


def test_every_key_of_the_catalogue_is_used_by_a_staff_page() -> None:
    quoted: set[str] = set(keys_asked_for())
    for text in staff_sources().values():
        quoted |= set(QUOTED.findall(text))
    unused = sorted(
        k
        for k in catalogue("en")
        if base_key(k) not in quoted and not k.startswith(VOCABULARY_PREFIX)
    )
    assert unused == []


def test_the_vocabulary_labels_are_translated_one_for_one_and_english_is_the_servers() -> None:
    english = catalogue("en")
    labels = {
        f"{VOCABULARY_PREFIX}{name}.{term['code']}": term["label"]
        for name, terms in vocabulary().items()
        for term in terms
    }
    held = {k: v for k, v in english.items() if k.startswith(VOCABULARY_PREFIX)}
    assert held == labels


@pytest.mark.parametrize("key", sorted(catalogue("en")))
def test_the_chinese_catalogue_is_chinese(key: str) -> None:
    english = catalogue("en")[key]
    words = PLACEHOLDER.sub("", english)
    if not re.search(r"[A-Za-z]{2}", words.replace("Showdesk", "")):
        return  # nothing to translate: placeholders, figures, signs
    assert CJK.search(catalogue("zh-CN")[key]), (key, catalogue("zh-CN")[key])
