"""CAP XML read safely and incrementally: chunks of bytes in, as they arrive, an element tree
out, with each `<derefUri>`'s base64 decoded to a file on the way and never kept in the tree.

The XML comes from outside, so no DTD of any kind is accepted: that shuts out external
entities (XXE) and entity expansion (billion laughs) before anything could be resolved or
expanded. A document passing `max_bytes` is refused the moment it does, so memory holds at
most one chunk of it besides the tree (whose largest text, embedded media, is on disk).
"""

from __future__ import annotations

import binascii
import codecs
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.parsers.expat import ErrorString

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import DefusedXMLParser

__all__ = ["CAP_NAMESPACE", "CapError", "CapTooLarge", "CapXml", "CapXmlReader", "Decoded"]

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
DEREF_URI = f"{{{CAP_NAMESPACE}}}derefUri"

# The XML declaration, if any, is the first thing in the document (after a UTF-8 BOM), so
# the first bytes are held back until they can be checked; a declaration is far shorter.
HEAD_BYTES = 1024
_DECLARED_ENCODING = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)""")
# UTF-8 is checked in slices: each is decoded to a throwaway string of its own size only.
UTF8_SLICE = 64 * 1024
_WHITESPACE = re.compile(r"\s+")


class CapError(ValueError):
    """The input is not a CAP 1.2 alert Loaxa can take; `message` says what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CapTooLarge(CapError):
    """The document passed the size limit (a 413, not a 422)."""

    def __init__(self, max_bytes: int, size: int | None = None) -> None:
        told = f"{size} bytes" if size is not None else f"more than {max_bytes} bytes"
        super().__init__(f"too large: {told}, at most {max_bytes}")
        self.max_bytes = max_bytes


@dataclass(frozen=True, kw_only=True)
class Decoded:
    """What a `<derefUri>` held, decoded: its file (None when read only to be checked),
    size and hashes, or why it is not base64."""

    path: Path | None
    size_bytes: int
    sha1: str
    sha256: str
    error: str | None = None


@dataclass(frozen=True)
class CapXml:
    root: Element
    # Each <derefUri> element (left empty in the tree) → what it held.
    attached: dict[Element, Decoded] = field(default_factory=dict)


class CapXmlReader:
    """Feed it the document's bytes as they come; `close()` gives the tree. Raises CapError
    (CapTooLarge past `max_bytes`) as soon as the input is known to be unacceptable.
    `folder` receives the decoded `<derefUri>` files; without one they are only checked."""

    def __init__(self, *, max_bytes: int, folder: Path | None = None) -> None:
        self._max_bytes = max_bytes
        self._received = 0
        self._utf8 = _Utf8Check()
        self._head: bytes | None = b""  # None once the declaration was checked
        self._builder = _CapTreeBuilder(folder)
        self._parser = DefusedXMLParser(
            target=self._builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )

    def feed(self, chunk: bytes) -> None:
        self._received += len(chunk)
        # Size first: nothing about an oversized body is worth reading.
        if self._received > self._max_bytes:
            raise CapTooLarge(self._max_bytes)
        self._utf8.check(chunk)
        if self._head is not None:
            chunk = self._head + chunk if self._head else chunk
            if len(chunk) < HEAD_BYTES:
                self._head = chunk
                return
            self._head = None
            _require_utf8_declaration(chunk)
        with _xml_errors():
            self._parser.feed(chunk)

    def close(self) -> CapXml:
        self._utf8.finish()
        if self._head is not None:
            _require_utf8_declaration(self._head)
            with _xml_errors():
                self._parser.feed(self._head)
        with _xml_errors():
            root = self._parser.close()
        return CapXml(root=root, attached=self._builder.attached)


class _Utf8Check:
    """Whether the bytes so far are UTF-8, with the offset of the first that is not."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._checked = 0

    def check(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        for start in range(0, len(view), UTF8_SLICE):
            self._decode(view[start : start + UTF8_SLICE], final=False)

    def finish(self) -> None:
        self._decode(b"", final=True)

    def _decode(self, piece: bytes | memoryview, *, final: bool) -> None:
        held = len(self._decoder.getstate()[0])  # a character's first bytes, from before
        try:
            self._decoder.decode(piece, final=final)
        except UnicodeDecodeError as exc:
            offset = self._checked - held + exc.start
            byte = exc.object[exc.start]
            raise CapError(f"not UTF-8: byte 0x{byte:02x} at offset {offset}") from exc
        self._checked += len(piece)


def _require_utf8_declaration(head: bytes) -> None:
    # Valid UTF-8 declared as Latin-1 would parse, into mojibake: refuse the declaration.
    declared = _DECLARED_ENCODING.match(head)
    encoding = declared[1].decode("utf-8", "replace") if declared else "utf-8"
    if encoding.lower() != "utf-8":
        shown = encoding if len(encoding) <= 60 else encoding[:60] + "…"
        raise CapError(f"not UTF-8: the XML declaration says encoding={shown!r}")


@contextmanager
def _xml_errors() -> Iterator[None]:
    try:
        yield
    except DTDForbidden as exc:
        raise CapError("unsafe XML: a DOCTYPE is not allowed") from exc
    except DefusedXmlException as exc:
        # Entities and external references live in a DTD, refused above; this is the net
        # should the flags ever change.
        raise CapError(f"unsafe XML: {type(exc).__name__}") from exc
    except ParseError as exc:
        line, column = exc.position
        raise CapError(
            f"not well-formed XML at line {line}, column {column + 1}: {ErrorString(exc.code)}"
        ) from exc


class _CapTreeBuilder:
    """An element tree, except that a `<derefUri>`'s text goes to a base64 decoder (and a
    file) instead: a 2 MiB recording is never a 2 MiB string in the tree."""

    def __init__(self, folder: Path | None) -> None:
        self._tree = TreeBuilder()
        self._folder = folder
        self._deref: tuple[Element, _Base64File] | None = None
        self.attached: dict[Element, Decoded] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        if self._deref is not None:
            raise CapError("a <derefUri> holds base64 text only, not elements")
        element = self._tree.start(tag, attrs)
        if tag == DEREF_URI:
            path = self._folder / f"deref-{len(self.attached) + 1}" if self._folder else None
            self._deref = element, _Base64File(path)
        return element

    def data(self, text: str) -> None:
        if self._deref is not None:
            self._deref[1].write(text)
        else:
            self._tree.data(text)

    def end(self, tag: str) -> Element:
        if self._deref is not None:
            element, decoder = self._deref
            self._deref = None
            self.attached[element] = decoder.close()
        return self._tree.end(tag)

    def close(self) -> Element:
        if self._deref is not None:  # the parser refuses an unclosed element first
            self._deref[1].close()
        return self._tree.close()


class _Base64File:
    """Base64 text, arriving in pieces, decoded to a file (or only checked) with its
    SHA-1 (CAP's <digest>) and SHA-256 (how storage names it). Whitespace is ignored (MIME
    base64 breaks lines); anything else outside the alphabet, or after padding, is an error."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._out: BinaryIO | None = path.open("wb") if path else None
        self._pending = ""  # fewer than four characters, waiting for the rest of a quantum
        self._padded = False
        self._size = 0
        self._sha1, self._sha256 = hashlib.sha1(usedforsecurity=False), hashlib.sha256()
        self._error: str | None = None

    def write(self, text: str) -> None:
        text = _WHITESPACE.sub("", text)
        if self._error is not None or not text:
            return
        if self._padded:
            self._error = "is not base64: text after its padding"
            return
        text = self._pending + text
        whole = len(text) - len(text) % 4
        self._pending = text[whole:]
        try:
            data = binascii.a2b_base64(text[:whole], strict_mode=True)
        except ValueError as exc:  # binascii.Error, or a character outside ASCII
            self._error = f"is not base64: {exc}"
            return
        self._padded = text[:whole].endswith("=")
        self._size += len(data)
        self._sha1.update(data)
        self._sha256.update(data)
        if self._out is not None:
            self._out.write(data)

    def close(self) -> Decoded:
        if self._out is not None:
            self._out.close()
        if self._pending and self._error is None:
            self._error = "is not base64: its length is not a multiple of four"
        if self._error is None and self._size == 0:
            self._error = "is empty"
        return Decoded(
            path=self._path if self._error is None else None,
            size_bytes=self._size,
            sha1=self._sha1.hexdigest(),
            sha256=self._sha256.hexdigest(),
            error=self._error,
        )
