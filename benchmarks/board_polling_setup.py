"""The board polling benchmark's setup (not measured): the agent load benchmark's fleet
(benchmarks/agent_load_setup.py: Việt Nam → Tỉnh Thử → `communes` communes, the stations
shared out among them, enrolled, their playlists built), a supervisor for each commune and
one for the province, and a sign-in token for each open board: every board is a browser of
its own, signed in as the supervisor of the board's area."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from benchmarks.agent_load_setup import SETUP, Enrolled, Say, build_fleet
from core.areas.models import Area
from core.auth.models import Role, RoleGrant, User, UserCreate
from core.auth.tokens import issue_token
from core.auth.users import create_user
from core.clock import SystemClock
from core.db import Database

TOKEN_TTL = timedelta(days=1)  # longer than any run: no board is signed out midway


@dataclass(frozen=True, slots=True)
class Board:
    token: str  # its browser's session cookie
    area_id: int
    scope: str  # commune | province


@dataclass(frozen=True, slots=True)
class Stage:
    stations: list[Enrolled]
    boards: list[Board]
    communes: int


def prepare(
    url: str,
    data_dir: Path,
    *,
    stations: int,
    communes: int,
    boards: int,
    province_boards: int,
    say: Say,
) -> Stage:
    """Migrate the empty database at `url` and fill it. Of `boards`, `province_boards` show
    the province's board and the others the communes', dealt out in turn."""
    fleet = build_fleet(url, data_dir, stations, 0, say, per_commune=-(-stations // communes))
    say(f"supervisors, and sign-in tokens for {boards} boards")
    database = Database(url)
    now = SystemClock().now()
    try:
        with database.session(write=True) as session:
            province = _areas(session, "province")[0]
            places = _areas(session, "commune")
            users = {a.id: _supervisor(session, a, now) for a in [province, *places]}
            found = []
            for number in range(boards):
                area = province if number < province_boards else places[number % len(places)]
                user = users[area.id]
                token, _ = issue_token(session=session, user=user, now=now, ttl=TOKEN_TTL)
                scope = "province" if area is province else "commune"
                assert area.id is not None
                found.append(Board(token, area.id, scope))
            session.commit()
    finally:
        database.dispose()
    return Stage(stations=fleet.stations, boards=found, communes=len(places))


def _areas(session: Session, level: str) -> list[Area]:
    return list(session.exec(select(Area).where(Area.level == level).order_by(col(Area.id))))


def _supervisor(session: Session, area: Area, now: datetime) -> User:
    assert area.id is not None
    return create_user(
        session=session,
        user_in=UserCreate(
            username=f"bench_supervisor_{area.id}",
            area_id=area.id,
            password=secrets.token_urlsafe(16),
            roles=[RoleGrant(role=Role.supervisor, area_id=area.id)],
        ),
        actor=SETUP,
        now=now,
    )
