"""Languages: which locales the buyer's page and the staff pages speak, and which one a
buyer gets.

Pure data and functions (no I/O). Codes are BCP 47 exactly as listed in
:data:`BUYER_LOCALES`; matching is case-insensitive and by language family
(``pt`` -> ``pt-BR``, ``de-AT`` -> ``de``, ``zh-Hant``/``zh-HK`` -> ``zh-TW``).

:func:`choose_buyer_locale` is the rule: the page's explicit choice (if supported) >
the link's locale (best match) > the browser's ``Accept-Language`` (best match, q-values
honoured) > ``en``.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Literal

Direction = Literal["ltr", "rtl"]
DEFAULT_LOCALE = "en"
MAX_ACCEPT_LANGUAGE_CHARS = 1000  # a browser sends well under 200; longer headers are cut
MAX_ACCEPT_LANGUAGE_ITEMS = 32


@dataclass(frozen=True)
class Locale:
    """A language a page speaks: its code, its name in itself, its writing direction."""

    code: str
    name: str
    dir: Direction = "ltr"


BUYER_LOCALES: tuple[Locale, ...] = (
    Locale("en", "English"),
    Locale("de", "Deutsch"),
    Locale("fr", "Français"),
    Locale("es", "Español"),
    Locale("it", "Italiano"),
    Locale("nl", "Nederlands"),
    Locale("pl", "Polski"),
    Locale("pt-BR", "Português (Brasil)"),
    Locale("tr", "Türkçe"),
    Locale("ar", "العربية", "rtl"),
    Locale("ja", "日本語"),
    Locale("ko", "한국어"),
    Locale("zh-CN", "简体中文"),
    Locale("zh-TW", "繁體中文"),
)
"""Every language of the buyer's page, English first."""

STAFF_LOCALES: tuple[Locale, ...] = (Locale("en", "English"), Locale("zh-CN", "简体中文"))
"""Every language of the staff pages (console, review, admin)."""

BUYER_LOCALE_CODES: frozenset[str] = frozenset(loc.code for loc in BUYER_LOCALES)
STAFF_LOCALE_CODES: frozenset[str] = frozenset(loc.code for loc in STAFF_LOCALES)
ALL_LOCALE_CODES: frozenset[str] = BUYER_LOCALE_CODES | STAFF_LOCALE_CODES

IANA_TIMEZONES: frozenset[str] = frozenset(zoneinfo.available_timezones())
"""Every IANA time zone name this machine knows (``zoneinfo.available_timezones()``)."""

# Chinese is told apart by script, then by region: Traditional in Taiwan, Hong Kong, Macau
_TRADITIONAL_CHINESE = frozenset({"hant", "tw", "hk", "mo"})


def direction(code: str) -> Direction:
    """``rtl`` for a right-to-left buyer locale (Arabic), else ``ltr``."""
    for loc in BUYER_LOCALES:
        if loc.code == code:
            return loc.dir
    return "ltr"


def best_match(tag: str | None, supported: frozenset[str] = BUYER_LOCALE_CODES) -> str | None:
    """The supported code ``tag`` stands for, or None.

    An exact match (any case) wins; else the language family decides: ``zh`` with
    ``Hant``, ``TW``, ``HK`` or ``MO`` is ``zh-TW`` and any other ``zh`` ``zh-CN``; any
    other language maps to its only supported code (``pt-PT`` -> ``pt-BR``, ``de-CH`` ->
    ``de``). ``*``, empty and malformed tags match nothing.
    """
    if not tag:
        return None
    wanted = tag.strip().replace("_", "-").lower()
    by_lower = {code.lower(): code for code in supported}
    if wanted in by_lower:
        return by_lower[wanted]
    parts = wanted.split("-")
    language = parts[0]
    if not language.isalpha() or not 2 <= len(language) <= 3:
        return None
    if language == "zh":
        code = "zh-TW" if _TRADITIONAL_CHINESE & set(parts[1:]) else "zh-CN"
        return code if code in supported else None
    family = [code for code in supported if code.lower().split("-")[0] == language]
    return family[0] if len(family) == 1 else None


def parse_accept_language(header: str | None) -> list[str]:
    """The language tags of an ``Accept-Language`` header, best first (by q-value, ties
    in header order); ``q=0`` and malformed entries are left out."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    items = header[:MAX_ACCEPT_LANGUAGE_CHARS].split(",")[:MAX_ACCEPT_LANGUAGE_ITEMS]
    for index, item in enumerate(items):
        tag, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = -1.0
        if tag and 0 < quality <= 1:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def choose_buyer_locale(
    explicit: str | None, link_locale: str | None, accept_language: str | None
) -> str:
    """The buyer's language: the best match of ``explicit`` (the page's own choice),
    else of ``link_locale``, else of the browser's languages in ``accept_language``
    order, else :data:`DEFAULT_LOCALE`. Unsupported values are passed over, never refused."""
    for tag in (explicit, link_locale):
        found = best_match(tag)
        if found is not None:
            return found
    for tag in parse_accept_language(accept_language):
        found = best_match(tag)
        if found is not None:
            return found
    return DEFAULT_LOCALE


def staff_locale(code: str | None) -> str:
    """A staff user's page language: ``code`` when the staff pages speak it, else ``en``."""
    return code if code in STAFF_LOCALE_CODES else DEFAULT_LOCALE


def text_for(texts: dict[str, str], code: str | None) -> str:
    """The text of ``texts`` (locale -> text) in ``code``, else in English, else ``""``."""
    if code and texts.get(code):
        return texts[code]
    return texts.get(DEFAULT_LOCALE, "")
