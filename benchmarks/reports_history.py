"""The reports benchmark's history: a province of stations with a month of plans of record,
as-run records and health, written straight into the database in bulk (setup, timed but
not a target).

One province of communes of 30 stations each. Each commune has two daily sessions (05:30
and 17:00) with 16 of its own bulletins, 4 of the province's and the national relay at
06:00: 21 items a day, built by the real builder (playlists/builder/day.py) and stored as
the keeper stores them (save_bodies, record_plans); some commune-days get a second version
at 11:00. The as-run records are what the agents would report (the columns of
stations/fleet/asrun.py, the snapshots from stations/fleet/snapshot.py): mostly played,
some late, partial, failed, skipped or rejoined after a kill, a few with no record; a storm
alert province-wide preempts what was on the air. Stations go offline: a power cut (nothing
plays, nothing is recorded), a lost network (it plays, and the records arrive when it is
back), a few for days, some still offline now; the health history (station_presence) is
their online spells.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session

from alerts.models import Alert
from core.areas.models import Area
from core.auth.models import User
from core.db import Database
from playlists.builder.day import build_day
from playlists.builder.domain import ContentSpec, DayInputs, QueueSpec, SessionSpec, TierRank
from playlists.builder.recurrence import Recurrence, Repeat
from playlists.builder.serialize import timeline_bytes
from playlists.content.models import ContentItem
from playlists.timelines.models import StoredItem, StoredTimeline
from playlists.timelines.record import NewDays, PlanVersion, effective_items, record_plans
from playlists.timelines.store import save_bodies
from stations.fleet.asrun import _row
from stations.fleet.auth import StationIdentity
from stations.fleet.models import AsRun, StationAgent
from stations.fleet.presence import StationPresence
from stations.fleet.snapshot import ALERT_PREFIX, snapshots
from stations.models import Station
from stations.protocol import AsRunRecord

TIMEZONE = "Asia/Ho_Chi_Minh"
ZONE = ZoneInfo(TIMEZONE)
STATIONS_PER_COMMUNE = 30
COMMUNE_ITEMS = 16
PROVINCE_ITEMS = 4
CATEGORIES = ("Thời sự", "Nông nghiệp", "Y tế", "Giáo dục", "An ninh trật tự", "Văn hóa")
DAILY = Recurrence(repeat=Repeat.daily)
BATCH = 2000
OFFLINE_AFTER = timedelta(seconds=180)  # config.yaml station_offline_after_s
ROOT, PROVINCE = 1, 2
Row = dict[str, Any]
Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Outage:
    start: datetime
    end: datetime
    plays: bool  # a lost network: it plays on, and reports once back


@dataclass
class History:
    """What the measurements need to find in the generated history."""

    first: date
    last: date
    now: datetime
    province: int
    communes: list[int]
    stations: dict[int, int]  # station -> commune
    province_lineage: int  # a province bulletin on every station, every day
    commune_lineage: int  # a commune's own bulletin
    records: int = 0
    plans: int = 0
    bodies: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _insert(session: Session, model: type, rows: list[Row]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start : start + BATCH])


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZONE)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def layout(*, stations: int, days: int, now: datetime) -> History:
    """Where everything is in the history generate() writes (no database)."""
    last = now.astimezone(ZONE).date() - timedelta(days=1)  # the month ended last night
    communes = (stations + STATIONS_PER_COMMUNE - 1) // STATIONS_PER_COMMUNE
    commune_ids = list(range(PROVINCE + 1, PROVINCE + 1 + communes))
    return History(
        first=last - timedelta(days=days - 1),
        last=last,
        now=now,
        province=PROVINCE,
        communes=commune_ids,
        stations={s: commune_ids[(s - 1) // STATIONS_PER_COMMUNE] for s in range(1, stations + 1)},
        province_lineage=2,  # content ids: the relay, the province's, then each commune's
        commune_lineage=2 + PROVINCE_ITEMS,
    )


def generate(database: Database, history: History, *, seed: int = 17, say: Say) -> None:
    rng = random.Random(seed)
    first, now, station_commune = history.first, history.now, history.stations
    days = history.days
    say(f"areas, content, {len(station_commune)} stations in {len(history.communes)} communes")
    with database.session(write=True) as session:
        content = _setup(session, history.communes, station_commune, first, now)
        session.commit()
    assert history.province_lineage == content.province[0].id
    assert history.commune_lineage == content.commune[history.communes[0]][0].id
    say(f"{days} days of plans: the real builder, bodies and plan of record")
    plans = _plans(database, content, history.communes, station_commune, first, days, rng)
    history.bodies, history.plans = plans.bodies, plans.rows
    say("health (online spells), agents")
    outages = {s: _outages(rng, first, now) for s in station_commune}
    with database.session(write=True) as session:
        _health(session, outages, first, now)
        session.commit()
    say("as-run records")
    history.records = _asrun(
        say, database, content, plans, outages, station_commune, first, days, rng
    )


@dataclass
class _Content:
    relay: _Spec
    province: list[_Spec]
    commune: dict[int, list[_Spec]]
    alert: Row


@dataclass(frozen=True, slots=True)
class _Spec:
    id: int
    title: str
    tier: str
    duration_s: float | None
    category: str
    language: str
    area_id: int


def _setup(
    session: Session,
    commune_ids: list[int],
    station_commune: dict[int, int],
    first: date,
    now: datetime,
) -> _Content:
    areas = [
        _area(ROOT, None, "Việt Nam", "country", "/1/"),
        _area(PROVINCE, ROOT, "Tỉnh Lào Cai", "province", "/1/2/"),
    ]
    areas += [
        _area(c, PROVINCE, f"Xã {c}", "commune", f"/1/2/{c}/", code=f"{8000 + c}")
        for c in commune_ids
    ]
    _insert(session, Area, areas)
    users = [
        {"id": 1, "username": "bientap", "full_name": "Nguyễn Văn Biên"},
        {"id": 2, "username": "duyet", "full_name": "Trần Thị Duyệt"},
    ]
    for user in users:
        user |= {"area_id": PROVINCE, "password_hash": "-", "created_at": now}
    _insert(session, User, users)
    ids = iter(range(1, 10**9))
    relay = _Spec(next(ids), "Thời sự VOV1", "normal", None, "Thời sự", "vi", ROOT)
    province = [
        _Spec(next(ids), f"Thông báo của tỉnh #{i}", "priority", 60.0 + 30 * i, "Y tế", "vi", 2)
        for i in range(PROVINCE_ITEMS)
    ]
    commune: dict[int, list[_Spec]] = {}
    for n, c in enumerate(commune_ids):
        language = "hmn" if n % 5 == 0 else "vi"  # a fifth broadcast some items in Hmông too
        commune[c] = [
            _Spec(
                next(ids),
                f"Tin xã {c} #{i}",
                "normal",
                float(60 + (i * 37 + c * 11) % 180),
                CATEGORIES[(i + c) % len(CATEGORIES)],
                language if i % 4 == 0 else "vi",
                c,
            )
            for i in range(COMMUNE_ITEMS)
        ]
    specs = [relay, *province, *(s for items in commune.values() for s in items)]
    _insert(session, ContentItem, [_content(s, now) for s in specs])
    _insert(
        session,
        Station,
        [
            {"id": s, "name": f"Cụm loa {c}-{s}", "area_id": c, "created_at": now}
            for s, c in station_commune.items()
        ],
    )
    storm = _local(first + timedelta(days=(now.date() - first).days // 2), time(17, 10))
    alert = {
        "identifier": "urn:oid:2.49.0.1.704.0.2026.11.storm",
        "sender": "pctt@laocai.gov.vn",
        "status": "Actual",
        "msg_type": "Alert",
        "area_id": PROVINCE,
        "targets": '{"areas": [2], "groups": []}',
        "reference_ids": "[]",
        "description": "",
        "event": "Bão",
        "headline": "Cảnh báo bão số 9",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "duration_s": 120.0,
        "starts": storm,
        "expires": storm + timedelta(hours=6),
        "state": "ended",
        "created_by": 1,
        "approved_by": 2,
        "created_at": storm - timedelta(minutes=5),
        "issued_at": storm,
    }
    _insert(session, Alert, [alert])
    return _Content(relay, province, commune, alert)


def _area(id_: int, parent: int | None, name: str, level: str, path: str, code: str = "") -> Row:
    return {
        "id": id_,
        "parent_id": parent,
        "name": name,
        "level": level,
        "code": code or str(id_),
        "division_type": "xã" if level == "commune" else None,
        "timezone": TIMEZONE,
        "path": path,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }


def _content(spec: _Spec, now: datetime) -> Row:
    return {
        "id": spec.id,
        "lineage_id": spec.id,
        "version": 1,
        "kind": "relay" if spec.duration_s is None else "audio",
        "status": "approved",
        "title": spec.title,
        "category": spec.category,
        "language": spec.language,
        "tier": spec.tier,
        "area_id": spec.area_id,
        "duration_s": spec.duration_s,
        "sha256": None if spec.duration_s is None else f"{spec.id:064x}",
        "stream_url": "http://vov.example/vov1" if spec.duration_s is None else None,
        "created_by": 1,
        "contributors": ",1,",
        "reviewed_by": 2,
        "reviewed_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _inputs(content: _Content, commune: int, *, changed: bool) -> DayInputs:
    """The commune's day: its own bulletins and the province's in two sessions, the relay
    at 06:00. A changed day (a second version at 11:00) drops one afternoon bulletin."""
    base = commune * 100
    sessions = (
        SessionSpec(
            id=base + 1, name="Sáng", start=time(5, 30), max_length_s=2700, recurrence=DAILY
        ),
        SessionSpec(
            id=base + 2, name="Chiều", start=time(17, 0), max_length_s=2700, recurrence=DAILY
        ),
    )
    own = content.commune[commune]
    queued = [*content.province, *own]
    if changed:
        queued = queued[:-1]
    queue = [
        QueueSpec(
            id=base + 10 + order,
            content_id=spec.id,
            recurrence=DAILY,
            session_id=sessions[order % 2].id,
            order=order,
        )
        for order, spec in enumerate(queued)
    ]
    queue.append(
        QueueSpec(
            id=base + 99,
            content_id=content.relay.id,
            recurrence=DAILY,
            at=time(6, 0),
            relay_length_s=900,
            owner_id=sessions[0].id,
        )
    )
    specs = [content.relay, *content.province, *own]
    return DayInputs(
        timezone=TIMEZONE,
        sessions=sessions,
        queue=tuple(queue),
        content=tuple(
            ContentSpec(
                id=s.id,
                title=s.title,
                tier=TierRank[s.tier],
                duration_s=s.duration_s,
                sha256=None if s.duration_s is None else f"{s.id:064x}",
                stream_url="http://vov.example/vov1" if s.duration_s is None else None,
            )
            for s in specs
        ),
    )


@dataclass
class _Plans:
    # (commune, day) -> the items in force that day (effective_items of its versions)
    items: dict[tuple[int, date], list[StoredItem]]
    bodies: int = 0
    rows: int = 0


def _plans(
    database: Database,
    content: _Content,
    commune_ids: list[int],
    station_commune: dict[int, int],
    first: date,
    days: int,
    rng: random.Random,
) -> _Plans:
    """Each commune-day built, stored and put in force the evening before; a few change at
    11:00 that day (a second version)."""
    plans = _Plans(items={})
    stations_of: dict[int, list[int]] = {}
    for station, commune in station_commune.items():
        stations_of.setdefault(commune, []).append(station)
    for n in range(days):
        day = first + timedelta(days=n)
        bodies: dict[str, tuple[date, bytes]] = {}
        first_version: dict[int, str] = {}
        second: dict[int, str] = {}
        timelines: dict[str, StoredTimeline] = {}
        for commune in commune_ids:
            for changed in (False, True):
                if changed and rng.random() >= 0.03:
                    continue
                data = timeline_bytes(build_day(_inputs(content, commune, changed=changed), day))
                digest = hashlib.sha256(data).hexdigest()
                bodies[digest] = (day, data)
                timelines[digest] = StoredTimeline.model_validate_json(data)
                (second if changed else first_version)[commune] = digest
        evening = _local(day, time(0)) - timedelta(hours=5)
        noon = _local(day, time(11))
        with database.session(write=True) as session:
            plans.bodies += save_bodies(session=session, bodies=bodies, now=evening)
            for versions, at in ((first_version, evening), (second, noon)):
                builds = {
                    s: NewDays(n + (2 if at == noon else 1), c, {day.isoformat(): d})
                    for c, d in versions.items()
                    for s in stations_of[c]
                }
                plans.rows += record_plans(session=session, builds=builds, now=at)
            session.commit()
        for commune, digest in first_version.items():
            versions_in_force = [PlanVersion(n + 1, digest, evening, None, timelines[digest])]
            if commune in second:
                changed_digest = second[commune]
                versions_in_force = [
                    PlanVersion(n + 1, digest, evening, noon, timelines[digest]),
                    PlanVersion(n + 2, changed_digest, noon, None, timelines[changed_digest]),
                ]
            plans.items[(commune, day)] = effective_items(versions_in_force)
    return plans


def _outages(rng: random.Random, first: date, now: datetime) -> list[Outage]:
    """Most stations lose power or network once or twice a month for hours; one in ten
    is flaky (most days); one in twenty is off for days; one in fifty is offline now."""
    start, end = _local(first, time(0)), now
    span = (end - start).total_seconds()
    kind = rng.random()
    found: list[Outage] = []
    if kind < 0.10:
        count, longest = rng.randint(10, 30), 4 * 3600
    elif kind < 0.15:
        count, longest = 1, 5 * 86400
    else:
        count, longest = rng.choice((0, 1, 1, 2)), 8 * 3600
    for _ in range(count):
        at = start + timedelta(seconds=rng.uniform(0, span))
        length = timedelta(seconds=rng.uniform(600, longest))
        found.append(Outage(at, min(at + length, end), plays=rng.random() < 0.5))
    if rng.random() < 0.02:
        found.append(Outage(end - timedelta(hours=rng.uniform(2, 40)), end, plays=False))
    found.sort(key=lambda o: o.start)
    merged: list[Outage] = []
    for outage in found:
        if merged and outage.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Outage(last.start, max(last.end, outage.end), last.plays and outage.plays)
        else:
            merged.append(outage)
    return merged


def _health(session: Session, outages: dict[int, list[Outage]], first: date, now: datetime) -> None:
    """The online spells between the outages (heartbeats every 30 s), and each agent."""
    start = _local(first, time(0)) - timedelta(days=1)
    spells: list[Row] = []
    agents: list[Row] = []
    for station, gaps in outages.items():
        at = start
        for gap in gaps:
            if gap.start > at:
                spells.append({"station_id": station, "online_from": at, "last_seen_at": gap.start})
            at = gap.end
        offline_now = bool(gaps) and gaps[-1].end >= now
        if not offline_now:
            spells.append({"station_id": station, "online_from": at, "last_seen_at": now})
        last_seen = spells[-1]["last_seen_at"] if spells else start
        agents.append(
            {
                "station_id": station,
                "hardware_id": f"pi-{station:05d}",
                "agent_version": "1.4.0",
                "enrolled_at": start,
                "last_seen_at": last_seen,
                "manifest_version": 30,
                "asrun_pending": 0,
            }
        )
    _insert(session, StationPresence, spells)
    _insert(session, StationAgent, agents)


def _asrun(
    say: Say,
    database: Database,
    content: _Content,
    plans: _Plans,
    outages: dict[int, list[Outage]],
    station_commune: dict[int, int],
    first: date,
    days: int,
    rng: random.Random,
) -> int:
    snapshot = _snapshots(database, content, station_commune)
    storm_at: datetime = content.alert["starts"]
    storm_end = storm_at + timedelta(seconds=content.alert["duration_s"])
    count = 0
    for n in range(days):
        day = first + timedelta(days=n)
        rows: list[Row] = []
        for station, commune in station_commune.items():
            gaps = outages[station]
            for record in _station_day(
                day, plans.items[(commune, day)], gaps, storm_at, storm_end, rng
            ):
                row = record.row(station, commune)
                row |= snapshot[(commune, record.content_id or 0)]
                row["day"] = record.occurred_at.astimezone(ZONE).date()
                row["received_at"] = _received(record.occurred_at, gaps, rng)
                rows.append(row)
        with database.session(write=True) as session:
            _insert(session, AsRun, rows)
            session.commit()
        count += len(rows)
        if n % 5 == 4:
            say(f"as-run records: {n + 1} of {days} days, {count:,} records")
    return count


@dataclass(frozen=True, slots=True)
class _Record:
    id: str
    item_id: str | None
    content_id: int | None
    sha256: str | None
    planned_start: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    result: str
    error: str | None

    @property
    def occurred_at(self) -> datetime:
        moment = self.started_at or self.planned_start
        assert moment is not None
        return moment

    def row(self, station: int, commune: int) -> Row:
        return {
            "id": self.id,
            "station_id": station,
            "area_id": commune,
            "item_id": self.item_id,
            "content_id": self.content_id,
            "sha256": self.sha256,
            "planned_start": self.planned_start,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "occurred_at": self.occurred_at,
            "result": self.result,
            "error": self.error,
            "clock_offset_ms": 12,
        }


def _station_day(
    day: date,
    items: list[StoredItem],
    gaps: list[Outage],
    storm_at: datetime,
    storm_end: datetime,
    rng: random.Random,
) -> Iterator[_Record]:
    def record(item: StoredItem | None, **kw: Any) -> _Record:
        return _Record(
            id=_uuid(rng),
            item_id=kw.pop("item_id", item.id if item else None),
            content_id=item.content_id if item else None,
            sha256=item.sha256 if item else None,
            planned_start=kw.pop("planned_start", item.start if item else None),
            **kw,
        )

    for item in items:
        start, length = item.start, timedelta(seconds=item.duration_s)
        gap = next((g for g in gaps if g.start <= start < g.end), None)
        if gap is not None and not gap.plays:
            continue  # no power: nothing played, nothing recorded
        if start < storm_end and start + length > storm_at:
            if start < storm_at:
                yield record(
                    item, started_at=start, ended_at=storm_at, result="preempted", error=None
                )
            continue
        roll = rng.random()
        if roll < 0.01:
            continue  # online, and still nothing
        if roll < 0.015:
            yield record(
                item, started_at=None, ended_at=None, result="skipped", error="not verified"
            )
        elif roll < 0.02:
            yield record(
                item,
                started_at=start,
                ended_at=start + timedelta(seconds=3),
                result="failed",
                error="the relay stream did not answer",
            )
        elif roll < 0.035:
            cut = start + length * rng.uniform(0.2, 0.9)
            yield record(
                item, started_at=start, ended_at=cut, result="partial", error="interrupted"
            )
        elif roll < 0.038:  # killed, restarted, rejoined
            cut = start + length * rng.uniform(0.2, 0.6)
            yield record(
                item, started_at=start, ended_at=cut, result="partial", error="interrupted"
            )
            back = cut + timedelta(seconds=rng.uniform(5, 20))
            yield record(
                item,
                started_at=back,
                ended_at=start + length,
                result="partial",
                error="joined part-way",
            )
        else:
            late = roll < 0.07
            began = start + timedelta(seconds=rng.uniform(3, 90) if late else rng.uniform(0, 1.5))
            yield record(
                item, started_at=began, ended_at=began + length, result="played", error=None
            )
    gap = next((g for g in gaps if g.start <= storm_at < g.end), None)
    if storm_at.astimezone(ZONE).date() == day and (gap is None or gap.plays):
        yield record(
            None,
            item_id=f"{ALERT_PREFIX}urn:oid:2.49.0.1.704.0.2026.11.storm",
            planned_start=None,
            started_at=storm_at + timedelta(seconds=rng.uniform(0.2, 1.5)),
            ended_at=storm_end,
            result="played",
            error=None,
        )


def _received(at: datetime, gaps: list[Outage], rng: random.Random) -> datetime:
    """Uploaded seconds after it ended, or once the lost network came back."""
    gap = next((g for g in gaps if g.start <= at < g.end), None)
    base = gap.end if gap is not None else at
    return base + timedelta(seconds=rng.uniform(5, 60))


def _snapshots(
    database: Database, content: _Content, station_commune: dict[int, int]
) -> dict[tuple[int, int], Row]:
    """Each commune's snapshot of each item it plays (and of the alert, as content 0), by
    the real snapshots() and with every column store_records writes."""
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    found: dict[tuple[int, int], Row] = {}
    communes = sorted(set(station_commune.values()))
    with database.session() as session:
        for commune in communes:
            specs = [content.relay, *content.province, *content.commune[commune]]
            records = [
                AsRunRecord(
                    id=uuid.uuid4(),
                    item_id=f"{s.id}@x",
                    content_id=s.id,
                    started_at=moment,
                    ended_at=moment,
                    result="played",
                    clock_offset_ms=0,
                )
                for s in specs
            ]
            records.append(
                AsRunRecord(
                    id=uuid.uuid4(),
                    item_id=f"{ALERT_PREFIX}{content.alert['identifier']}",
                    started_at=moment,
                    ended_at=moment,
                    result="played",
                    clock_offset_ms=0,
                )
            )
            kept = snapshots(session=session, records=records, station_area_id=commune)
            keys = [*(s.id for s in specs), 0]
            for key, columns in zip(keys, kept, strict=True):
                found[(commune, key)] = columns
            station = StationIdentity(station_id=0, area_id=commune)
            written = set(_row(records[0], station, moment)) | set(kept[0])
            generated = set(_Record("", None, None, None, None, moment, None, "", None).row(0, 0))
            assert written == generated | set(kept[0]) | {"received_at"}, written ^ generated
    return found
