"""What a CAP 1.2 alert says, as frozen values: built by `alerts.cap.parse_cap`.

Names follow CAP (OASIS Common Alerting Protocol 1.2) in snake case. Only the parts Loaxa
uses are kept; parameters, event codes, altitude and ceiling are read past, not mapped.
A resource's embedded content (<derefUri>) is not a value here but a file (`Embedded`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alerts.cap_geometry import Bounds, Point, circle_bounds, in_circle, in_polygon, polygon_bounds

Status = Literal["Actual", "Exercise", "System", "Test", "Draft"]
MsgType = Literal["Alert", "Update", "Cancel", "Ack", "Error"]
Scope = Literal["Public", "Restricted", "Private"]
Category = Literal[
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
]
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]

# Each type's values, in CAP's order: for checking input and naming what is allowed.
STATUSES: tuple[Status, ...] = get_args(Status)
MSG_TYPES: tuple[MsgType, ...] = get_args(MsgType)
SCOPES: tuple[Scope, ...] = get_args(Scope)
CATEGORIES: tuple[Category, ...] = get_args(Category)
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
CERTAINTIES: tuple[Certainty, ...] = get_args(Certainty)

# Vietnamese, else the document's first block (settings: cap_languages).
PREFERRED_LANGUAGES = ("vi",)


class CapValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CapReference(CapValue):
    """An earlier message this one updates or cancels."""

    sender: str
    identifier: str
    sent: AwareDatetime


class CapPolygon(CapValue):
    """A closed ring of WGS 84 points: at least four, the last the first again."""

    points: tuple[Point, ...] = Field(min_length=4)

    def contains(self, point: Point) -> bool:
        return in_polygon(point, self.points)

    def bounds(self) -> Bounds:
        return polygon_bounds(self.points)


class CapCircle(CapValue):
    centre: Point
    radius_km: float = Field(ge=0)

    def contains(self, point: Point) -> bool:
        return in_circle(point, self.centre, self.radius_km)

    def bounds(self) -> Bounds:
        return circle_bounds(self.centre, self.radius_km)


class CapArea(CapValue):
    area_desc: str
    # valueName → values, in document order; e.g. Vietnam's administrative unit codes.
    geocodes: dict[str, list[str]] = Field(default_factory=dict)
    polygons: list[CapPolygon] = Field(default_factory=list)
    circles: list[CapCircle] = Field(default_factory=list)

    @property
    def shapes(self) -> list[CapPolygon | CapCircle]:
        return [*self.polygons, *self.circles]


class Embedded(CapValue):
    """A resource's <derefUri>, decoded: its file (None when the document was only checked,
    `parse_cap`), its size and the SHA-256 storage would name it by."""

    path: Path | None
    size_bytes: int
    sha256: str


class CapResource(CapValue):
    description: str
    mime_type: str
    size: int | None = None  # as the sender states it: CAP calls it approximate
    uri: str | None = None
    embedded: Embedded | None = None


class CapInfo(CapValue):
    language: str = "en-US"
    categories: list[Category] = Field(min_length=1)
    event: str
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    effective: AwareDatetime | None = None
    onset: AwareDatetime | None = None
    expires: AwareDatetime | None = None
    areas: list[CapArea] = Field(default_factory=list)
    resources: list[CapResource] = Field(default_factory=list)


class CapAlert(CapValue):
    identifier: str
    sender: str
    sent: AwareDatetime
    status: Status
    msg_type: MsgType
    scope: Scope
    references: list[CapReference] = Field(default_factory=list)
    note: str | None = None
    infos: list[CapInfo] = Field(default_factory=list)

    def info_for(self, languages: Sequence[str] = PREFERRED_LANGUAGES) -> CapInfo:
        """The info block in the most preferred language, else the first one.

        A preference matches a language equal to it or starting with it and a hyphen,
        ignoring case (RFC 4647 basic filtering): "vi" matches "vi-VN". Raises LookupError
        when the alert has no info block (CAP allows none, e.g. in a Cancel).
        """
        if not self.infos:
            raise LookupError(f"CAP alert {self.identifier} has no info block")
        for wanted in languages:
            for info in self.infos:
                if _language_matches(wanted, info.language):
                    return info
        return self.infos[0]


def _language_matches(wanted: str, language: str) -> bool:
    wanted, language = wanted.lower(), language.lower()
    return language == wanted or language.startswith(wanted + "-")
