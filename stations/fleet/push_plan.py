"""Which push a station is told to use (the manifest's `push` block), from the settings
and the station's place in the area tree. Pure."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from stations.fleet.mqtt import topics
from stations.fleet.sources import Caller, StationAlerts
from stations.protocol import PushBlock


@dataclass(frozen=True, slots=True)
class PushPlan:
    transport: str = "websocket"
    url: str | None = None
    session_expiry_s: int = 0

    @property
    def mqtt(self) -> bool:
        return self.transport == "mqtt"

    def block(self, station_id: int, area_ids: list[int]) -> PushBlock | None:
        """The station's push block, area ids from the root down; None over the server's
        own event channel (the manifest then stays as older agents know it)."""
        if not self.mqtt:
            return None
        return PushBlock(
            transport="mqtt",
            url=self.url,
            client_id=topics.client_id(station_id),
            topics=topics.down_topics(station_id, area_ids),
            acks_topic=topics.station_acks(station_id),
            presence_topic=topics.station_presence(station_id),
            heartbeat_topic=topics.station_heartbeat(station_id),
            session_expiry_s=self.session_expiry_s,
        )

    def tag(self, area_id: int) -> str:
        """What the push block adds to the manifest's ETag: it changes with the broker and
        with the station's area (its topics)."""
        if not self.mqtt:
            return ""
        return "p" + hashlib.sha256(f"{self.url}|{area_id}".encode()).hexdigest()[:8]


def area_ids_of(path: str) -> list[int]:
    """An area's materialised path ("/1/5/23/") as ids from the root down."""
    return [int(part) for part in path.strip("/").split("/") if part]


def manifest_tag(caller: Caller, alerts: StationAlerts, plan: PushPlan) -> str:
    """The manifest's part beside its build: the alerts on the air, whether the station
    plays test alerts, and its push block."""
    tag = alerts.tag(plays_test_alerts=caller.plays_test_alerts)
    return tag + plan.tag(caller.station.area_id)
