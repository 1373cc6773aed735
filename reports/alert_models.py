"""What the alert delivery report answers (API models)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from alerts.models import AlertState, AlertStatus, AlertType
from core.models import OutputModel


class LatencySpread(OutputModel):
    median_s: float | None = Field(description="median over the stations that got this far")
    p95_s: float | None = Field(
        description="95th percentile (nearest rank); only when 20 or more stations got this far"
    )
    max_s: float | None = Field(description="the slowest station that got this far")


class AlertDeliverySummary(OutputModel):
    id: int
    identifier: str = Field(description="the alert's CAP identifier")
    sender: str = Field(description="its CAP sender (an alert made here: its operator)")
    language: str = Field(description="the language of what it says, as sent (e.g. de-DE)")
    headline: str
    msg_type: AlertType
    status: AlertStatus
    state: AlertState
    area_id: int = Field(description="the area whose operators manage the alert")
    issued_at: datetime | None
    ended_at: datetime | None = Field(description="when an Update or Cancel ended it")
    targeted: int = Field(description="stations the alert reached when it was issued")
    received: int = Field(description="stations that acknowledged receiving it")
    started: int = Field(description="stations that said it started playing")
    never_acknowledged: int = Field(
        description="stations with no acknowledgement alert_ack_timeout_s after it was issued"
    )
    to_received: LatencySpread = Field(description="seconds from issue to received")
    to_started: LatencySpread = Field(description="seconds from issue to started")


class StationDeliveryPublic(OutputModel):
    station_id: int
    station_name: str | None = Field(description="None for a station deleted since")
    received_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None = Field(description="its audio heard to the end once")
    to_received_s: float | None = Field(description="seconds from the alert's issue")
    to_started_s: float | None = Field(description="seconds from the alert's issue")
    never_acknowledged: bool = Field(
        description="no acknowledgement alert_ack_timeout_s after the alert was issued: "
        "call the station"
    )


class AlertDeliveryReport(OutputModel):
    summary: AlertDeliverySummary
    stations: list[StationDeliveryPublic] = Field(description="in station order")


class AlertDeliverySummaries(OutputModel):
    data: list[AlertDeliverySummary]
    count: int
