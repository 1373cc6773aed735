"""Vietnamese first: the user's choice, then Accept-Language, then Vietnamese; the compiled
catalogs are those of the committed .po files."""

from __future__ import annotations

import io

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from web.i18n import LOCALE_DIR, LOCALES, choose_locale


@pytest.mark.parametrize(
    ("chosen", "header", "expected"),
    [
        (None, None, "vi"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR,fr;q=0.9,en;q=0.5", "en"),
        (None, "fr-FR,de;q=0.9", "vi"),
        (None, "en;q=0.5,vi;q=0.8", "vi"),
        (None, "en;q=0", "vi"),
        ("vi", "en-US", "vi"),
        ("en", "vi-VN", "en"),
        ("xx", "en", "en"),
    ],
)
def test_which_language_a_page_speaks(
    chosen: str | None, header: str | None, expected: str
) -> None:
    assert choose_locale(chosen=chosen, accept_language=header) == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_is_the_po_files(locale: str) -> None:
    """After editing a .po: pybabel compile -d web/locale (the README says so)."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert (folder / "messages.mo").read_bytes() == compiled.getvalue()


def test_every_message_has_its_vietnamese() -> None:
    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="vi")
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        template = read_po(pot)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    assert {m.id for m in template if m.id} == {m.id for m in catalog if m.id}, (
        "run pybabel extract and update (README)"
    )
