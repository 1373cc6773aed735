"""The agent memory benchmark's setup (not measured): a migrated SQLite database with one
commune per measured agent (so one agent's session never plays on another's station), each
commune with one station and a one-time enrolment code for it, an operator and an approver,
and one approved bulletin of real audio (pink noise through the normal ingest, so the agent's
VLC decodes Opus as it does on air). `schedule` queues the bulletin into a session of a
commune starting at a given moment, through the same data functions an operator's request
goes through; the running server's scheduler builds it and tells the agent."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from audio.ffmpeg import run_ffmpeg
from audio.ingest import IngestSettings, ingest_file
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
from stations import crud as station_crud
from stations.fleet import enrolment
from stations.models import Station, StationCreate

TIMEZONE = "Asia/Ho_Chi_Minh"
SETUP = Actor(id=None, name="benchmark-setup")
DAILY = Recurrence(repeat=Repeat.daily)


@dataclass(frozen=True, slots=True)
class Commune:
    area_id: int
    station_id: int
    code: str  # the station's one-time enrolment code, for the agent's --enroll


@dataclass(frozen=True, slots=True)
class Stage:
    url: str
    communes: list[Commune]
    content_id: int
    sha256: str
    audio: Path  # the bulletin's stored file (Opus), which the baselines play too
    seconds: float
    operator: Actor


def prepare(url: str, data_dir: Path, communes: int, seconds: float) -> Stage:
    """Migrate the empty SQLite database at `url` and fill it; the file goes to data_dir's
    storage (data_dir/content), where the server started on data_dir finds it."""
    upgrade(url)
    database = Database(url)
    now = SystemClock().now()
    try:
        with database.session(write=True) as session:
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
            people = []
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
                people.append(Actor(id=user.id, name=user.username))
            operator, approver = people
            storage = LocalStorage(data_dir / "content")
            item = _bulletin(session, data_dir, storage, root.id, operator, approver, seconds, now)
            made = [_commune(session, root.id, number, now) for number in range(communes)]
            session.commit()
            assert item.id is not None and item.sha256 is not None
            return Stage(
                url=url,
                communes=made,
                content_id=item.id,
                sha256=item.sha256,
                audio=storage.path(item.sha256),
                seconds=item.duration_s or seconds,
                operator=operator,
            )
    finally:
        database.dispose()


def _bulletin(
    session: Session,
    data_dir: Path,
    storage: LocalStorage,
    area_id: int,
    operator: Actor,
    approver: Actor,
    seconds: float,
    now: datetime,
) -> ContentItem:
    work = data_dir / "bulletin"
    work.mkdir(parents=True, exist_ok=True)
    source = work / "noise.wav"
    noise = f"anoisesrc=d={seconds}:c=pink:a=0.2:r=48000:s=7"
    run_ffmpeg(["-v", "error", "-f", "lavfi", "-i", noise, "-y", str(source)], work_dir=work)
    # Noise is never silent, so trimming leaves it whole; the ingest makes the Opus file.
    audio = ingest_file(source=source, work_dir=work, settings=IngestSettings())
    storage.put(audio.output, audio.sha256)
    new = content_crud.NewItem(
        kind=ContentKind.audio, meta=ContentMeta(title="Bản tin đo bộ nhớ", area_id=area_id)
    )
    item = content_crud.create_item(session=session, new=new, actor=operator, now=now)
    item.sha256, item.duration_s, item.size_bytes = (
        audio.sha256,
        audio.duration_s,
        audio.size_bytes,
    )
    content_crud.apply_step(session=session, item=item, step=Step.submit, actor=operator, now=now)
    content_crud.apply_step(session=session, item=item, step=Step.approve, actor=approver, now=now)
    session.flush()
    return item


def _commune(session: Session, root_id: int, number: int, now: datetime) -> Commune:
    commune = create_area(
        session=session,
        area_in=AreaCreate(parent_id=root_id, name=f"Xã đo {number + 1}", level="commune"),
        actor=SETUP,
        now=now,
    )
    assert commune.id is not None
    station = station_crud.create_station(
        session=session,
        station_in=StationCreate(name=f"Cụm loa đo {number + 1}", area_id=commune.id),
        actor=SETUP,
        now=now,
    )
    assert station.id is not None
    session.flush()
    found = session.get(Station, station.id)
    assert found is not None
    code, _ = enrolment.create_code(
        session=session, station=found, actor=SETUP, now=now, ttl=timedelta(hours=24)
    )
    return Commune(area_id=commune.id, station_id=station.id, code=code)


def schedule(stage: Stage, commune: Commune, start: datetime) -> None:
    """A daily session in `commune` starting at `start` (whole seconds, local time) with
    the bulletin queued in it, as an operator would make it."""
    local = start.astimezone(ZoneInfo(TIMEZONE))
    now = datetime.now(UTC)
    database = Database(stage.url)
    try:
        with database.session(write=True) as session:
            found = session_crud.create_session(
                session=session,
                session_in=SessionIn(
                    name=f"Phiên đo {commune.station_id}",
                    area_id=commune.area_id,
                    target_area_ids=[commune.area_id],
                    start=local.time().replace(microsecond=0),
                    max_length_s=max(60, int(stage.seconds) + 60),
                    recurrence=DAILY,
                ),
                actor=SETUP,
                now=now,
            )
            assert found.id is not None
            item = session.get(ContentItem, stage.content_id)
            assert item is not None
            queue.create_entry(
                session=session,
                content=item,
                entry_in=QueueIn(
                    content_id=stage.content_id, session_id=found.id, recurrence=DAILY
                ),
                actor=stage.operator,
                now=now,
            )
            session.commit()
    finally:
        database.dispose()
