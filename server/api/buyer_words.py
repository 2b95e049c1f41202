"""The buyer's words on the pages the server renders itself (the error page of
``/j/<token>``): the buyer page's own catalogues (``web/i18n/<locale>.json``), in the
browser's language (``Accept-Language``, best match, else English).

One catalogue per buyer locale, read once; a key a catalogue lacks is English."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from signaling.locales import BUYER_LOCALES, DEFAULT_LOCALE, choose_buyer_locale, direction

CATALOGUES = Path(__file__).resolve().parents[2] / "web" / "i18n"
BUYER_PATHS = ("/j/", "/call")  # the buyer's pages: their errors speak the buyer's language


@cache
def catalogue(code: str) -> dict[str, str]:
    """The catalogue of buyer locale ``code`` (flat keys to sentences)."""
    return json.loads((CATALOGUES / f"{code}.json").read_text(encoding="utf-8"))


def word(code: str, key: str) -> str:
    """``key`` in ``code``'s catalogue, else in English."""
    found = catalogue(code).get(key)
    return found if found is not None else catalogue(DEFAULT_LOCALE)[key]


@dataclass(frozen=True)
class ErrorWords:
    """What a buyer's error page says: in which language and direction, a heading and,
    for an invalid link, a sentence on what to do."""

    locale: str
    dir: str
    title: str
    text: str | None


def error_words(code: str, accept_language: str | None, chosen: str | None = None) -> ErrorWords:
    """The buyer's error page for error ``code`` in the buyer's ``chosen`` language (its
    switch), else the browser's: an invalid link gets the page's own invalid-link words,
    another code its ``error.<code>`` sentence, an unknown code the general one."""
    locale = choose_buyer_locale(chosen, None, accept_language)
    if code == "link_not_found":
        return ErrorWords(
            locale, direction(locale), word(locale, "invalid.title"), word(locale, "invalid.text")
        )
    key = f"error.{code}" if f"error.{code}" in catalogue(DEFAULT_LOCALE) else "error.unknown"
    return ErrorWords(locale, direction(locale), word(locale, key), None)


def language_links(current: str) -> str:
    """The page's language switch as HTML: one link per buyer locale, each named in its
    own language and carrying ``data-locale``; the current one marked."""
    from html import escape

    links = "".join(
        f'<a href="?locale={escape(loc.code)}" data-locale="{escape(loc.code)}" '
        f'lang="{escape(loc.code)}" dir="{loc.dir}"'
        f"{' aria-current=true' if loc.code == current else ''}>{escape(loc.name)}</a> "
        for loc in BUYER_LOCALES
    )
    return f'<nav class="language-links" data-testid="language-switch">{links}</nav>'
