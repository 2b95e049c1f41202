"""Choosing the buyer's language, and the shipped texts in every buyer language."""

from __future__ import annotations

import pytest

from server.consent.texts import PLACEHOLDERS, ConsentContent, shipped_texts
from server.phrases.phrases import shipped_phrases
from signaling.locales import (
    BUYER_LOCALE_CODES,
    BUYER_LOCALES,
    STAFF_LOCALE_CODES,
    best_match,
    choose_buyer_locale,
    direction,
    parse_accept_language,
    staff_locale,
    text_for,
)
from signaling.vocabulary import Purpose

REQUIRED = [
    "en", "de", "fr", "es", "it", "nl", "pl", "pt-BR", "tr", "ar", "ja", "ko", "zh-CN", "zh-TW",
]  # fmt: skip


def test_the_buyer_page_speaks_the_fourteen_languages_of_the_issue_with_arabic_right_to_left():
    assert [loc.code for loc in BUYER_LOCALES] == REQUIRED
    assert [loc.code for loc in BUYER_LOCALES if loc.dir == "rtl"] == ["ar"]
    assert direction("ar") == "rtl" and direction("de") == "ltr"
    assert STAFF_LOCALE_CODES == {"en", "zh-CN"}


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("de", "de"),
        ("DE", "de"),
        ("de-AT", "de"),
        ("de_CH", "de"),
        ("pt", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("pt-br", "pt-BR"),
        ("zh", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh-SG", "zh-CN"),
        ("zh-Hant", "zh-TW"),
        ("zh-HK", "zh-TW"),
        ("zh-Hant-HK", "zh-TW"),
        ("zh-MO", "zh-TW"),
        ("en-GB", "en"),
        ("ar-SA", "ar"),
        ("ja-JP", "ja"),
        ("sv", None),
        ("*", None),
        ("", None),
        (None, None),
        ("12-34", None),
    ],
)
def test_a_language_tag_matches_the_buyer_locale_of_its_family(tag, expected):
    assert best_match(tag) == expected


def test_accept_language_is_ranked_by_q_value_then_by_order():
    header = "fr;q=0.5, sv, de-AT;q=0.9, ja;q=0, en;q=0.9, x;q=abc"
    assert parse_accept_language(header) == ["sv", "de-AT", "en", "fr"]
    assert parse_accept_language(None) == [] and parse_accept_language(",,;") == []


def test_the_buyers_language_is_the_pages_choice_then_the_links_then_the_browsers_then_english():
    browser = "sv-SE, ja;q=0.8, en;q=0.5"
    assert choose_buyer_locale("tr", "de-AT", browser) == "tr"
    assert choose_buyer_locale("klingon", "de-AT", browser) == "de"
    assert choose_buyer_locale(None, None, browser) == "ja"
    assert choose_buyer_locale(None, "xx", "sv, fi") == "en"
    assert choose_buyer_locale(None, None, None) == "en"


def test_staff_pages_fall_back_to_english_and_texts_to_the_english_one():
    assert staff_locale("zh-CN") == "zh-CN" and staff_locale("de") == "en"
    assert staff_locale(None) == "en"
    texts = {"en": "Hello", "de": "Hallo"}
    assert text_for(texts, "de") == "Hallo"
    assert text_for(texts, "ja") == "Hello" and text_for(texts, None) == "Hello"


def test_every_purpose_has_a_shipped_consent_text_in_every_buyer_locale():
    texts = shipped_texts()
    assert set(texts) == {(p, loc) for p in Purpose for loc in BUYER_LOCALE_CODES}
    for (purpose, locale), content in texts.items():
        ConsentContent.model_validate(content.model_dump())  # valid as an admin's would be
        joined = " ".join([content.title, *content.paragraphs, content.recorded_note])
        assert "{shop}" in joined and "{order}" in joined, (purpose, locale)
        if locale != "en":  # translated, not English copied
            english = texts[(purpose, "en")]
            assert content.title != english.title, (purpose, locale)
            assert content.paragraphs != english.paragraphs, (purpose, locale)
            assert content.recorded_note != english.recorded_note, (purpose, locale)


def test_every_shipped_quick_phrase_is_translated_into_every_buyer_locale():
    phrases = shipped_phrases()
    english = [p["en"] for p in phrases]
    for wanted in (
        "Please turn the box over.",
        "Show me the shipping label.",
        "Move a little closer.",
        "Please turn on the light.",
        "Hold still for a photo.",
        "Show me the serial number or model label.",
        "Please show the inside of the box.",
        "Can you hear me?",
    ):
        assert wanted in english
    for phrase in phrases:
        assert set(phrase) == BUYER_LOCALE_CODES | STAFF_LOCALE_CODES
        others = [text for code, text in phrase.items() if code != "en"]
        assert phrase["en"] not in others and all(0 < len(t) <= 200 for t in phrase.values())


@pytest.mark.parametrize("bad", ["{name} will call", "{shop} {0}", "{ shop }"])
def test_a_consent_text_may_only_use_the_shop_and_order_placeholders(bad):
    assert PLACEHOLDERS == {"shop", "order"}
    with pytest.raises(ValueError, match="unknown placeholder"):
        ConsentContent(title=bad, paragraphs=["x"], recorded_note="Recorded.")
