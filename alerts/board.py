"""The alerts on the air, held in memory: every poll and heartbeat asks which alerts a
station holds, and that must not cost a query.

The board reloads itself when the alert table changes: at once in the process that issued
or ended an alert (`changed()`), on a PostgreSQL notification in the others (alerts/
notify.py), and at the latest after `interval_s` by a cheap fingerprint query, which is also
what keeps several processes right without PostgreSQL. Each reload compares what is on the
air with the last one and pushes the difference to the agents connected here: a new Alert
or Update with its content (the station starts it before its next manifest), and a Cancel
or a replacement to the stations whose alert ended. The manifest stays the truth; the push
is the fast path.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from sqlalchemy import func
from sqlmodel import Session, col, select

from alerts.crud import active_alerts
from alerts.models import Alert, AlertDelivery, AlertState, AlertType
from core.clock import Clock
from core.db import Database
from stations.fleet.push import AlertReach, Push
from stations.fleet.sources import StationAlerts
from stations.protocol import FILES_PATH, AlertEvent, ManifestAlert, ManifestFile
from stations.reach import stations_reached

log = logging.getLogger(__name__)

NO_ALERTS = StationAlerts()


class ChimeFile(Protocol):
    """The attention chime played before each repetition (alerts/chime.py)."""

    @property
    def sha256(self) -> str: ...

    @property
    def duration_s(self) -> float: ...

    @property
    def size_bytes(self) -> int: ...


@dataclass(frozen=True, slots=True)
class OnAir:
    """One alert on the air: what agents get, and where."""

    alert: ManifestAlert
    files: tuple[ManifestFile, ...]
    stations: frozenset[int]
    digest: str
    # The alert's target areas, and the stations it reaches outside them (its groups' and
    # stations' own, or moved away since): a transport with area topics publishes to these.
    areas: tuple[int, ...] = ()
    outside: frozenset[int] = frozenset()

    def reach(self, stations: frozenset[int] | None = None) -> AlertReach:
        """The push's reach: everyone, or only `stations` (station by station)."""
        if stations is not None:
            return AlertReach.of_stations(sorted(stations))
        return AlertReach(sorted(self.stations), self.areas, sorted(self.outside))


@dataclass(frozen=True)
class Snapshot:
    fingerprint: tuple[Any, ...] | None = None
    on_air: dict[str, OnAir] = field(default_factory=dict)  # by identifier
    by_station: dict[int, tuple[str, ...]] = field(default_factory=dict)


def _going_on(identifier: str, one: OnAir) -> AlertEvent:
    """The push that an alert (or an Update) is on the air, carrying it and its files."""
    return AlertEvent(
        type="alert",
        alert_id=identifier,
        msg_type="Update" if one.alert.replaces else "Alert",
        references=list(one.alert.replaces),
        alert=one.alert,
        files=list(one.files),
    )


class AlertBoard:
    def __init__(
        self,
        *,
        database: Database,
        events: Push,
        clock: Clock,
        interval_s: float = 1.0,
        notify: Callable[[], None] = lambda: None,
        before_push: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._events = events
        self._clock = clock
        self._chime: ChimeFile | None = None
        self._chime_file: ManifestFile | None = None
        self._interval_s = interval_s
        self._notify = notify
        # The process's choice (core/collector.py): the board only says when a push starts.
        self._before_push = before_push
        self._snapshot = Snapshot()
        self._views: dict[tuple[str, ...], StationAlerts] = {}
        self._refreshing = threading.Lock()
        self._kick = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def use_chime(self, chime: ChimeFile | None) -> None:
        """Set at startup, before the board loads: every alert then carries it, and every
        station's manifest lists its file, so it is cached before any alert needs it."""
        self._chime = chime
        self._chime_file = _file(chime.sha256, chime.size_bytes) if chime else None
        self._views = {}

    # reading: the hot path ------------------------------------------------------------

    def for_station(self, station_id: int, now: datetime) -> StationAlerts:
        snapshot = self._snapshot
        held = snapshot.by_station.get(station_id, ())
        live = tuple(i for i in held if snapshot.on_air[i].alert.expires > now)
        view = self._views.get(live)
        if view is None:
            view = self._views[live] = self._view([snapshot.on_air[i] for i in live])
        return view

    def _view(self, on_air: list[OnAir]) -> StationAlerts:
        if not on_air and self._chime_file is None:
            return NO_ALERTS
        files = {f.sha256: f for one in on_air for f in one.files}
        if self._chime_file is not None:
            files[self._chime_file.sha256] = self._chime_file
        parts = [one.digest for one in on_air] + [self._chime.sha256 if self._chime else ""]
        return StationAlerts(
            alerts=tuple(one.alert for one in on_air),
            files=tuple(files[sha] for sha in sorted(files)),
            digest=hashlib.sha256("|".join(parts).encode()).hexdigest()[:16],
        )

    # reloading ---------------------------------------------------------------------------

    def changed(self) -> None:
        """This process issued or ended an alert (committed): push it now, and tell the
        other processes."""
        try:
            self.refresh(force=True)
        except Exception:  # on the air all the same: the loop pushes it as soon as it can
            log.exception("alerts: pushing the change at once failed; retrying shortly")
            self.kick()
        try:
            self._notify()
        except Exception:  # the others catch up by the fingerprint within a second
            log.exception("alerts: could not notify the other server processes")

    def kick(self) -> None:
        """Another process changed the alerts: reload soon, off the caller's thread."""
        self._kick.set()

    def refresh(self, *, force: bool = False) -> None:
        with self._refreshing, self._database.session() as session:
            fingerprint = tuple(session.exec(_FINGERPRINT).one())
            previous = self._snapshot
            if not force and fingerprint == previous.fingerprint:
                return
            snapshot = self._load(session, fingerprint)
            gone = [previous.on_air[i] for i in previous.on_air.keys() - snapshot.on_air.keys()]
            endings = _endings(session, [one.alert.id for one in gone])
            self._snapshot, self._views = snapshot, {}
        if previous.fingerprint is not None:  # the first load pushes nothing
            self._publish(previous, snapshot, gone, endings)

    def _load(self, session: Session, fingerprint: tuple[Any, ...]) -> Snapshot:
        alerts = active_alerts(session=session, now=self._clock.now())
        stations: dict[int, set[int]] = {a.id: set() for a in alerts if a.id is not None}
        if stations:
            query = select(AlertDelivery.alert_id, AlertDelivery.station_id).where(
                col(AlertDelivery.alert_id).in_(list(stations))
            )
            for alert_id, station_id in session.exec(query).all():
                stations[alert_id].add(station_id)
        on_air = {}
        below: dict[tuple[int, ...], set[int]] = {}
        for alert in alerts:
            try:
                reached = frozenset(stations[alert.id or 0])
                areas = tuple(sorted(alert.target_ids().areas))
                if areas not in below:
                    below[areas] = stations_reached(session=session, area_ids=areas)
                one = self._on_air(alert, reached)
                on_air[alert.identifier] = replace(one, areas=areas, outside=reached - below[areas])
            except (ValueError, KeyError):  # one bad row must not keep the others off the air
                log.exception("alerts: alert #%s cannot go out to agents", alert.id)
        by_station: dict[int, list[str]] = {}
        for identifier, one in sorted(on_air.items(), key=lambda kv: (kv[1].alert.starts, kv[0])):
            for station_id in one.stations:
                by_station.setdefault(station_id, []).append(identifier)
        return Snapshot(fingerprint, on_air, {s: tuple(ids) for s, ids in by_station.items()})

    def _on_air(self, alert: Alert, stations: frozenset[int]) -> OnAir:
        order = alert.order_action is not None  # broadcast now: no attention chime
        chime = None if order else self._chime
        manifest_alert = ManifestAlert(
            id=alert.identifier,
            status=alert.status,
            starts=alert.starts,
            expires=alert.expires,
            sha256=alert.sha256,
            duration_s=alert.duration_s,
            chime_sha256=chime.sha256 if chime else None,
            chime_duration_s=chime.duration_s if chime else 0.0,
            repeat=json.loads(alert.repeat) if alert.repeat else None,
            volume=alert.volume,
            title=alert.headline,
            replaces=alert.replaced_identifiers()
            if alert.msg_type == AlertType.update.value
            else [],
            layer="priority" if order else "emergency",
            action="stop" if alert.order_action == "stop" else "play",
        )
        files = [_file(alert.sha256, alert.size_bytes)] if alert.sha256 else []
        if self._chime_file is not None and not order:
            files.append(self._chime_file)
        digest = hashlib.sha256(manifest_alert.model_dump_json().encode()).hexdigest()[:16]
        return OnAir(manifest_alert, tuple(files), stations, digest)

    # pushing -----------------------------------------------------------------------------

    def _publish(
        self,
        previous: Snapshot,
        current: Snapshot,
        gone: list[OnAir],
        endings: dict[str, tuple[str, str]],
    ) -> None:
        if current.on_air.keys() != previous.on_air.keys():
            self._before_push()
        for identifier in current.on_air.keys() - previous.on_air.keys():
            one = current.on_air[identifier]
            self._events.publish_alert(_going_on(identifier, one), one.reach())
        for ended in gone:
            ending = endings.get(ended.alert.id)
            if ending is None:
                continue  # expired: every station knows when on its own
            by, kind = ending
            told = current.on_air[by].stations if by in current.on_air else frozenset()
            event = AlertEvent(
                type="alert",
                alert_id=by,
                msg_type="Cancel" if kind == AlertType.cancel.value else "Update",
                references=[ended.alert.id],
            )
            # Told station by station: those an Update now holds hear it from the Update.
            reach = ended.reach() if not told else ended.reach(ended.stations - told)
            self._events.publish_alert(event, reach)

    def republish(self, push: Push) -> None:
        """Every alert on the air again, through `push` alone: its connection to the
        broker came back, and what it published while the connection was going may be
        lost. Agents already holding an alert take it again as the same."""
        snapshot = self._snapshot
        for identifier, one in snapshot.on_air.items():
            if one.alert.expires > self._clock.now():
                push.publish_alert(_going_on(identifier, one), one.reach())

    # the background loop ---------------------------------------------------------------

    def start(self) -> None:
        self._refresh_logged(force=True)  # a database still down is retried by the loop
        self._thread = threading.Thread(target=self._run, name="alert-board", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._kick.wait(self._interval_s)
            self._kick.clear()
            if self._stop.is_set():
                return
            self._refresh_logged()

    def _refresh_logged(self, *, force: bool = False) -> None:
        try:
            self.refresh(force=force)
        except Exception:
            log.exception("alerts: reloading the alerts on the air failed; again shortly")


# Changes whenever an alert is issued or ended, by any process.
_FINGERPRINT = select(func.count(), func.max(Alert.issued_at), func.max(Alert.ended_at)).where(
    col(Alert.issued_at).is_not(None)
)


def _endings(session: Session, identifiers: Iterable[str]) -> dict[str, tuple[str, str]]:
    """For alerts that left the air: the identifier and type of the alert that ended them
    (absent: they expired)."""
    wanted = list(identifiers)
    if not wanted:
        return {}
    query = select(Alert.identifier, Alert.state, Alert.ended_by).where(
        col(Alert.identifier).in_(wanted)
    )
    rows = session.exec(query).all()
    ended = {i: by for i, state, by in rows if by is not None and state in _ENDED}
    enders = select(Alert.id, Alert.identifier, Alert.msg_type).where(
        col(Alert.id).in_(list(ended.values()))
    )
    by_id = {row[0]: (row[1], row[2]) for row in session.exec(enders).all()}
    return {i: by_id[by] for i, by in ended.items() if by in by_id}


_ENDED = (AlertState.cancelled.value, AlertState.superseded.value)


async def get_board(request: Request) -> AlertBoard:
    board: AlertBoard = request.app.state.alerts
    return board


AlertBoardDep = Annotated[AlertBoard, Depends(get_board)]


def _file(sha256: str, size: int) -> ManifestFile:
    return ManifestFile(sha256=sha256, size=size, url=f"{FILES_PATH}/{sha256}")
