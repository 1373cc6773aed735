"""The pages benchmark's setup (not measured): one commune's library and stations, made
through the real data functions, so the audit chain, the workflow fields and the indexes are
what a year of real use leaves behind.

Việt Nam → Tỉnh Thử → Xã Thử, and in the commune: two clerks who each hold operator and
approver rights (each item is written by one and reviewed by the other: four eyes; the
first is the commune's administrator too, for the administration pages), the
library (`items` items: 3 of them real audio, a tone of `audio_s` made by ffmpeg and ingested
as an upload is, so the item page has a player; the rest relays and audio whose files are
not needed, since the list's players preload nothing), in a mix of statuses (three in four
approved, one in twenty waiting for approval, one in twenty returned with a reason, the rest
drafts), two daily sessions, and `stations` stations, a fifth of them enrolled and silent
for a day (so the home page lists clusters offline).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session

from audio.ffmpeg import run_ffmpeg
from audio.ingest import IngestResult, IngestSettings, ingest_file
from core.areas.crud import create_area, create_root_area
from core.areas.models import AreaCreate
from core.audit.chain import Actor
from core.auth.models import Role, RoleGrant, UserCreate
from core.auth.users import create_user
from core.db import Database
from playlists.builder.recurrence import Recurrence, Repeat
from playlists.content import crud as content_crud
from playlists.content.models import ContentItem, ContentKind, ContentMeta, Tier
from playlists.content.storage import LocalStorage
from playlists.content.workflow import Step
from playlists.sessions import crud as session_crud
from playlists.sessions.models import SessionIn
from stations import crud as station_crud
from stations.fleet import enrolment
from stations.fleet.models import StationAgent
from stations.models import StationCreate
from stations.protocol import EnrollRequest

TIMEZONE = "Asia/Ho_Chi_Minh"
SETUP = Actor(id=None, name="benchmark-setup")
REAL_AUDIO = 3  # items with a real file: the last one is the item page measured
BATCH = 500  # items a transaction
OFFLINE_SHARE = 5  # one station in five enrolled and silent for a day
VIEWER = "bench_clerk"  # who signs in to the pages and the API
OTHER = "bench_colleague"
SUBJECTS = (
    "Thông báo lịch tiêm chủng vắc-xin phòng bệnh sởi cho trẻ em",
    "Tuyên truyền phòng chống cháy rừng mùa khô",
    "Kế hoạch thu hoạch lúa vụ đông xuân và phòng chống sâu bệnh",
    "Thông báo lịch cắt điện để bảo dưỡng đường dây",
    "Hướng dẫn đăng ký thường trú và tạm trú trực tuyến",
    "Cảnh báo mưa lớn, lũ quét và sạt lở đất",
    "Tiếp sóng chương trình thời sự Đài Tiếng nói Việt Nam",
    "Phổ biến Luật Đất đai năm 2024",
    "Thông báo họp dân về xây dựng nông thôn mới",
    "Tuyên truyền an toàn giao thông cho học sinh",
)

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Stage:
    """What the benchmark's pages are about, and who signs in."""

    username: str
    password: str
    commune_id: int
    item_id: int  # a real audio item, approved, with a player
    relay_id: int  # a relay, for its check fragment
    station_id: int
    items: int
    stations: int


def _people(session: Session, commune: int, now: datetime) -> tuple[Actor, Actor, str]:
    password = secrets.token_urlsafe(16)
    actors = []
    for name in (VIEWER, OTHER):
        user = create_user(
            session=session,
            user_in=UserCreate(
                username=name,
                area_id=commune,
                password=password,
                roles=[
                    RoleGrant(role=Role.operator, area_id=commune),
                    RoleGrant(role=Role.approver, area_id=commune),
                    RoleGrant(role=Role.admin, area_id=commune),  # the administration pages
                ],
            ),
            actor=SETUP,
            now=now,
        )
        actors.append(Actor(id=user.id, name=user.username))
    return actors[0], actors[1], password


def _areas(session: Session, now: datetime) -> int:
    root = create_root_area(
        session=session,
        name="Việt Nam",
        level="country",
        code=None,
        timezone=TIMEZONE,
        actor=SETUP,
        now=now,
    )
    ids = [root.id]
    for name, level in (("Tỉnh Thử", "province"), ("Xã Thử", "commune")):
        parent = ids[-1]
        assert parent is not None
        area = create_area(
            session=session,
            area_in=AreaCreate(parent_id=parent, name=name, level=level),
            actor=SETUP,
            now=now,
        )
        ids.append(area.id)
    commune = ids[-1]
    assert commune is not None
    return commune


def _steps(number: int) -> list[Step]:
    """The item's way through the workflow, by its number: 3/4 approved, 1/20 waiting,
    1/20 returned, the rest drafts."""
    share = number % 20
    if share == 0:
        return [Step.submit]
    if share == 1:
        return [Step.submit, Step.reject]
    if share in (2, 3):
        return []
    return [Step.submit, Step.approve]


def _new_item(rng: random.Random, number: int, commune: int) -> content_crud.NewItem:
    tier = Tier.emergency if number % 97 == 0 else Tier.priority if number % 9 == 0 else Tier.normal
    title = f"{rng.choice(SUBJECTS)} (số {number + 1}/{2026 - number % 3})"
    meta = ContentMeta(
        title=title, area_id=commune, tier=tier, category="thông báo", source="UBND xã"
    )
    if number % 4 == 0:
        return content_crud.NewItem(
            kind=ContentKind.relay, meta=meta, stream_url="http://127.0.0.1:9/vov1"
        )
    return content_crud.NewItem(kind=ContentKind.audio, meta=meta, original_filename="ban-tin.mp3")


def _walk(
    session: Session,
    item: ContentItem,
    steps: list[Step],
    people: tuple[Actor, Actor],
    now: datetime,
) -> None:
    author, reviewer = people
    for step in steps:
        by = reviewer if step in (Step.approve, Step.reject) else author
        reason = "Cần ghi rõ thời gian và địa điểm." if step == Step.reject else None
        content_crud.apply_step(
            session=session, item=item, step=step, actor=by, now=now, reason=reason
        )


def _library(
    database: Database,
    commune: int,
    people: tuple[Actor, Actor],
    count: int,
    now: datetime,
    say: Say,
) -> int:
    """`count` items without a file; returns a relay's id."""
    rng = random.Random(15)
    relay_id = 0
    for start in range(0, count, BATCH):
        with database.session(write=True) as session:
            for number in range(start, min(start + BATCH, count)):
                pair = people if number % 2 == 0 else (people[1], people[0])
                item = content_crud.create_item(
                    session=session, new=_new_item(rng, number, commune), actor=pair[0], now=now
                )
                if item.kind == ContentKind.audio:
                    fake = hashlib.sha256(f"bench-{number}".encode()).hexdigest()
                    item.sha256, item.duration_s, item.size_bytes = fake, 60.0 + number % 240, 0
                else:
                    relay_id = item.id or relay_id
                _walk(session, item, _steps(number), pair, now)
            session.commit()
        say(f"library: {min(start + BATCH, count)}/{count} items")
    return relay_id


def _tone(data_dir: Path, seconds: float) -> IngestResult:
    """A tone of `seconds`, ingested and stored as an upload is."""
    work = data_dir / "bench-audio"
    work.mkdir(parents=True, exist_ok=True)
    source = work / "ban-tin.wav"
    tone = f"sine=frequency=440:sample_rate=48000:duration={seconds}"
    run_ffmpeg(["-v", "error", "-f", "lavfi", "-i", tone, "-y", str(source)], work_dir=work)
    audio = ingest_file(source=source, work_dir=work, settings=IngestSettings())
    LocalStorage(data_dir / "content").put(audio.output, audio.sha256)
    return audio


def _real_audio(
    session: Session,
    audio: IngestResult,
    commune: int,
    people: tuple[Actor, Actor],
    number: int,
    now: datetime,
) -> int:
    """An item of the ingested tone (one file, several recordings of it), approved."""
    meta = ContentMeta(
        title=f"Bản tin thu âm: lịch tiêm chủng tháng 12 (bản {number + 1})", area_id=commune
    )
    new = content_crud.NewItem(
        kind=ContentKind.audio, meta=meta, audio=audio, original_filename="ban-tin.wav"
    )
    item = content_crud.create_item(session=session, new=new, actor=people[1], now=now)
    _walk(session, item, [Step.submit, Step.approve], (people[1], people[0]), now)
    assert item.id is not None
    return item.id


def _stations(session: Session, commune: int, count: int, now: datetime) -> list[int]:
    made = []
    for number in range(count):
        station = station_crud.create_station(
            session=session,
            station_in=StationCreate(name=f"Cụm loa thôn {number + 1}", area_id=commune),
            actor=SETUP,
            now=now,
        )
        made.append(station)
    for station in made[::OFFLINE_SHARE]:
        code, _ = enrolment.create_code(
            session=session, station=station, actor=SETUP, now=now, ttl=timedelta(hours=1)
        )
        request = EnrollRequest(
            code=code, hardware_id=f"bench-pi-{station.id}", agent_version="benchmark"
        )
        enrolment.redeem_code(session=session, request=request, now=now)
    silent = update(StationAgent).values(
        last_seen_at=now - timedelta(days=1)
    )  # as heartbeats write it
    session.execute(silent)
    return [s.id for s in made if s.id is not None]


def _sessions(session: Session, commune: int, now: datetime) -> None:
    for name, start, minutes in (("Phiên sáng", time(5, 30), 45), ("Phiên chiều", time(17, 0), 45)):
        session_crud.create_session(
            session=session,
            session_in=SessionIn(
                name=name,
                area_id=commune,
                target_area_ids=[commune],
                start=start,
                max_length_s=minutes * 60,
                recurrence=Recurrence(repeat=Repeat.daily),
            ),
            actor=SETUP,
            now=now,
        )


def prepare(
    url: str,
    data_dir: Path,
    *,
    items: int,
    stations: int,
    audio_s: float,
    now: datetime,
    say: Say,
) -> Stage:
    """Fill the migrated, empty database at `url`; files go to data_dir's storage."""
    database = Database(url)
    try:
        with database.session(write=True) as session:
            commune = _areas(session, now)
            viewer, other, password = _people(session, commune, now)
            station_ids = _stations(session, commune, stations, now)
            _sessions(session, commune, now)
            session.commit()
        say(f"{stations} stations and 2 sessions; now {items} items")
        bulk = max(0, items - REAL_AUDIO)
        relay_id = _library(database, commune, (viewer, other), bulk, now, say)
        audio = _tone(data_dir, audio_s)
        with database.session(write=True) as session:
            real = [
                _real_audio(session, audio, commune, (viewer, other), n, now)
                for n in range(min(REAL_AUDIO, items))
            ]
            session.commit()
    finally:
        database.dispose()
    return Stage(
        username=VIEWER,
        password=password,
        commune_id=commune,
        item_id=real[-1],
        relay_id=relay_id,
        station_id=station_ids[0],
        items=items,
        stations=stations,
    )
