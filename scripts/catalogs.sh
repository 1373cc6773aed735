#!/usr/bin/env bash
# Re-extract the pages' messages, update both catalogs, compile them (README "Web pages").
# Then translate what is new in web/locale/vi/LC_MESSAGES/messages.po and run this again.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
"$bin/pybabel" extract -F babel.cfg -o web/locale/messages.pot --sort-output --no-location \
    -k _ -k gettext -k ngettext:1,2 -k N_ . 2>/dev/null
"$bin/pybabel" update -i web/locale/messages.pot -d web/locale --ignore-obsolete --no-fuzzy-matching 2>/dev/null
"$bin/pybabel" compile -d web/locale >/dev/null
"$bin/python" - <<'PY'
from babel.messages.pofile import read_po
with open("web/locale/vi/LC_MESSAGES/messages.po", "rb") as po:
    catalog = read_po(po, locale="vi")
missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
for message in missing:
    print("untranslated:", message)
PY
