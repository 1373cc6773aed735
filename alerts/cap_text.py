"""A CAP block's words made fit to be read aloud: markup taken out, entities decoded.
Senders put HTML in <description> (DWD's and IPAWS' `<br />`); TTS would read the tags
letter by letter ("b r slash")."""

from __future__ import annotations

import html
from html.parser import HTMLParser

# Tags that end a line or a block: a pause where the sender broke the text.
_BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: str | None) -> str | None:
    """`text` without tags, entities decoded, each line's white space folded; a text with
    no markup comes back as it was (but for entities)."""
    if text is None:
        return None
    if "<" not in text:
        return html.unescape(text)
    words = _Words()
    words.feed(text)
    words.close()
    lines = (" ".join(line.split()) for line in "".join(words.parts).split("\n"))
    return "\n".join(line for line in lines if line)
