"""Which language a page speaks, and its gettext catalog (web/locale, made with pybabel).

Vietnamese first: the user's own choice (a cookie) wins, then the browser's
Accept-Language, then Vietnamese."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

# The catalog of the page being rendered; templates and web code read it through gettext.
_current: ContextVar[NullTranslations] = ContextVar("loaxa_web_translations")


@cache
def translations(locale: str) -> NullTranslations:
    found = Translations.load(str(LOCALE_DIR), [locale], domain=DOMAIN)
    return found


def choose_locale(*, chosen: str | None, accept_language: str | None) -> str:
    if chosen in LOCALES:
        return chosen
    for tag in _preferred(accept_language or ""):
        primary = tag.split("-")[0].lower()
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def _preferred(header: str) -> list[str]:
    """The header's language tags, most wanted first (q=0 means "not this one")."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def use(locale: str) -> None:
    _current.set(translations(locale))


def gettext(message: str) -> str:
    return _current.get(translations(DEFAULT_LOCALE)).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get(translations(DEFAULT_LOCALE)).ngettext(singular, plural, n)
