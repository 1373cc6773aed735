"""The alert fan-out benchmark's setup (not measured): its own database, and in it the agent
load benchmark's fleet (benchmarks/agent_load_setup.py) with every station in one commune,
real approved audio for each alert (a short tone, its pitch different each time, through the
normal ingest: the real agent's VLC plays it, and has to fetch it first, as with a new
bulletin), and an issuer holding operator and approver rights at the
root, whose password the benchmark keeps to sign in."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlmodel import Session, col, select

from audio.ffmpeg import run_ffmpeg
from audio.ingest import IngestSettings, ingest_file
from benchmarks.agent_load_setup import Enrolled, Say, build_fleet
from core.areas.models import Area
from core.audit.chain import Actor
from core.auth.models import Role, RoleGrant, UserCreate
from core.auth.users import create_user, get_user_by_name
from core.clock import SystemClock
from core.db import Database
from playlists.content import crud as content_crud
from playlists.content.models import ContentKind, ContentMeta
from playlists.content.storage import LocalStorage
from playlists.content.workflow import Step
from stations.models import Station

ISSUER = "bench_issuer"
TONE_S = 3.0  # the alert's audio: long enough to be heard starting, short enough to end soon
TONE_HZ = 440
TONE_STEP_HZ = 20


@dataclass(frozen=True, slots=True)
class Stage:
    stations: list[Enrolled]  # the simulated agents'
    real: Enrolled | None  # the real agent's station, in the same commune
    commune_id: int
    content_ids: list[int]  # approved audio, one for each alert
    username: str
    password: str


@contextmanager
def bench_database(backend: str, admin_url: str, folder: Path, say: Say) -> Iterator[str]:
    """The benchmark's database: a SQLite file in its folder, or a PostgreSQL database of
    its own made next to `admin_url`'s and dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'loaxa.db'}"
    else:
        with own_database(admin_url, say) as url:
            yield url


@contextmanager
def own_database(admin_url: str, say: Say) -> Iterator[str]:
    """A new PostgreSQL database on the server `admin_url` points at, dropped afterwards:
    the given database itself is only used to create and drop it."""
    base = make_url(admin_url)
    name = f"loaxa_bench_fanout_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        say(f"created database {name}")
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            say(f"dropped database {name}")
    finally:
        admin.dispose()


def prepare(
    url: str, data_dir: Path, agents: int, *, alerts: int, real_agent: bool, say: Say
) -> Stage:
    """Migrate the empty database at `url` and fill it; files go to data_dir's storage."""
    spare = 1 if real_agent else 0
    fleet = build_fleet(url, data_dir, agents, spare, say, per_commune=agents + spare)
    say(f"audio for {alerts} alert(s), and their issuer")
    database = Database(url)
    now = SystemClock().now()
    password = secrets.token_urlsafe(16)
    try:
        with database.session(write=True) as session:
            station = session.get(Station, fleet.stations[0].station_id)
            assert station is not None
            root = session.exec(select(Area.id).where(col(Area.parent_id).is_(None))).one()
            assert root is not None
            content_ids = [_alert_audio(session, data_dir, root, n, now) for n in range(alerts)]
            create_user(
                session=session,
                user_in=UserCreate(
                    username=ISSUER,
                    area_id=root,
                    password=password,
                    roles=[
                        RoleGrant(role=Role.operator, area_id=root),
                        RoleGrant(role=Role.approver, area_id=root),
                    ],
                ),
                actor=Actor(id=None, name="benchmark-setup"),
                now=now,
            )
            session.commit()
    finally:
        database.dispose()
    return Stage(
        stations=fleet.stations,
        real=fleet.spare[0] if fleet.spare else None,
        commune_id=station.area_id,
        content_ids=content_ids,
        username=ISSUER,
        password=password,
    )


def _people(session: Session) -> tuple[Actor, Actor]:
    """The fleet's operator and approver (agent_load_setup made them)."""
    found = []
    for name in ("bench_operator", "bench_approver"):
        user = get_user_by_name(session=session, username=name)
        assert user is not None, name
        found.append(Actor(id=user.id, name=user.username))
    return found[0], found[1]


def _alert_audio(session: Session, data_dir: Path, area_id: int, number: int, now: datetime) -> int:
    """A short tone (its pitch by `number`, so each is a new file), ingested as any upload
    is, stored, drafted by the operator and approved by the approver."""
    work = data_dir / "alert-audio"
    work.mkdir(parents=True, exist_ok=True)
    source = work / "tone.wav"
    hertz = TONE_HZ + TONE_STEP_HZ * number
    tone = f"sine=frequency={hertz}:sample_rate=48000:duration={TONE_S}"
    run_ffmpeg(["-v", "error", "-f", "lavfi", "-i", tone, "-y", str(source)], work_dir=work)
    audio = ingest_file(source=source, work_dir=work, settings=IngestSettings())
    LocalStorage(data_dir / "content").put(audio.output, audio.sha256)
    operator, approver = _people(session)
    new = content_crud.NewItem(
        kind=ContentKind.audio,
        meta=ContentMeta(title=f"Bản tin khẩn cấp thử {number + 1}", area_id=area_id),
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
    assert item.id is not None
    return item.id
