"""Seeding the area tree from vietnam-provinces."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlmodel import col, func, select

from core.areas.import_vn import import_areas, official_areas
from core.areas.models import Area
from core.audit.chain import Actor
from core.db import Database
from tests.cli.helpers import run_loaxa

ACTOR = Actor(id=None, name="importer")
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_the_official_list_has_the_2025_areas() -> None:
    specs = list(official_areas())
    levels = Counter(s.level for s in specs)
    assert levels == {"province": 34, "commune": 3321}
    assert Counter(s.division_type for s in specs if s.level == "commune") == {
        "xã": 2621,
        "phường": 687,
        "đặc khu": 13,
    }
    assert len({s.code for s in specs}) == len(specs)


def _import_hanoi(database: Database) -> tuple[int, int, int]:
    with database.session(write=True) as session:
        result = import_areas(
            session=session,
            specs=list(official_areas(1)),
            actor=ACTOR,
            now=NOW,
            timezone="Asia/Ho_Chi_Minh",
        )
        session.commit()
    return result.created, result.updated, result.unchanged


def test_import_one_province_is_idempotent(database: Database) -> None:
    assert _import_hanoi(database) == (127, 0, 0)
    assert _import_hanoi(database) == (0, 0, 127)
    with database.session() as session:
        hanoi = session.exec(select(Area).where(Area.code == "01")).one()
        wards = session.exec(select(Area).where(Area.parent_id == hanoi.id)).all()
        hoan_kiem = session.exec(select(Area).where(Area.name == "Phường Hoàn Kiếm")).one()
    assert hanoi.division_type == "thành phố trung ương"
    assert len(wards) == 126
    assert hoan_kiem.path.startswith(hanoi.path)
    assert hoan_kiem.division_type == "phường"


def test_import_corrects_a_changed_name(database: Database) -> None:
    _import_hanoi(database)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE area SET name = 'Sai tên' WHERE code = '00070'")
    assert _import_hanoi(database) == (0, 1, 126)
    with database.session() as session:
        assert (
            session.exec(select(Area.name).where(Area.code == "00070")).one() == "Phường Hoàn Kiếm"
        )
        roots = session.exec(select(func.count()).where(col(Area.parent_id).is_(None))).one()
    assert roots == 1


def test_cli_names_an_unknown_province(database_url: str) -> None:
    result = run_loaxa("areas", "import-vn", "--province", "3", database_url=database_url)
    assert result.returncode == 1
    assert "no province with code 3" in result.stderr
