"""The agent load benchmark's fleet: a migrated database of enrolled stations with built
playlists, made through the real data functions (setup, not measured).

An area tree (Việt Nam → one province → a commune per 30 stations), an operator and an
approver, one approved audio item whose file (random bytes: the protocol does not care) is
in the server's storage, a daily session per commune with the item queued, the stations,
each enrolled with a one-time code, and the keeper's first build. The tokens stay in memory
for the load generator.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import inspect
from sqlmodel import Session, select

from core.areas.crud import create_area, create_root_area
from core.areas.models import AreaCreate
from core.audit.chain import Actor
from core.auth.models import Role, RoleGrant, UserCreate
from core.auth.users import create_user
from core.clock import SystemClock
from core.db import Database
from migrations.upgrade import upgrade
from playlists.builder.recurrence import Recurrence, Repeat
from playlists.content import crud as content_crud
from playlists.content.models import ContentItem, ContentKind, ContentMeta
from playlists.content.storage import LocalStorage
from playlists.content.workflow import Step
from playlists.sessions import crud as session_crud
from playlists.sessions import queue
from playlists.sessions.models import QueueIn, SessionIn
from playlists.timelines.models import StationBuild
from scheduler.keeper import PlaylistKeeper
from stations import crud as station_crud
from stations.fleet import enrolment
from stations.models import Station, StationCreate
from stations.protocol import EnrollRequest

STATIONS_PER_COMMUNE = 30
AUDIO_BYTES = 240_000  # 30 s of 64 kbps audio
AUDIO_SECONDS = 30.0
TIMEZONE = "Asia/Ho_Chi_Minh"
HORIZON_DAYS = 7  # the server's default (config.yaml), so its keeper finds the build current
DAILY = Recurrence(repeat=Repeat.daily)
SETUP = Actor(id=None, name="benchmark-setup")

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Enrolled:
    station_id: int
    token: str


@dataclass(frozen=True, slots=True)
class Fleet:
    stations: list[Enrolled]  # for the load generator
    spare: list[Enrolled]  # for the real agents of the footprint measurement
    sha256: str


def require_empty(url: str) -> None:
    database = Database(url)
    try:
        tables = inspect(database.engine).get_table_names()
    finally:
        database.dispose()
    if tables:
        raise SystemExit(
            f"the database {url.split('@')[-1]} is not empty ({len(tables)} tables): "
            "give an empty one (CREATE DATABASE …), the benchmark migrates it"
        )


def build_fleet(
    url: str,
    data_dir: Path,
    stations: int,
    spare: int,
    say: Say,
    *,
    per_commune: int = STATIONS_PER_COMMUNE,
) -> Fleet:
    """Migrate the empty database at `url` and fill it; the file goes to data_dir's storage.
    The stations fill communes of `per_commune` each, in order (the spare ones last)."""
    require_empty(url)
    say("migrating")
    upgrade(url)
    database = Database(url)
    now = SystemClock().now()
    try:
        say(f"areas, users, content and {stations + spare} stations")
        with database.session(write=True) as session:
            root, people, communes = _people_and_areas(session, stations + spare, per_commune, now)
            sha = _stored_audio(session, data_dir, root, people, now)
            station_ids = _stations_and_sessions(
                session, communes, stations + spare, per_commune, sha, now
            )
            session.commit()
        say("enrolling the stations")
        tokens = _enrol(database, station_ids, now)
        say("building the playlists (the keeper's first tick)")
        keeper = PlaylistKeeper(
            database=database, clock=SystemClock(), horizon_days=HORIZON_DAYS, timezone=TIMEZONE
        )
        report = keeper.tick()
        assert report is not None and report.full, "the first tick builds everything"
        with database.session() as session:
            built = set(session.exec(select(StationBuild.station_id)).all())
    finally:
        database.dispose()
    missing = [s for s in station_ids if s not in built]
    if missing:
        raise RuntimeError(f"{len(missing)} station(s) got no build, e.g. #{missing[0]}")
    fleet = [Enrolled(s, tokens[s]) for s in station_ids]
    return Fleet(stations=fleet[:stations], spare=fleet[stations:], sha256=sha)


def _people_and_areas(
    session: Session, stations: int, per_commune: int, now: datetime
) -> tuple[int, tuple[Actor, Actor], list[int]]:
    """The area tree (root id, commune ids) and an operator and an approver at the root."""
    root = create_root_area(
        session=session,
        name="Việt Nam",
        level="country",
        code=None,
        timezone=TIMEZONE,
        actor=SETUP,
        now=now,
    )
    assert root.id is not None
    province = create_area(
        session=session,
        area_in=AreaCreate(parent_id=root.id, name="Tỉnh Thử", level="province"),
        actor=SETUP,
        now=now,
    )
    assert province.id is not None
    communes = []
    for number in range(-(-stations // per_commune)):
        commune = create_area(
            session=session,
            area_in=AreaCreate(parent_id=province.id, name=f"Xã {number + 1}", level="commune"),
            actor=SETUP,
            now=now,
        )
        assert commune.id is not None
        communes.append(commune.id)
    actors = []
    for role in (Role.operator, Role.approver):
        user = create_user(
            session=session,
            user_in=UserCreate(
                username=f"bench_{role.value}",
                area_id=root.id,
                password=secrets.token_urlsafe(16),
                roles=[RoleGrant(role=role, area_id=root.id)],
            ),
            actor=SETUP,
            now=now,
        )
        actors.append(Actor(id=user.id, name=user.username))
    return root.id, (actors[0], actors[1]), communes


def _stored_audio(
    session: Session,
    data_dir: Path,
    area_id: int,
    people: tuple[Actor, Actor],
    now: datetime,
) -> str:
    """An approved audio item, its file in the server's storage (data_dir/content)."""
    data = os.urandom(AUDIO_BYTES)
    sha = hashlib.sha256(data).hexdigest()
    with tempfile.NamedTemporaryFile(dir=data_dir, delete=False) as handle:
        handle.write(data)
    LocalStorage(data_dir / "content").put(Path(handle.name), sha)
    operator, approver = people
    new = content_crud.NewItem(
        kind=ContentKind.audio, meta=ContentMeta(title="Bản tin thử", area_id=area_id)
    )
    item = content_crud.create_item(session=session, new=new, actor=operator, now=now)
    item.sha256, item.duration_s, item.size_bytes = sha, AUDIO_SECONDS, AUDIO_BYTES
    content_crud.apply_step(session=session, item=item, step=Step.submit, actor=operator, now=now)
    content_crud.apply_step(session=session, item=item, step=Step.approve, actor=approver, now=now)
    return sha


def _stations_and_sessions(
    session: Session,
    communes: list[int],
    stations: int,
    per_commune: int,
    sha: str,
    now: datetime,
) -> list[int]:
    item = session.exec(select(ContentItem).where(ContentItem.sha256 == sha)).one()
    assert item.id is not None
    ids: list[int] = []
    for number, commune in enumerate(communes):
        found = session_crud.create_session(
            session=session,
            session_in=SessionIn(
                name="Phiên sáng",
                area_id=commune,
                target_area_ids=[commune],
                start=time(5, 30),
                max_length_s=30 * 60,
                recurrence=DAILY,
            ),
            actor=SETUP,
            now=now,
        )
        assert found.id is not None
        queue.create_entry(
            session=session,
            content=item,
            entry_in=QueueIn(content_id=item.id, session_id=found.id, recurrence=DAILY),
            actor=Actor(id=item.created_by, name="bench_operator"),
            now=now,
        )
        first = number * per_commune
        for index in range(first, min(first + per_commune, stations)):
            station = station_crud.create_station(
                session=session,
                station_in=StationCreate(name=f"Cụm loa {index + 1}", area_id=commune),
                actor=SETUP,
                now=now,
            )
            assert station.id is not None
            ids.append(station.id)
    return ids


def _enrol(database: Database, station_ids: list[int], now: datetime) -> dict[int, str]:
    """A one-time code for each station, traded for its token, as an agent would."""
    tokens: dict[int, str] = {}
    with database.session(write=True) as session:
        for station_id in station_ids:
            station = session.get(Station, station_id)
            assert station is not None
            code, _ = enrolment.create_code(
                session=session, station=station, actor=SETUP, now=now, ttl=timedelta(hours=1)
            )
            request = EnrollRequest(
                code=code, hardware_id=f"bench-pi-{station_id}", agent_version="benchmark"
            )
            enrolled = enrolment.redeem_code(session=session, request=request, now=now)
            tokens[station_id] = enrolled.token
        session.commit()
    return tokens
