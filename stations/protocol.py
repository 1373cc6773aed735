"""Agent protocol v1: the wire format, defined once and used by the server and the agent.

Only pydantic here: the agent imports this on a Raspberry Pi without the server's
dependencies. What the agent sends is validated strictly (unknown fields refused); what the
server sends is read leniently (unknown fields ignored), so a newer server can add fields
without breaking older agents.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    TypeAdapter,
    ValidationError,
    model_validator,
)

PREFIX = "/agent/v1"
ENROLL_PATH = f"{PREFIX}/enroll"
MANIFEST_PATH = f"{PREFIX}/manifest"
FILES_PATH = f"{PREFIX}/files"
ASRUN_PATH = f"{PREFIX}/asrun"
HEARTBEAT_PATH = f"{PREFIX}/heartbeat"
EVENTS_PATH = f"{PREFIX}/events"
PUSH_CREDENTIALS_PATH = f"{PREFIX}/push-credentials"

# Records in one as-run upload at most.
ASRUN_BATCH_MAX = 500

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Volume = Annotated[int, Field(ge=0, le=100)]
Tier = Literal["emergency", "priority", "normal"]
Result = Literal["played", "partial", "failed", "preempted", "skipped"]
Stage = Literal["received", "started", "finished"]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class AgentMessage(BaseModel):
    """Sent by the agent: validated strictly by the server."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerMessage(BaseModel):
    """Sent by the server: unknown fields are ignored, so the server may add some."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class AgentLocation(AgentMessage):
    """Where the installer says the loudspeakers stand (WGS 84 degrees)."""

    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)

    @classmethod
    def parse(cls, text: str) -> AgentLocation:
        """From "LAT,LON", e.g. "16.4637,107.5909"; raises ValueError saying what is wrong."""
        latitude, comma, longitude = text.partition(",")
        if not comma:
            raise ValueError(f"{text!r} is not LAT,LON in decimal degrees, e.g. 16.4637,107.5909")
        try:
            return cls(latitude=float(latitude), longitude=float(longitude))
        except (ValueError, ValidationError) as exc:
            raise ValueError(
                f"{text!r} is not LAT,LON in decimal degrees (latitude -90 to 90, "
                "longitude -180 to 180), e.g. 16.4637,107.5909"
            ) from exc


class EnrollRequest(AgentMessage):
    code: Annotated[str, Field(min_length=4, max_length=64)]
    hardware_id: ShortText
    agent_version: Annotated[str, Field(min_length=1, max_length=40)]
    # Optional and left out when unknown, so an older server (which refuses fields it does
    # not know) still takes an agent's enrolment without it. Sets the station's location
    # only when an admin has set none.
    location: AgentLocation | None = None


class PushCredentials(ServerMessage):
    """The station's own sign-in to the MQTT broker: issued at enrolment when the server
    pushes over MQTT, and again on asking (POST push-credentials), which replaces them."""

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class EnrollReply(ServerMessage):
    station_id: int
    token: str
    push_credentials: PushCredentials | None = None


class ManifestItem(ServerMessage):
    id: str = Field(min_length=1, max_length=100)
    kind: Literal["file", "relay"]
    content_id: int
    sha256: Sha256 | None
    url: str = Field(min_length=1, max_length=2000)
    start: AwareDatetime
    duration_s: float = Field(gt=0)
    timing: Literal["hard", "soft"]
    tier: Tier
    volume: Volume
    title: str
    session_id: int | None = None

    @model_validator(mode="after")
    def _addressed(self) -> ManifestItem:
        if self.kind == "file" and self.sha256 is None:
            raise ValueError(f"item {self.id}: a file item needs its sha256")
        return self


class VolumeWindow(ServerMessage):
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    volume: Volume


# An as-run record of a bulletin played again whole after a cut: the item's id with this
# after it (stations/agent/replay.py); the reports count it towards the item.
REPLAY_SUFFIX = ":replay"


class ReplayWindow(ServerMessage):
    """A session whose bulletins, when a higher layer cuts one, are replayed whole after
    its last item if they still end by `to` (else they are reported skipped); in any other
    session a cut bulletin is joined again where the clock says."""

    session_id: int
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime


AlertStatus = Literal["Actual", "Exercise", "Test"]


class AlertRepeat(ServerMessage):
    """How an alert repeats: `count` plays `interval_s` apart (start to start), or once an
    hour on the hour between two local times (`hourly_from` ≤ hour < `hourly_to`, in the
    manifest's time zone). Neither: it plays once. Never past the alert's `expires`."""

    count: int | None = Field(default=None, ge=1, le=1000)
    interval_s: float | None = Field(default=None, gt=0, le=86400)
    hourly_from: time | None = None
    hourly_to: time | None = None

    @model_validator(mode="after")
    def _one_plan(self) -> AlertRepeat:
        counted = self.count is not None
        hourly = self.hourly_from is not None or self.hourly_to is not None
        if counted and hourly:
            raise ValueError("repeat: either count (and interval_s) or hourly_from/hourly_to")
        if hourly and (self.hourly_from is None or self.hourly_to is None):
            raise ValueError("repeat: hourly needs both hourly_from and hourly_to")
        if counted and (self.count or 1) > 1 and self.interval_s is None:
            raise ValueError("repeat: a count above 1 needs interval_s")
        return self


class ManifestAlert(ServerMessage):
    """An emergency alert the station must play over everything (DESIGN.md: alerts), or a
    broadcast now order (`layer` "priority"), delivered the same way. An
    Update arrives as a new alert whose `replaces` names the ones it supersedes; a cancelled
    or expired alert is no longer listed (and a push says so at once)."""

    id: str = Field(min_length=1, max_length=200)  # the alert's CAP identifier
    status: AlertStatus
    starts: AwareDatetime
    expires: AwareDatetime
    sha256: Sha256 | None = None
    url: str | None = None
    duration_s: float = Field(default=0.0, ge=0)
    # The attention chime played before each repetition, if any (cached in advance).
    chime_sha256: Sha256 | None = None
    chime_duration_s: float = Field(default=0.0, ge=0)
    repeat: AlertRepeat | None = None
    volume: Volume = 100
    title: str = ""
    replaces: list[str] = Field(default_factory=list)
    # "priority": a broadcast now order (phát ngay), played over the schedule and under any
    # emergency; with `action` "stop" it is silence for its time (dừng phát), and ends the
    # priority plays begun before it. Absent: an emergency alert, as before.
    layer: Literal["emergency", "priority"] = "emergency"
    action: Literal["play", "stop"] = "play"


class PushBlock(ServerMessage):
    """How the station hears the server between polls (DESIGN.md: push is a hint, pull is
    the truth). "websocket": the event channel of the server itself. "mqtt": the broker at
    `url`, signed in with the station's push credentials as `client_id`, subscribed to
    `topics` (the station's own and its areas'); the station publishes its acks on
    `acks_topic`, its heartbeats on `heartbeat_topic` and its presence, retained, on
    `presence_topic`."""

    transport: Literal["websocket", "mqtt"]
    url: str | None = Field(default=None, max_length=500)
    client_id: str | None = Field(default=None, max_length=100)
    topics: list[str] = Field(default_factory=list)
    acks_topic: str | None = None
    presence_topic: str | None = None
    # Heartbeats go here while connected (one in ten still over HTTP, for the clock).
    heartbeat_topic: str | None = None
    # How long the broker keeps the station's session (its subscriptions and the messages
    # it missed) while it is away.
    session_expiry_s: int = Field(default=0, ge=0)


class ManifestFile(ServerMessage):
    sha256: Sha256
    size: int = Field(ge=0)
    url: str = Field(min_length=1, max_length=2000)


class Manifest(ServerMessage):
    station_id: int
    version: int
    # The digest of the station's build: with the version it names the content, so a
    # version number reused (a station deleted and made again) never passes for the old.
    build_id: str = Field(default="", max_length=64)
    generated_at: AwareDatetime
    server_time: AwareDatetime
    timezone: str
    horizon_until: AwareDatetime
    volume_plan: list[VolumeWindow]
    items: list[ManifestItem]
    alerts: list[ManifestAlert]
    files: list[ManifestFile]
    # Whether this station plays Test and Exercise alerts (it acknowledges them anyway).
    plays_test_alerts: bool = False
    # Names what changes apart from the build (the alerts on the air, the chime,
    # plays_test_alerts, the push block): the ETag must change with them.
    alerts_digest: str = Field(default="", max_length=64)
    # None: an older server's, or push over the server's own event channel.
    push: PushBlock | None = None
    replay_windows: list[ReplayWindow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        listed = {f.sha256 for f in self.files}
        for item in self.items:
            if item.sha256 is not None and item.sha256 not in listed:
                raise ValueError(f"item {item.id} needs a file the manifest does not list")
        for alert in self.alerts:
            if {alert.sha256, alert.chime_sha256} - {None} - listed:
                raise ValueError(f"alert {alert.id} needs a file the manifest does not list")
        starts = [item.start for item in self.items]
        if starts != sorted(starts):
            raise ValueError("items are not in order of their start")
        if len({item.id for item in self.items}) != len(self.items):
            raise ValueError("two items share an id")
        return self

    def etag(self) -> str:
        return etag(self.version, self.build_id, self.alerts_digest)

    def file_hashes(self) -> set[str]:
        return {f.sha256 for f in self.files}

    def files_in_order_of_use(self) -> list[ManifestFile]:
        # Alerts' audio first: an emergency must never wait for a bulletin's download.
        first_use: dict[str, int] = {
            sha: -1 for alert in self.alerts for sha in (alert.sha256, alert.chime_sha256) if sha
        }
        for position, item in enumerate(self.items):
            if item.sha256 is not None:
                first_use.setdefault(item.sha256, position)
        return sorted(self.files, key=lambda f: first_use.get(f.sha256, len(self.items)))

    def files_by_need(self, until: datetime) -> tuple[list[ManifestFile], list[ManifestFile]]:
        """The files in order of use, split: those needed before `until` (every alert's,
        and those of items starting before it), and the rest."""
        soon = {sha for alert in self.alerts for sha in (alert.sha256, alert.chime_sha256)}
        soon |= {item.sha256 for item in self.items if item.start < until}
        ordered = self.files_in_order_of_use()
        return [f for f in ordered if f.sha256 in soon], [
            f for f in ordered if f.sha256 not in soon
        ]


class AsRunRecord(AgentMessage):
    """What happened to one item (or alert) on the station: written on the agent's disk
    before it is reported; the server stores each id once."""

    id: UUID
    item_id: str | None = Field(default=None, max_length=100)
    content_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    sha256: Sha256 | None = None
    planned_start: AwareDatetime | None = None
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    result: Result
    error: str | None = Field(default=None, max_length=2000)
    clock_offset_ms: int = Field(ge=-(10**10), le=10**10)

    @model_validator(mode="after")
    def _times(self) -> AsRunRecord:
        if self.planned_start is None and self.started_at is None:
            raise ValueError("a record needs planned_start or started_at")
        if self.result in ("played", "partial") and (
            self.started_at is None or self.ended_at is None
        ):
            raise ValueError(f"a {self.result} record needs started_at and ended_at")
        if self.started_at and self.ended_at and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self

    def occurred_at(self) -> datetime:
        moment = self.started_at or self.planned_start
        assert moment is not None  # the validator guarantees one
        return moment


class AsRunBatch(RootModel[list[AsRunRecord]]):
    root: list[AsRunRecord] = Field(min_length=1, max_length=ASRUN_BATCH_MAX)


class AsRunReply(ServerMessage):
    accepted: int
    duplicates: int


class NowPlaying(AgentMessage):
    item_id: str | None = Field(default=None, max_length=100)
    content_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    title: str | None = Field(default=None, max_length=300)
    started_at: AwareDatetime | None = None


class Heartbeat(AgentMessage):
    manifest_version: int | None = Field(default=None, ge=0)
    now_playing: NowPlaying | None = None
    clock_offset_ms: int = Field(ge=-(10**10), le=10**10)
    disk_free_bytes: int | None = Field(default=None, ge=0)
    cpu_temp_c: float | None = Field(default=None, ge=-60, le=200)
    volume: Volume | None = None
    agent_version: Annotated[str, Field(min_length=1, max_length=40)]
    uptime_s: float = Field(ge=0)
    last_error: str | None = Field(default=None, max_length=2000)
    # As-run records on the station not yet acknowledged, and the time of the oldest: the
    # server's reports say "data incomplete since" then, instead of "missed".
    asrun_pending: int | None = Field(default=None, ge=0)
    asrun_pending_since: AwareDatetime | None = None


class HeartbeatReply(ServerMessage):
    server_time: AwareDatetime
    manifest_version: int | None
    build_id: str | None = None
    alerts_digest: str | None = None


class ManifestEvent(ServerMessage):
    type: Literal["manifest"]
    version: int
    build_id: str | None = None
    alerts_digest: str | None = None


class AlertEvent(ServerMessage):
    """An alert went on the air, or was updated or cancelled. An Alert or Update carries the
    alert itself (`alert`, with the files it needs), so the station can start it before its
    next manifest; every id in `references` stops at once on the stations told."""

    type: Literal["alert"]
    alert_id: str
    msg_type: Literal["Alert", "Update", "Cancel"]
    references: list[str] = Field(default_factory=list)
    alert: ManifestAlert | None = None
    files: list[ManifestFile] = Field(default_factory=list)


class RevokedEvent(ServerMessage):
    """The station's token was revoked: the server closes the channel after this, and every
    agent route refuses the token from now on. The agent stops using the token (it sets its
    credentials aside) and needs a new enrolment code."""

    type: Literal["revoked"]


# Every message the server sends on the event channel, told apart by "type".
ServerEvent = ManifestEvent | AlertEvent | RevokedEvent
SERVER_EVENTS: TypeAdapter[ServerEvent] = TypeAdapter(
    Annotated[ServerEvent, Field(discriminator="type")]
)


class AckEvent(AgentMessage):
    """How far an alert got on the station. `at`: when, by the agent's corrected clock (an
    ack sent again after a reconnection keeps its time); the server keeps each stage's
    first."""

    type: Literal["ack"]
    alert_id: str = Field(min_length=1, max_length=200)
    stage: Stage
    at: AwareDatetime | None = None


# Every message the agent sends on the event channel (one kind so far).
AgentEvent = AckEvent


def encode_event(event: ServerEvent | AgentEvent) -> str:
    """An event channel message as sent: JSON text, without the optional fields left unset
    (every event model reads a missing optional field as None)."""
    return event.model_dump_json(by_alias=True, exclude_none=True)


def read_server_event(message: str | bytes) -> ServerEvent | None:
    """A server's event channel message, or None when its type is one this side does not
    know (a newer server's: ignored, so older agents keep working). A message that is not
    an event, or a known type that does not validate, raises ValidationError."""
    try:
        return SERVER_EVENTS.validate_json(message)
    except ValidationError as exc:
        if [error["type"] for error in exc.errors()] == ["union_tag_invalid"]:
            return None
        raise


def etag(version: int, build_id: str, alerts_digest: str = "") -> str:
    """The manifest's ETag: its version, build and alerts part, quoted as HTTP wants."""
    alerts = f"-a{alerts_digest}" if alerts_digest else ""
    return f'"v{version}-{build_id[:16]}{alerts}"'
