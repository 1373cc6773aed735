"""Emergency alerts (bản tin khẩn cấp) after CAP 1.2, and their delivery to each station."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator
from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import Id, InputModel, OutputModel
from core.sqltypes import UTCDateTime
from stations.protocol import AlertRepeat


class AlertStatus(StrEnum):
    actual = "Actual"  # thật
    exercise = "Exercise"  # diễn tập
    test = "Test"  # thử


class AlertType(StrEnum):
    alert = "Alert"
    update = "Update"  # replaces the alerts it references
    cancel = "Cancel"  # stops the alerts it references, everywhere at once


class Urgency(StrEnum):
    immediate = "Immediate"
    expected = "Expected"
    future = "Future"
    past = "Past"
    unknown = "Unknown"


class Severity(StrEnum):
    extreme = "Extreme"
    severe = "Severe"
    moderate = "Moderate"
    minor = "Minor"
    unknown = "Unknown"


class Certainty(StrEnum):
    observed = "Observed"
    likely = "Likely"
    possible = "Possible"
    unlikely = "Unlikely"
    unknown = "Unknown"


class OrderAction(StrEnum):
    """A broadcast now order (alerts/orders.py): an alert row of the priority layer."""

    play = "play"  # phát ngay: one approved item now, over the schedule
    stop = "stop"  # dừng phát: silence, over the schedule and any play order


class AlertState(StrEnum):
    pending = "pending"  # chờ duyệt: waiting for a second person's approval
    issued = "issued"  # đã phát lệnh: on the air until it expires
    superseded = "superseded"  # replaced by an Update
    cancelled = "cancelled"  # stopped by a Cancel
    rejected = "rejected"  # refused by the approver
    # đã ghi nhận: a CAP Cancel of alerts this server never held, kept and acknowledged;
    # it acts on nothing.
    recorded = "recorded"


# The validation context key by which a CAP import says the alert targets stations (those
# its polygons and circles hold) beside any areas and groups: POST /api/v1/alerts cannot
# name stations, so only the import passes it (alerts/cap_import.py).
TARGETS_STATIONS = "targets_stations"


@dataclass(frozen=True)
class AlertTargets:
    """Where an alert goes: area subtrees, station groups, and stations by id (those a CAP
    document's polygons and circles hold)."""

    areas: tuple[int, ...] = ()
    groups: tuple[int, ...] = ()
    stations: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.areas or self.groups or self.stations)

    def __or__(self, other: AlertTargets) -> AlertTargets:
        return AlertTargets(
            areas=tuple(sorted({*self.areas, *other.areas})),
            groups=tuple(sorted({*self.groups, *other.groups})),
            stations=tuple(sorted({*self.stations, *other.stations})),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "areas": list(self.areas),
                "groups": list(self.groups),
                "stations": list(self.stations),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> AlertTargets:
        # Alerts stored before station targets have no "stations": none.
        parsed = json.loads(text)
        return cls(
            areas=tuple(parsed["areas"]),
            groups=tuple(parsed["groups"]),
            stations=tuple(parsed.get("stations", ())),
        )


class RepeatPlan(AlertRepeat):
    """An alert's repeat plan as an operator sends it: strict, unlike the agent's copy."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertCreate(InputModel):
    identifier: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="CAP identifier; made up when not given",
    )
    status: AlertStatus = AlertStatus.actual
    msg_type: AlertType = AlertType.alert
    references: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="The alerts an Update replaces or a Cancel stops: each an identifier, or "
        "CAP's 'sender,identifier' where two senders use one identifier",
    )
    area_id: Id = Field(description="The area whose operators manage the alert")
    target_area_ids: list[Id] = Field(default_factory=list, max_length=200)
    target_group_ids: list[Id] = Field(default_factory=list, max_length=200)
    event: str = Field(default="", max_length=200, description="e.g. Bão, Lũ, Cháy rừng")
    headline: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=4000)
    urgency: Urgency = Urgency.immediate
    severity: Severity = Severity.severe
    certainty: Certainty = Certainty.observed
    content_id: Id | None = Field(default=None, description="Approved audio to play")
    text: str | None = Field(
        default=None, min_length=1, max_length=5000, description="Read by TTS on the spot"
    )
    language: str = Field(default="vi", min_length=2, max_length=10)
    volume: int = Field(default=100, ge=0, le=100)
    starts: datetime | None = Field(default=None, description="Default: now")
    expires: datetime
    repeat: RepeatPlan | None = None
    issue_now: bool = Field(
        default=False,
        description="Issue at once, by one person holding both operator and approver rights "
        "in the alert's scope (when the policy allows it); otherwise it waits for an approver",
    )

    @model_validator(mode="after")
    def _complete(self, info: ValidationInfo) -> AlertCreate:
        if self.msg_type != AlertType.alert and not self.references:
            raise ValueError(f"an {self.msg_type.value} needs references: the alerts it acts on")
        if self.msg_type == AlertType.cancel:
            return self
        if (self.content_id is None) == (self.text is None):
            raise ValueError("give either content_id (approved audio) or text (read by TTS)")
        stations = bool(info.context and info.context.get(TARGETS_STATIONS))
        if not self.target_area_ids and not self.target_group_ids and not stations:
            raise ValueError("an alert needs at least one target area or station group")
        if self.starts is not None and self.expires <= self.starts:
            raise ValueError("expires must be after starts")
        return self


class CapOrigin(BaseModel):
    """What a CAP import knows of an alert beyond what an operator types: kept with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sender: str = Field(min_length=1, max_length=200)
    language: str = Field(min_length=1, max_length=35)  # the <info> read, as sent
    cap_references: tuple[str, ...] = ()  # every <references> triple, as sent
    unheld_references: tuple[str, ...] = ()  # those naming alerts this server never held
    expires_default: str | None = None  # the <category> whose default set `expires`
    # The most stations it may reach and still be issued at once (the sender's ceiling).
    station_ceiling: int | None = None
    # The stations its <polygon>s and <circle>s hold, in the importer's scope: targets
    # beside the areas its geocodes name.
    target_station_ids: tuple[int, ...] = ()


def reference_parts(reference: str) -> tuple[str | None, str]:
    """(sender, identifier) of a reference: "identifier", or CAP's "sender,identifier" or
    "sender,identifier,sent" (neither a sender nor an identifier holds a comma)."""
    parts = reference.split(",")
    return (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0])


class Alert(SQLModel, table=True):
    # CAP: identifiers are unique per sender, not across every warning service.
    __table_args__ = (UniqueConstraint("sender", "identifier", name="uq_alert_sender_identifier"),)

    id: int | None = Field(default=None, primary_key=True)
    identifier: str = Field(max_length=200, index=True)
    # The CAP <sender> for an imported alert; the operator's name for one made here.
    sender: str = Field(max_length=200)
    status: str = Field(max_length=12)
    msg_type: str = Field(max_length=12)
    # Identifiers of the alerts it updates or cancels, as a JSON list.
    reference_ids: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    area_id: int = Field(
        sa_column=Column(Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=False)
    )
    # {"areas": [], "groups": [], "stations": []} (AlertTargets)
    targets: str = Field(sa_column=Column(Text, nullable=False))
    event: str = Field(default="", max_length=200)
    headline: str = Field(max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    urgency: str = Field(max_length=12)
    severity: str = Field(max_length=12)
    certainty: str = Field(max_length=12)
    content_id: int | None = None
    sha256: str | None = Field(default=None, max_length=64)
    duration_s: float = 0.0
    size_bytes: int = 0
    volume: int = 100
    starts: datetime = Field(sa_type=UTCDateTime)
    expires: datetime = Field(sa_type=UTCDateTime, index=True)
    repeat: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    state: str = Field(max_length=12, index=True)
    created_by: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    approved_by: int | None = None
    issued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: int | None = None  # the Update or Cancel that ended it
    # The language of what it says, as sent (a CAP <info>'s language, e.g. "de-DE").
    language: str = Field(default="vi", max_length=35)
    # A CAP import's <references> exactly as sent ("sender,identifier,sent" each), those
    # this server never held included, as a JSON list.
    cap_references: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # The <category> whose configured default duration set `expires`: the document gave none.
    expires_default: str | None = Field(default=None, max_length=20)
    # Why it waits for an approver although issue_now was asked (e.g. the sender's ceiling).
    hold_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Images the sender attached ([{sha256, mime_type, size_bytes, description}]), JSON.
    images: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # A broadcast now order's action (OrderAction), played in the agents' priority layer;
    # None: an emergency alert.
    order_action: str | None = Field(default=None, max_length=8, index=True)

    def target_ids(self) -> AlertTargets:
        return AlertTargets.from_json(self.targets)

    def reference_list(self) -> list[str]:
        return list(json.loads(self.reference_ids))

    def replaced_identifiers(self) -> list[str]:
        """The identifiers of the alerts it references, as agents know them."""
        return [reference_parts(reference)[1] for reference in self.reference_list()]


class AlertDelivery(SQLModel, table=True):
    """How far an alert got on one station: each stage is the agent's acknowledgement."""

    __tablename__ = "alert_delivery"

    alert_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    station_id: int = Field(primary_key=True)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryPublic(OutputModel):
    station_id: int
    station_name: str
    stage: str  # none | received | started | finished
    received_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    # No acknowledgement 30 s after the alert was issued: call the station.
    unacknowledged: bool


class AlertImage(OutputModel):
    """An image the CAP sender attached, in content storage by its sha256: served at
    GET /api/v1/alerts/{id}/images/{sha256}."""

    sha256: str
    mime_type: str
    size_bytes: int
    description: str


class AlertPublic(OutputModel):
    id: int
    identifier: str
    sender: str
    status: AlertStatus
    msg_type: AlertType
    references: list[str]
    area_id: int
    target_area_ids: list[int]
    target_group_ids: list[int]
    # Stations targeted by where they stand (a CAP import's polygons and circles).
    target_station_ids: list[int]
    event: str
    headline: str
    description: str
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    content_id: int | None
    sha256: str | None
    duration_s: float
    volume: int
    starts: datetime
    expires: datetime
    repeat: RepeatPlan | None
    state: AlertState
    created_by: int | None
    created_at: datetime
    approved_by: int | None
    issued_at: datetime | None
    ended_at: datetime | None
    language: str
    cap_references: list[str]
    expires_default: str | None
    hold_reason: str | None
    images: list[AlertImage]


class AlertDetail(AlertPublic):
    deliveries: list[DeliveryPublic]


class AlertSummary(AlertPublic):
    """The answer to creating or approving an alert: how many stations it reaches (each
    one's acknowledgements: GET /api/v1/alerts/{id}). Thousands of delivery rows in that
    answer would be built while the push goes out, and slow it."""

    stations: int


class AlertsPublic(OutputModel):
    data: list[AlertPublic]
    count: int
