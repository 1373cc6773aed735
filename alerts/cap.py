"""Read CAP 1.2 XML safely into a `CapAlert` (issue 7: `POST /api/v1/alerts/cap`).

Pure: bytes in, frozen values out, or `CapError` with a message fit for a 422. The XML
comes from outside, so no DTD of any kind is accepted: that shuts out external entities
(XXE) and entity expansion (billion laughs) before anything could be resolved or expanded.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TypeVar
from xml.etree.ElementTree import Element, ParseError
from xml.parsers.expat import ErrorString

import defusedxml.ElementTree as safe_etree
from defusedxml import DefusedXmlException, DTDForbidden

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
)

__all__ = ["CAP_NAMESPACE", "MAX_BYTES", "CapAlert", "CapError", "CapInfo", "parse_cap"]

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
# Older versions differ in elements and meaning: named, so the sender learns what to send.
OTHER_CAP_VERSIONS = {
    "urn:oasis:names:tc:emergency:cap:1.1": "CAP 1.1",
    "http://www.incident.com/cap/1.0": "CAP 1.0",
}
MAX_BYTES = 256 * 1024

# The XML declaration, if any, is the first thing in the document (after a UTF-8 BOM).
_DECLARED_ENCODING = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)""")
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

Choice = TypeVar("Choice", bound=str)


class CapError(ValueError):
    """The input is not a CAP 1.2 alert Loaxa can take; `message` says what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_cap(data: bytes, *, max_bytes: int = MAX_BYTES) -> CapAlert:
    """The alert in `data` (CAP 1.2 XML, UTF-8). Raises CapError if it is too large,
    unsafe, not well-formed, not CAP 1.2, or missing or misstating a required element."""
    root = _parse_xml(data, max_bytes)
    _require_cap_12(root)
    return _alert(root)


def _parse_xml(data: bytes, max_bytes: int) -> Element:
    # Size first: nothing about an oversized body is worth reading.
    if len(data) > max_bytes:
        raise CapError(f"too large: {len(data)} bytes, at most {max_bytes}")
    _require_utf8(data)
    try:
        return safe_etree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
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


def _require_utf8(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise CapError(f"not UTF-8: byte 0x{byte:02x} at offset {exc.start}") from exc
    # Valid UTF-8 declared as Latin-1 would parse, into mojibake: refuse the declaration.
    declared = _DECLARED_ENCODING.match(data)
    encoding = declared[1].decode() if declared else "utf-8"
    if encoding.lower() != "utf-8":
        raise CapError(f"not UTF-8: the XML declaration says encoding={_shown(encoding)}")


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


def _alert(root: Element) -> CapAlert:
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
        infos=[_info(info, where) for info, where in _children(root, "info", path)],
    )


def _info(info: Element, path: str) -> CapInfo:
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
        resources=[_resource(res, where) for res, where in _children(info, "resource", path)],
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


def _resource(resource: Element, path: str) -> CapResource:
    return CapResource(
        description=_required_text(resource, "resourceDesc", path),
        mime_type=_required_text(resource, "mimeType", path),
        uri=_optional_text(resource, "uri", path),
    )


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
