"""The `loaxa` command, run as a real process."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.script import ScriptDirectory
from sqlmodel import select

from core.auth.models import Role, RoleAssignment, User
from core.db import Database
from migrations.upgrade import alembic_config, current_revision
from playlists.timelines.models import StationBuild
from tests.cli.helpers import run_loaxa
from tests.stations.factories import make_station
from tests.world import World

COMMANDS = [
    (),
    ("server",),
    ("db",),
    ("db", "upgrade"),
    ("admin",),
    ("admin", "create-user"),
    ("audit",),
    ("audit", "verify"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "loaxa")
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = run_loaxa(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: loaxa" in result.stdout
    assert len(result.stdout.splitlines()) > 5


def test_db_upgrade_builds_the_schema_on_an_empty_database(empty_database_url: str) -> None:
    assert current_revision(empty_database_url) is None
    result = run_loaxa("db", "upgrade", database_url=empty_database_url)
    assert result.returncode == 0, result.stderr
    head = ScriptDirectory.from_config(alembic_config(empty_database_url)).get_current_head()
    assert f"revision {head}" in result.stdout
    assert current_revision(empty_database_url) == head
    again = run_loaxa("db", "upgrade", database_url=empty_database_url)
    assert again.returncode == 0, again.stderr


def test_create_first_admin_then_verify_audit(database_url: str) -> None:
    result = run_loaxa(
        "admin",
        "create-user",
        "admin",
        "--role",
        "admin",
        "--password",
        "s3cret-enough",
        database_url=database_url,
    )
    assert result.returncode == 0, result.stderr
    assert "Việt Nam" in result.stdout
    database = Database(database_url)
    with database.session() as session:
        user = session.exec(select(User).where(User.username == "admin")).one()
        roles = session.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id)).all()
    database.dispose()
    assert [r.role for r in roles] == [Role.admin]
    verify = run_loaxa("audit", "verify", database_url=database_url)
    assert verify.returncode == 0, verify.stderr
    assert "2 audit event(s), chain intact" in verify.stdout


def test_create_user_prompts_for_the_password(database_url: str) -> None:
    result = run_loaxa(
        "admin",
        "create-user",
        "op1",
        "--role",
        "operator",
        database_url=database_url,
        input="a-long-password\na-long-password\n",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "created user op1" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Bad Name!", "--role", "admin", "--password", "long-enough"), "username"),
        (("ok-name", "--role", "admin", "--password", "short"), "password"),
        (("ok-name", "--role", "emperor", "--password", "long-enough"), "emperor"),
        (
            ("ok-name", "--role", "admin", "--area", "Atlantis", "--password", "long-enough"),
            "Atlantis",
        ),
    ],
    ids=["username", "password", "role", "area"],
)
def test_create_user_rejects_bad_input_by_name(
    database_url: str, args: tuple[str, ...], message: str
) -> None:
    result = run_loaxa("admin", "create-user", *args, database_url=database_url)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    database = Database(database_url)
    with database.session() as session:
        assert session.exec(select(User)).all() == []
    database.dispose()


def test_duplicate_username_is_refused(database_url: str) -> None:
    args = ("admin", "create-user", "dup", "--role", "admin", "--password", "long-enough")
    assert run_loaxa(*args, database_url=database_url).returncode == 0
    second = run_loaxa(*args, database_url=database_url)
    assert second.returncode == 1
    assert "'dup' is taken" in second.stderr


def test_audit_verify_names_an_altered_row(database_url: str) -> None:
    for name in ("a1", "a2", "a3"):
        run_loaxa(
            "admin",
            "create-user",
            name,
            "--role",
            "operator",
            "--password",
            "long-enough",
            database_url=database_url,
        )
    database = Database(database_url)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_event SET actor_name = 'nobody' WHERE id = 3")
    database.dispose()
    result = run_loaxa("audit", "verify", database_url=database_url)
    assert result.returncode == 1
    assert "audit event #3" in result.stderr
    assert "altered" in result.stderr


def test_bad_environment_value_is_named() -> None:
    result = run_loaxa("audit", "verify", env={"LOAXA_TOKEN_TTL_MINUTES": "soon"})
    assert result.returncode == 1
    assert "token_ttl_minutes (LOAXA_TOKEN_TTL_MINUTES)" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_key_in_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("database_url: sqlite:///x.db\ndatabse_pool: 3\n")
    result = run_loaxa("--config", str(config), "audit", "verify")
    assert result.returncode == 1
    assert "databse_pool" in result.stderr


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    result = run_loaxa("--config", str(tmp_path / "nope.yaml"), "db", "upgrade")
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr


def test_playlists_rebuild_builds_every_station(world: World) -> None:
    stations = [make_station(world, "A1"), make_station(world, "B1")]
    started_on = _hanoi_today()
    first = run_loaxa("playlists", "rebuild", database_url=world.database.url)
    assert first.returncode == 0, first.stderr
    assert "2 station(s) in 1 distinct rule set(s)" in first.stdout  # no sessions yet: alike
    assert "2 got a new version" in first.stdout
    again = run_loaxa("playlists", "rebuild", database_url=world.database.url)
    if _hanoi_today() == started_on:  # across local midnight the horizon moves on a day
        assert "0 got a new version" in again.stdout
    with world.database.session() as session:
        assert {b.station_id for b in session.exec(select(StationBuild)).all()} == set(stations)


def _hanoi_today() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def test_several_server_processes_need_postgresql(tmp_path: Path) -> None:
    result = run_loaxa(
        "server", "--workers", "2", database_url=f"sqlite:///{tmp_path / 'loaxa.db'}"
    )
    assert result.returncode == 1
    assert "--workers 2 needs PostgreSQL" in result.stderr
    assert not (tmp_path / "loaxa.db").exists()  # refused before anything was made
