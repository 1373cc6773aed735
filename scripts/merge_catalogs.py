"""After a git merge that conflicts in web/locale: each .po becomes the union of both
sides' translations, then scripts/catalogs.sh re-extracts, updates and compiles.

    .venv/bin/python scripts/merge_catalogs.py && scripts/catalogs.sh
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ("web/locale/vi/LC_MESSAGES/messages.po", "web/locale/en/LC_MESSAGES/messages.po")


def _side(stage: int, path: str, locale: str) -> Catalog:
    text = subprocess.run(
        ["git", "show", f":{stage}:{path}"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return read_po(io.BytesIO(text), locale=locale)


def _translated(message: Message) -> bool:
    text = message.string
    return bool(text) if isinstance(text, str) else bool(text) and all(text or ())


def main() -> int:
    for path in CATALOGS:
        locale = path.split("/")[2]
        ours, theirs = _side(2, path, locale), _side(3, path, locale)
        for message in theirs:
            if not message.id:
                continue
            mine = ours.get(message.id)
            if mine is None:
                ours[message.id] = message
            elif _translated(message) and not _translated(mine):
                mine.string = message.string
        with (ROOT / path).open("wb") as handle:
            write_po(handle, ours, width=76)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
