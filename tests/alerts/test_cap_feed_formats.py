"""What a polled URL holds, read without a network: Atom entries' CAP links (typed CAP
first, else the alternate link), RSS items' links and CAP enclosures, a CAP document
itself; relative links made absolute, oldest first; anything else refused saying what."""

from __future__ import annotations

import pytest

from alerts.feeds.formats import FeedFormatError, read_listing
from tests.alerts.cap_documents import cap_alert

BASE = "https://alerts.invalid/feeds/vn.atom"


def test_atom_entries_give_their_cap_links_oldest_first() -> None:
    atom = b"""<?xml version="1.0" encoding="UTF-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><id>x</id>
      <entry><id>2</id><link href="https://alerts.invalid/page/2" rel="alternate"/>
        <link href="/cap/2.xml" rel="related" type="application/cap+xml"/></entry>
      <entry><id>1</id><link href="https://alerts.invalid/cap/1.xml"/></entry>
      <entry><id>0</id><link href="ftp://alerts.invalid/cap/0.xml"/></entry>
    </feed>"""
    listing = read_listing(atom, base_url=BASE)
    assert listing.kind == "atom"
    assert listing.links == ("https://alerts.invalid/cap/1.xml", "https://alerts.invalid/cap/2.xml")


def test_rss_items_give_their_links_or_cap_enclosures() -> None:
    rss = b"""<rss version="2.0"><channel><title>t</title>
      <item><link> https://alerts.invalid/cap/b.xml </link></item>
      <item><link>https://alerts.invalid/page/a</link>
        <enclosure url="https://alerts.invalid/cap/a.xml" type="application/cap+xml"/></item>
    </channel></rss>"""
    listing = read_listing(rss, base_url=BASE)
    assert listing.links == ("https://alerts.invalid/cap/a.xml", "https://alerts.invalid/cap/b.xml")


def test_a_cap_document_is_its_own_listing() -> None:
    document = cap_alert("VN-1")
    listing = read_listing(document, base_url=BASE)
    assert (listing.kind, listing.document, listing.links) == ("cap", document, ())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body>Maintenance</body></html>", "the feed is <html>"),
        (b"<feed", "not well-formed"),
        (
            b'<!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]><feed>&x;</feed>',
            "unsafe XML",
        ),
    ],
)
def test_anything_else_is_refused_saying_what(body: bytes, message: str) -> None:
    with pytest.raises(FeedFormatError, match=message):
        read_listing(body, base_url=BASE)
