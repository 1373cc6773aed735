"""What the home page shows each person: what waits for them, today's sessions in their
areas, stations offline, alerts on the air. Read through the domains' data functions, in
the scope the caller's roles give for each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from alerts import crud as alerts_crud
from alerts.models import Alert, AlertState, AlertType
from core.auth.permissions import Action, Principal
from core.config import Settings
from core.paging import Page
from playlists.content import crud as content_crud
from playlists.content.models import ContentItem, ContentStatus
from playlists.content.workflow import contributor_ids
from playlists.sessions import crud as sessions_crud
from playlists.sessions.models import BroadcastSession
from stations import crud as stations_crud
from stations.fleet.health import stations_public
from stations.models import StationPublic, StationStatus

SHOWN = 10  # rows of each list on the home page; the pages of each list show the rest
# Stations looked at for the offline count: a commune has 20-60, a district a few hundred.
STATIONS_LOOKED_AT = 500


@dataclass(frozen=True)
class Waiting:
    item: ContentItem
    own: bool  # the reviewer wrote or changed it: four eyes, someone else approves


@dataclass
class Home:
    to_approve: list[Waiting] = field(default_factory=list)
    to_approve_total: int = 0
    returned: list[ContentItem] = field(default_factory=list)
    sessions_today: list[BroadcastSession] = field(default_factory=list)
    offline: list[StationPublic] = field(default_factory=list)
    stations_total: int = 0
    alerts: list[Alert] = field(default_factory=list)


def home_for(
    *, session: Session, principal: Principal, settings: Settings, zone: str, now: datetime
) -> Home:
    home = Home()
    page = Page(offset=0, limit=SHOWN)
    approve = principal.scope_prefixes(Action.content_approve)
    if approve:
        items, home.to_approve_total = content_crud.list_items(
            session=session,
            prefixes=approve,
            page=page,
            filters=content_crud.ContentFilter(status=ContentStatus.submitted),
        )
        home.to_approve = [
            Waiting(i, principal.user_id in contributor_ids(i.contributors)) for i in items
        ]
    write = principal.scope_prefixes(Action.content_write)
    if write:
        home.returned, _ = content_crud.list_items(
            session=session,
            prefixes=write,
            page=page,
            filters=content_crud.ContentFilter(
                status=ContentStatus.rejected, created_by=principal.user_id
            ),
        )
    schedule = principal.scope_prefixes(Action.schedule_read)
    if schedule:
        rows, _ = sessions_crud.list_sessions(
            session=session, prefixes=schedule, page=Page(offset=0, limit=500)
        )
        today = now.astimezone(ZoneInfo(zone)).date()
        todays = [s for s in rows if s.enabled and s.recurrence.occurs_on(today)]
        home.sessions_today = sorted(todays, key=lambda s: s.start)[:SHOWN]
    stations = principal.scope_prefixes(Action.station_read)
    if stations:
        rows_s, home.stations_total = stations_crud.list_stations(
            session=session, prefixes=stations, page=Page(offset=0, limit=STATIONS_LOOKED_AT)
        )
        offline_after = timedelta(seconds=settings.station_offline_after_s)
        public = stations_public(
            session=session, stations=rows_s, now=now, offline_after=offline_after
        )
        home.offline = [s for s in public if s.status == StationStatus.offline][:SHOWN]
    alerts = principal.scope_prefixes(Action.alert_read)
    if alerts:
        rows_a, _ = alerts_crud.list_alerts(
            session=session, prefixes=alerts, page=Page(offset=0, limit=100)
        )
        home.alerts = [a for a in rows_a if _on_air(a, now)][:SHOWN]
    return home


def _on_air(alert: Alert, now: datetime) -> bool:
    if alert.state != AlertState.issued.value or alert.msg_type == AlertType.cancel.value:
        return False
    return alert.expires is None or alert.expires > now
