"""Fill Vietnamese translations from a JSON file {"English id": "Tiếng Việt", ...}; a
plural id takes a list of forms. Then run scripts/catalogs.sh to compile.

    .venv/bin/python scripts/fill_translations.py new.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "web/locale/vi/LC_MESSAGES/messages.po"


def main(source: str) -> int:
    wanted = json.loads(Path(source).read_text(encoding="utf-8"))
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    unknown = []
    for msgid, text in wanted.items():
        found = next(
            (
                m
                for m in catalog
                if m.id and (m.id == msgid or (isinstance(m.id, tuple) and m.id[0] == msgid))
            ),
            None,
        )
        if found is None:
            unknown.append(msgid)
            continue
        found.string = tuple(text) if isinstance(found.id, tuple) else text
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=76)
    for msgid in unknown:
        sys.stderr.write(f"not in the catalog (extract first): {msgid}\n")
    return 1 if unknown else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
