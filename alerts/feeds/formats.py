"""What a polled URL holds: an Atom feed or an RSS 2.0 channel whose entries link to CAP
documents (as NWS, Meteoalarm and Google Public Alerts publish them), or a CAP document
itself. Pure: bytes in, the document links out, or FeedFormatError saying what it is not.

The XML comes from outside: no DTD of any kind is accepted (no external entities, no
entity expansion), as for CAP documents (alerts/cap.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_etree
from defusedxml import DefusedXmlException

ATOM = "{http://www.w3.org/2005/Atom}"
CAP_12 = "{urn:oasis:names:tc:emergency:cap:1.2}"


class FeedFormatError(ValueError):
    """The body is neither Atom, RSS 2.0 nor CAP 1.2; the message says what it is."""


@dataclass(frozen=True, kw_only=True)
class Listing:
    """The CAP documents a feed names, oldest first (so an Alert is imported before the
    Update that follows it); `document` is the body itself when the URL is a CAP document."""

    kind: str  # "atom", "rss" or "cap"
    links: tuple[str, ...] = ()
    document: bytes | None = None


def read_listing(body: bytes, *, base_url: str) -> Listing:
    root = _parse(body)
    if root.tag == f"{CAP_12}alert":
        return Listing(kind="cap", document=body)
    if root.tag == f"{ATOM}feed":
        links = [_atom_link(entry) for entry in root.iter(f"{ATOM}entry")]
        return Listing(kind="atom", links=_absolute(links, base_url))
    if root.tag == "rss":
        links = [_rss_link(item) for item in root.iter("item")]
        return Listing(kind="rss", links=_absolute(links, base_url))
    raise FeedFormatError(
        f"the feed is <{root.tag}>: expected an Atom <feed>, an RSS 2.0 <rss> or a CAP 1.2 <alert>"
    )


def _parse(body: bytes) -> Element:
    try:
        return safe_etree.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise FeedFormatError(f"unsafe XML in the feed: {type(exc).__name__}") from exc
    except ParseError as exc:
        line, column = exc.position
        raise FeedFormatError(
            f"the feed is not well-formed XML at line {line}, column {column + 1}"
        ) from exc


def _atom_link(entry: Element) -> str | None:
    """The entry's CAP document: a link typed as CAP, else its alternate link (Atom's
    default relation), else its first link."""
    links = [link for link in entry.iter(f"{ATOM}link") if link.get("href")]
    for link in links:
        if "cap" in (link.get("type") or "").lower():
            return link.get("href")
    for link in links:
        if link.get("rel", "alternate") == "alternate":
            return link.get("href")
    return links[0].get("href") if links else None


def _rss_link(item: Element) -> str | None:
    for enclosure in item.iter("enclosure"):
        if "cap" in (enclosure.get("type") or "").lower() and enclosure.get("url"):
            return enclosure.get("url")
    link = item.find("link")
    return (link.text or "").strip() or None if link is not None else None


def _absolute(links: list[str | None], base_url: str) -> tuple[str, ...]:
    """Each link made absolute, http(s) only, once, oldest first: feeds list newest first."""
    absolute = (urljoin(base_url, link.strip()) for link in reversed(links) if link)
    kept = (link for link in absolute if urlsplit(link).scheme in ("http", "https"))
    return tuple(dict.fromkeys(kept))
