"""Push, the server's side, behind one interface (DESIGN.md: push is a hint, pull is the
truth): the built-in WebSocket event channel (stations/fleet/events.py) in every process,
and MQTT through Mosquitto (stations/fleet/mqtt/) where the settings say so. The playlist
keeper, the alert board and the revocation route publish through `Push` and never know
which transports carry it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import Depends, Request

from stations.protocol import AlertEvent


@dataclass(frozen=True, slots=True)
class AlertReach:
    """Who an alert event is for: every station (`stations`), and the same as areas whose
    whole subtrees are among them (`areas`) plus the stations outside those (`outside`). A
    transport with area topics publishes once per area and once per station outside."""

    stations: Sequence[int]
    areas: Sequence[int] = ()
    outside: Sequence[int] = field(default=())

    @classmethod
    def of_stations(cls, stations: Sequence[int]) -> AlertReach:
        return cls(stations=stations, outside=stations)


class Push(Protocol):
    def publish_manifests(self, builds: Mapping[int, tuple[int, str]]) -> None:
        """Each station's manifest has a new build (version, build id)."""

    def publish_alert(self, event: AlertEvent, reach: AlertReach) -> None:
        """An alert went on the air, was updated or cancelled."""

    def revoke(self, station_id: int) -> None:
        """The station's token was revoked (or the station removed): tell it, and close
        its connections."""

    def moved(self, station_id: int) -> None:
        """The station moved to another area: what it may hear must follow."""


class Pushes:
    """Every transport in use, as one."""

    def __init__(self, *transports: Push) -> None:
        self._transports = transports

    def publish_manifests(self, builds: Mapping[int, tuple[int, str]]) -> None:
        for transport in self._transports:
            transport.publish_manifests(builds)

    def publish_alert(self, event: AlertEvent, reach: AlertReach) -> None:
        for transport in self._transports:
            transport.publish_alert(event, reach)

    def revoke(self, station_id: int) -> None:
        for transport in self._transports:
            transport.revoke(station_id)

    def moved(self, station_id: int) -> None:
        for transport in self._transports:
            transport.moved(station_id)


async def get_push(request: Request) -> Push:
    push: Push = request.app.state.push
    return push


PushDep = Annotated[Push, Depends(get_push)]
