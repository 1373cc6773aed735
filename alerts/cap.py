"""Read CAP 1.2 XML safely into a `CapAlert` (issue 7: `POST /api/v1/alerts/cap`).

Pure: bytes in (whole, or chunk by chunk as they arrive: `read_cap`), frozen values out, or
`CapError` with a message fit for a 422. The XML is read by `alerts.cap_xml`, which refuses
any DTD (so no external entities or entity expansion) and decodes each `<derefUri>` to a
file on the way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from xml.etree.ElementTree import Element

from alerts.cap_geometry import Point
from alerts.cap_models import (
    CATEGORIES,
    CERTAINTIES,
    MSG_TYPES,
    SCOPES,
    SEVERITIES,
    STATUSES,
    URGENCIES,
    CapAlert,
    CapArea,
    CapCircle,
    CapInfo,
    CapPolygon,
    CapReference,
    CapResource,
    Embedded,
)
from alerts.cap_xml import CAP_NAMESPACE, CapError, CapTooLarge, CapXmlReader, Decoded
from core.config import CAP_MAX_BYTES

__all__ = [
    "CAP_NAMESPACE",
    "MAX_BYTES",
    "CapAlert",
    "CapError",
    "CapInfo",
    "CapReader",
    "CapTooLarge",
    "parse_cap",
    "read_cap",
]

# Older versions differ in elements and meaning: named, so the sender learns what to send.
OTHER_CAP_VERSIONS = {
    "urn:oasis:names:tc:emergency:cap:1.1": "CAP 1.1",
    "http://www.incident.com/cap/1.0": "CAP 1.0",
}
# The default of the setting cap_max_bytes.
MAX_BYTES = CAP_MAX_BYTES

# CAP's dateTime always carries its offset ("-00:00" is UTC). "Z" and fractional seconds
# are outside CAP's own pattern but unambiguous, so they are read rather than refused.
_CAP_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:[+-][0-9]{2}:[0-9]{2}|Z)"
)
# CAP forbids these in identifiers and senders: references are "sender,identifier,sent"
# triples separated by spaces, so either would make them ambiguous.
_NOT_IN_IDENTIFIERS = re.compile(r"[\s,<&]")
# A WGS 84 coordinate or a radius as CAP writes it: a plain decimal number. Python's float()
# would also take "nan", "inf" and "1e3", none of which is a place.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# CAP's <digest>: the SHA-1 of the resource, in hex.
_SHA1_HEX = re.compile(r"[0-9a-fA-F]{40}")

Choice = TypeVar("Choice", bound=str)
Attached = Mapping[Element, Decoded]


def parse_cap(data: bytes, *, max_bytes: int = MAX_BYTES) -> CapAlert:
    """The alert in `data` (CAP 1.2 XML, UTF-8). Raises CapError if it is too large,
    unsafe, not well-formed, not CAP 1.2, or missing or misstating a required element.
    Embedded resources are checked (base64, digest) but not kept: see `read_cap`."""
    if len(data) > max_bytes:
        raise CapTooLarge(max_bytes, len(data))
    reader = CapReader(max_bytes=max_bytes)
    reader.feed(data)
    return reader.close()


def read_cap(chunks: Iterable[bytes], *, max_bytes: int, folder: Path | None) -> CapAlert:
    """The alert in the document `chunks` make up, read as they come; each `<derefUri>`
    decoded into `folder` (its `CapResource.embedded`), which the caller removes."""
    reader = CapReader(max_bytes=max_bytes, folder=folder)
    for chunk in chunks:
        reader.feed(chunk)
    return reader.close()


class CapReader:
    """`read_cap` a chunk at a time, for a caller whose chunks come asynchronously."""

    def __init__(self, *, max_bytes: int, folder: Path | None = None) -> None:
        self._xml = CapXmlReader(max_bytes=max_bytes, folder=folder)

    def feed(self, chunk: bytes) -> None:
        self._xml.feed(chunk)

    def close(self) -> CapAlert:
        document = self._xml.close()
        _require_cap_12(document.root)
        return _alert(document.root, document.attached)


def _require_cap_12(root: Element) -> None:
    namespace, _, name = (
        root.tag[1:].rpartition("}") if root.tag.startswith("{") else ("", "", root.tag)
    )
    if namespace == CAP_NAMESPACE and name == "alert":
        return
    expected = f"expected <alert> in namespace {CAP_NAMESPACE}"
    if namespace in OTHER_CAP_VERSIONS:
        raise CapError(f"not CAP 1.2: this is {OTHER_CAP_VERSIONS[namespace]}; {expected}")
    if not namespace:
        raise CapError(f"not CAP 1.2: <{name}> has no namespace; {expected}")
    raise CapError(f"not CAP 1.2: the root is <{name}> in namespace {namespace}; {expected}")


def _alert(root: Element, attached: Attached) -> CapAlert:
    path = "alert"
    return CapAlert(
        identifier=_identifier(root, "identifier", path),
        sender=_identifier(root, "sender", path),
        sent=_datetime(_required_text(root, "sent", path), f"{path}/sent"),
        status=_required_choice(root, "status", path, STATUSES),
        msg_type=_required_choice(root, "msgType", path, MSG_TYPES),
        scope=_required_choice(root, "scope", path, SCOPES),
        references=_references(root, path),
        note=_optional_text(root, "note", path),
        infos=[_info(info, where, attached) for info, where in _children(root, "info", path)],
    )


def _info(info: Element, path: str, attached: Attached) -> CapInfo:
    categories = _children(info, "category", path)
    if not categories:
        raise CapError(f"{path}/category is required")
    return CapInfo(
        language=_optional_text(info, "language", path) or "en-US",
        categories=[
            _choice(_text(element, where), where, CATEGORIES) for element, where in categories
        ],
        event=_required_text(info, "event", path),
        urgency=_required_choice(info, "urgency", path, URGENCIES),
        severity=_required_choice(info, "severity", path, SEVERITIES),
        certainty=_required_choice(info, "certainty", path, CERTAINTIES),
        headline=_optional_text(info, "headline", path),
        description=_optional_text(info, "description", path),
        instruction=_optional_text(info, "instruction", path),
        effective=_optional_datetime(info, "effective", path),
        onset=_optional_datetime(info, "onset", path),
        expires=_optional_datetime(info, "expires", path),
        areas=[_area(area, where) for area, where in _children(info, "area", path)],
        resources=[
            _resource(res, where, attached) for res, where in _children(info, "resource", path)
        ],
    )


def _area(area: Element, path: str) -> CapArea:
    geocodes: dict[str, list[str]] = {}
    for geocode, where in _children(area, "geocode", path):
        value_name = _required_text(geocode, "valueName", where)
        geocodes.setdefault(value_name, []).append(_required_text(geocode, "value", where))
    return CapArea(
        area_desc=_required_text(area, "areaDesc", path),
        geocodes=geocodes,
        polygons=[
            _polygon(_text(e, where), where) for e, where in _children(area, "polygon", path)
        ],
        circles=[_circle(_text(e, where), where) for e, where in _children(area, "circle", path)],
    )


def _polygon(text: str, where: str) -> CapPolygon:
    """CAP: space-separated "lat,lon" pairs, at least four, the first and last the same."""
    points = [_point(pair, where) for pair in text.split()]
    if len(points) < 4:
        raise CapError(
            f"{where}: {len(points)} point{'s' if len(points) != 1 else ''}; a polygon needs "
            'at least 4 "lat,lon" pairs, the last the same as the first'
        )
    if points[0] != points[-1]:
        raise CapError(
            f"{where}: not closed: the last point {text.split()[-1]!r} must be the first "
            f"again, {text.split()[0]!r}"
        )
    return CapPolygon(points=tuple(points))


def _circle(text: str, where: str) -> CapCircle:
    """CAP: the centre as "lat,lon", a space, and the radius in kilometres."""
    parts = text.split()
    if len(parts) != 2:
        raise CapError(f'{where}: {_shown(text)} is not "lat,lon radius" (radius in km)')
    centre, radius = _point(parts[0], where), parts[1]
    if not _DECIMAL.fullmatch(radius) or float(radius) < 0:
        raise CapError(f"{where}: the radius {_shown(radius)} is not a distance in km")
    return CapCircle(centre=centre, radius_km=float(radius))


def _point(pair: str, where: str) -> Point:
    latitude, comma, longitude = pair.partition(",")
    if not comma or not _DECIMAL.fullmatch(latitude) or not _DECIMAL.fullmatch(longitude):
        raise CapError(f'{where}: {_shown(pair)} is not a "lat,lon" pair of decimal degrees')
    point = Point(float(latitude), float(longitude))
    if not -90 <= point.latitude <= 90:
        raise CapError(f"{where}: latitude {latitude} is outside -90 to 90 in {_shown(pair)}")
    if not -180 <= point.longitude <= 180:
        raise CapError(f"{where}: longitude {longitude} is outside -180 to 180 in {_shown(pair)}")
    return point


def _resource(resource: Element, path: str, attached: Attached) -> CapResource:
    return CapResource(
        description=_required_text(resource, "resourceDesc", path),
        mime_type=_required_text(resource, "mimeType", path),
        size=_optional_size(resource, path),
        uri=_optional_text(resource, "uri", path),
        embedded=_embedded(resource, path, attached),
    )


def _optional_size(resource: Element, path: str) -> int | None:
    text = _optional_text(resource, "size", path)
    if text is None:
        return None
    if not text.isdigit():
        raise CapError(f"{path}/size: {_shown(text)} is not a number of bytes")
    return int(text)


def _embedded(resource: Element, path: str, attached: Attached) -> Embedded | None:
    """The decoded <derefUri>, checked against <digest> (its SHA-1) when there is one."""
    element = _single(resource, "derefUri", path)
    if element is None:
        return None
    where = f"{path}/derefUri"
    decoded = attached[element]
    if decoded.error is not None:
        raise CapError(f"{where} {decoded.error}")
    digest = _optional_text(resource, "digest", path)
    if digest is not None:
        if not _SHA1_HEX.fullmatch(digest):
            raise CapError(f"{path}/digest: {_shown(digest)} is not a SHA-1 in hexadecimal")
        if digest.lower() != decoded.sha1:
            raise CapError(
                f"{where} does not match {path}/digest: its SHA-1 is {decoded.sha1}, "
                f"the document says {digest.lower()}"
            )
    return Embedded(path=decoded.path, size_bytes=decoded.size_bytes, sha256=decoded.sha256)


def _references(alert: Element, path: str) -> list[CapReference]:
    triples = _optional_text(alert, "references", path)
    where = f"{path}/references"
    return [_reference(triple, where) for triple in (triples or "").split()]


def _reference(triple: str, where: str) -> CapReference:
    parts = triple.split(",")
    if len(parts) != 3 or not all(parts):
        raise CapError(f"{where}: {_shown(triple)} is not sender,identifier,sent")
    sender, identifier, sent = parts
    return CapReference(sender=sender, identifier=identifier, sent=_datetime(sent, where))


# Reading elements. `path` is the parent's, e.g. "alert/info[2]"; messages name the child.


def _q(name: str) -> str:
    return f"{{{CAP_NAMESPACE}}}{name}"


def _children(parent: Element, name: str, path: str) -> list[tuple[Element, str]]:
    """Each `name` child with its path, indexed from 1 only when there are several."""
    found = parent.findall(_q(name))
    if len(found) == 1:
        return [(found[0], f"{path}/{name}")]
    return [(child, f"{path}/{name}[{n}]") for n, child in enumerate(found, start=1)]


def _single(parent: Element, name: str, path: str) -> Element | None:
    found = parent.findall(_q(name))
    if len(found) > 1:
        raise CapError(f"{path}/{name} appears {len(found)} times; CAP allows one")
    return found[0] if found else None


def _text(element: Element, where: str) -> str:
    text = (element.text or "").strip()
    if not text:
        raise CapError(f"{where} is empty")
    return text


def _optional_text(parent: Element, name: str, path: str) -> str | None:
    element = _single(parent, name, path)
    if element is None:
        return None
    # An empty optional element says nothing; CAP producers often emit <note/>.
    return (element.text or "").strip() or None


def _required_text(parent: Element, name: str, path: str) -> str:
    element = _single(parent, name, path)
    if element is None:
        raise CapError(f"{path}/{name} is required")
    return _text(element, f"{path}/{name}")


def _identifier(parent: Element, name: str, path: str) -> str:
    value = _required_text(parent, name, path)
    if _NOT_IN_IDENTIFIERS.search(value):
        raise CapError(f"{path}/{name}: {_shown(value)} may not contain spaces, commas, < or &")
    return value


def _choice(value: str, where: str, allowed: tuple[Choice, ...]) -> Choice:
    for choice in allowed:
        if value == choice:
            return choice
    raise CapError(f"{where}: {_shown(value)} is not one of {', '.join(allowed)}")


def _required_choice(parent: Element, name: str, path: str, allowed: tuple[Choice, ...]) -> Choice:
    return _choice(_required_text(parent, name, path), f"{path}/{name}", allowed)


def _optional_datetime(parent: Element, name: str, path: str) -> datetime | None:
    text = _optional_text(parent, name, path)
    return None if text is None else _datetime(text, f"{path}/{name}")


def _datetime(text: str, where: str) -> datetime:
    if not _CAP_DATETIME.fullmatch(text):
        raise CapError(
            f"{where}: {_shown(text)} is not a CAP date and time with its time zone, "
            "like 2026-11-29T07:00:00+07:00"
        )
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:  # e.g. month 13: the shape was right, the values are not
        raise CapError(f"{where}: {_shown(text)} is not a valid date and time") from exc


def _shown(value: str) -> str:
    # Messages quote the input; a long value is cut so a 422 stays short.
    return repr(value if len(value) <= 60 else value[:60] + "…")
