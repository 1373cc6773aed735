from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from api import create_app
from core.config import Settings, load_settings
from core.db import Database
from playlists.content import services
from tests.databases import PostgresFactory, SqliteFactory, postgres_base_url
from tests.world import World, build_world

BACKENDS = ["sqlite", "postgresql"]

# Property tests run beside servers, agents and browsers on two cores: a draw stalled by
# the machine is not a slow strategy, and a slow example is not a failure of the property.
hypothesis_settings.register_profile(
    "loaded-machine", suppress_health_check=[HealthCheck.too_slow], deadline=None
)
hypothesis_settings.load_profile("loaded-machine")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "speech_cache(which): 'shared' for one speech cache for the run's workers, 'own' (the "
        "default) for the app's own in its data_dir, empty at each test's start",
    )


@pytest.fixture(scope="session")
def shared_speech_cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the run: under xdist the workers' base folders share a parent made
    for this run, and the cache is safe for several processes (as servers share it)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = tmp_path_factory.getbasetemp().parent / "speech-cache"
        root.mkdir(exist_ok=True)
        return root
    return tmp_path_factory.mktemp("speech-cache")


@pytest.fixture(autouse=True)
def speech_cache(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests about targets, feeds and follow-ups (`speech_cache("shared")`) share one speech
    cache in a run: each text is still read by the real espeak-ng and ingested by the real
    ffmpeg the first time the run meets it, and taken from the cache after that, as the
    server would. A test whose subject is the reading itself keeps its own."""
    marker = request.node.get_closest_marker("speech_cache")
    if marker is None or marker.args == ("own",):
        return
    assert marker.args == ("shared",), marker
    root: Path = request.getfixturevalue("shared_speech_cache_root")
    monkeypatch.setattr(services, "speech_cache_root", lambda _settings: root)


@pytest.fixture(scope="session")
def sqlite_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteFactory]:
    factory = SqliteFactory(tmp_path_factory.mktemp("sqlite"))
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def postgresql_factory() -> Iterator[PostgresFactory]:
    base = postgres_base_url()
    if base is None:
        pytest.skip(
            "PostgreSQL cases need LOAXA_TEST_DATABASE_URL (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    factory = PostgresFactory(base)
    yield factory
    factory.close()


Factory = SqliteFactory | PostgresFactory


@pytest.fixture(scope="session")
def world_templates() -> dict[str, tuple[str, World]]:
    """Per backend: a database holding the test world, built once (argon2 is slow on
    purpose) and copied for each test that asks for `world`."""
    return {}


def world_template(backend: str, factory: Factory, cache: dict[str, tuple[str, World]]) -> str:
    if backend not in cache:
        url = factory.create()
        database = Database(url)
        cache[backend] = (url, build_world(database))
        database.dispose()
    return cache[backend][0]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated database on each backend (holding the test world if asked for)."""
    yield from fresh_database(request, request.param)


def fresh_database(request: pytest.FixtureRequest, backend: str) -> Iterator[str]:
    """A fresh, migrated database on `backend` for the asking test, dropped after it: a
    module whose tests do not depend on the database overrides `database_url` with it."""
    factory: Factory = request.getfixturevalue(f"{backend}_factory")
    template = None
    if "world" in request.fixturenames:
        template = world_template(backend, factory, request.getfixturevalue("world_templates"))
    url = factory.create(template)
    yield url
    factory.drop(url)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with no schema at all, on each backend."""
    factory: Factory = request.getfixturevalue(f"{request.param}_factory")
    url = factory.create_empty()
    yield url
    factory.drop(url)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


def make_settings(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    # The scheduler's thread stays off unless a test is about it.
    overrides.setdefault("scheduler_enabled", False)
    # Nor does the CAP feed poller: a feed a test makes must not be fetched behind its back.
    overrides.setdefault("cap_feeds_enabled", False)
    # Made by ffmpeg at startup: only the tests about alerts' chime ask for it.
    overrides.setdefault("alert_chime", "none")
    # A full collection per app start would cost the suite minutes.
    overrides.setdefault("gc_freeze", False)
    return load_settings(
        database_url=database_url, auto_migrate=False, data_dir=tmp_path / "data", **overrides
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
    app.state.database.dispose()


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    database: Database,
    world_templates: dict[str, tuple[str, World]],
) -> World:
    backend = "sqlite" if database.is_sqlite else "postgresql"
    built = world_templates[backend][1]
    return World(database, areas=dict(built.areas), users=dict(built.users))
