"""Seed the demo through the running server's HTTP API, as its people would: the admin
sets up the commune, its users and stations; the operator (biên tập viên) types two
bulletins, uploads the jingle and queues them into a session; the approver (người duyệt)
approves them — four eyes, never their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from demo import cast
from demo.client import ApiClient
from demo.jingle import make_jingle
from demo.timing import DEFAULT_LEAD, LocalStart, session_start

Say = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class DemoStation:
    id: int
    name: str
    enrollment_code: str


@dataclass(frozen=True, kw_only=True)
class DemoContent:
    id: int
    title: str
    duration_s: float


@dataclass(frozen=True, kw_only=True)
class Seeded:
    commune_id: int
    commune_name: str
    people: tuple[cast.Person, ...]
    stations: tuple[DemoStation, ...]
    content: tuple[DemoContent, ...]
    session_id: int
    start: LocalStart


@dataclass(frozen=True, kw_only=True)
class SeedPlan:
    base_url: str
    admin: cast.Person
    people: tuple[cast.Person, ...]
    work_dir: Path
    now: Callable[[], datetime]
    lead_s: float = DEFAULT_LEAD.total_seconds()


def seed(*, plan: SeedPlan, say: Say) -> Seeded:
    """Everything the demo needs, in the order people would do it; the session is made last
    so that it starts `lead_s` after seeding ends, whatever the speed of TTS."""
    province, commune = cast.demo_areas()
    with ApiClient.signed_in(plan.base_url, **_login(plan.admin)) as admin:
        commune_id = _areas(admin, province, commune, say)
        for person in plan.people:
            _user(admin, person, commune_id)
        say(f"users: {', '.join(f'{p.username} ({p.role})' for p in plan.people)}")
        station_ids = [_station(admin, name, code, commune_id) for name, code in cast.STATIONS]
        say(f"stations: {', '.join(name for name, _ in cast.STATIONS)}")
        operator, approver = (_by_role(plan.people, role) for role in ("operator", "approver"))
        with (
            ApiClient.signed_in(plan.base_url, **_login(operator)) as writer,
            ApiClient.signed_in(plan.base_url, **_login(approver)) as checker,
        ):
            content = _content(writer, checker, commune_id, plan.work_dir, say)
            session_id, start = _session(writer, commune_id, content, plan)
        say(f"session '{cast.SESSION_NAME}' starts at {start.at:%H:%M:%S} ({cast.TIMEZONE})")
        stations = tuple(
            DemoStation(id=sid, name=name, enrollment_code=_enrollment_code(admin, sid))
            for sid, (name, _) in zip(station_ids, cast.STATIONS, strict=True)
        )
    return Seeded(
        commune_id=commune_id,
        commune_name=commune.name,
        people=(plan.admin, *plan.people),
        stations=stations,
        content=content,
        session_id=session_id,
        start=start,
    )


def _login(person: cast.Person) -> dict[str, str]:
    return {"username": person.username, "password": person.password}


def _by_role(people: tuple[cast.Person, ...], role: str) -> cast.Person:
    return next(p for p in people if p.role == role)


def _areas(admin: ApiClient, province: cast.DemoArea, commune: cast.DemoArea, say: Say) -> int:
    root_id = int(admin.get("/api/v1/auth/me")["area_id"])
    province_id = _area(admin, province, root_id)
    commune_id = _area(admin, commune, province_id)
    say(f"areas: {province.name} → {commune.name} ({commune.division_type})")
    return commune_id


def _area(admin: ApiClient, spec: cast.DemoArea, parent_id: int) -> int:
    body = {
        "name": spec.name,
        "code": spec.code,
        "level": spec.level,
        "division_type": spec.division_type,
        "parent_id": parent_id,
        "timezone": cast.TIMEZONE,
    }
    return int(admin.post("/api/v1/areas", body)["id"])


def _user(admin: ApiClient, person: cast.Person, area_id: int) -> None:
    body = {
        "username": person.username,
        "full_name": person.full_name,
        "password": person.password,
        "area_id": area_id,
        "roles": [{"role": person.role, "area_id": area_id}],
    }
    admin.post("/api/v1/users", body)


def _station(admin: ApiClient, name: str, code: str, area_id: int) -> int:
    return int(
        admin.post("/api/v1/stations", {"name": name, "code": code, "area_id": area_id})["id"]
    )


def _content(
    writer: ApiClient, checker: ApiClient, area_id: int, work_dir: Path, say: Say
) -> tuple[DemoContent, ...]:
    """The jingle first, then the bulletins: each created, submitted and approved."""
    jingle = make_jingle(path=work_dir / "nhac-hieu.wav")
    fields = {
        "title": cast.JINGLE_TITLE,
        "category": "nhạc hiệu",
        "language": "vi",
        "area_id": str(area_id),
        "source": "Đài truyền thanh xã",
    }
    drafts = [writer.upload("/api/v1/content/upload", file=jingle, fields=fields)]
    for bulletin in cast.BULLETINS:
        body = {
            "title": bulletin.title,
            "text": bulletin.text,
            "language": "vi",
            "category": "thông báo",
            "source": "UBND xã",
            "area_id": area_id,
        }
        drafts.append(writer.post("/api/v1/content/tts", body))
    approved = [_approve(writer, checker, draft) for draft in drafts]
    for item in approved:
        say(f"content approved: {item.title} ({item.duration_s:.1f} s)")
    return tuple(approved)


def _approve(writer: ApiClient, checker: ApiClient, draft: dict[str, Any]) -> DemoContent:
    writer.post(f"/api/v1/content/{draft['id']}/submit")
    item = checker.post(f"/api/v1/content/{draft['id']}/approve")
    return DemoContent(id=int(item["id"]), title=str(item["title"]), duration_s=item["duration_s"])


def _session(
    writer: ApiClient, area_id: int, content: tuple[DemoContent, ...], plan: SeedPlan
) -> tuple[int, LocalStart]:
    start = session_start(
        now=plan.now(), timezone=cast.TIMEZONE, lead=timedelta(seconds=plan.lead_s)
    )
    body = {
        "name": cast.SESSION_NAME,
        "area_id": area_id,
        "target_area_ids": [area_id],
        "start": start.at.isoformat(),
        "max_length_s": cast.SESSION_MAX_LENGTH_S,
        "recurrence": {"repeat": "daily"},
    }
    session_id = int(writer.post("/api/v1/sessions", body)["id"])
    for order, item in enumerate(content):
        entry = {
            "content_id": item.id,
            "session_id": session_id,
            "recurrence": {"repeat": "daily"},
            "order": order,
        }
        writer.post("/api/v1/queue", entry)
    return session_id, start


def _enrollment_code(admin: ApiClient, station_id: int) -> str:
    return str(admin.post(f"/api/v1/stations/{station_id}/enrollment-code")["code"])
