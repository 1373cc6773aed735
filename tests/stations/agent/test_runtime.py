"""The agent's runtime against the real app in-process (httpx's ASGI transport): uploads
that the server refuses as too large are split, a record it will not take is set aside
without holding up the others; malformed pushes are ignored."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from api import create_app
from stations.agent.config import AgentConfig
from stations.agent.credentials import Credentials
from stations.agent.runtime import OUTBOX_FILE, Agent
from stations.fleet.models import AsRun
from stations.protocol import AsRunRecord
from tests.alerts.factories import make_alert
from tests.conftest import make_settings
from tests.stations.agent.test_manifest_store import _manifest
from tests.stations.fleet.factories import enrolled_station
from tests.stations.fleet.scenario import keeper_for, schedule, stored_audio
from tests.world import World

T0 = datetime(2026, 11, 29, 5, 30, tzinfo=UTC)


def _record(error: str | None = None) -> AsRunRecord:
    return AsRunRecord(
        id=uuid.uuid4(),
        item_id="1@20261128T223000Z",
        content_id=1,
        planned_start=T0,
        result="skipped",
        error=error,
        clock_offset_ms=0,
    )


def _agent(tmp_path: Path, station_id: int, token: str) -> Agent:
    config = AgentConfig(server="http://loaxa.test", data_dir=tmp_path / "pi")  # type: ignore[arg-type]
    config.data_dir.mkdir()
    return Agent(config, Credentials(station_id=station_id, token=token))


def test_refused_batches_are_split_and_a_refused_record_set_aside(
    world: World, database_url: str, tmp_path: Path
) -> None:
    # A server that takes requests of 1 kB at most: about two records a batch.
    app = create_app(make_settings(database_url, tmp_path, max_body_bytes=1024))
    station_id, token = enrolled_station(world, "A")
    agent = _agent(tmp_path, station_id, token)
    agent.link.client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://loaxa.test",
        headers={"Authorization": f"Bearer {token}"},
    )
    good = [_record() for _ in range(7)]
    too_big = _record(error="x" * 1500)
    for record in [*good[:3], too_big, *good[3:]]:
        agent.outbox.record(record)

    async def upload() -> int:
        try:
            return await agent.upload_pending()
        finally:
            await agent.link.close()

    assert asyncio.run(upload()) == 7
    assert agent.outbox.count() == 0
    with sqlite3.connect(agent.config.data_dir / OUTBOX_FILE) as outbox:
        kept = outbox.execute("SELECT id, refused FROM record WHERE open = 2").fetchall()
    assert [(record_id, "413" in refused) for record_id, refused in kept] == [
        (str(too_big.id), True)
    ]
    with world.database.session() as session:
        stored = set(session.exec(select(AsRun.id)).all())
    assert stored == {str(r.id) for r in good}
    app.state.database.dispose()


@pytest.mark.parametrize(
    "message",
    [
        '{"type":"manifest","version":"x"}',
        '{"type":"manifest"}',
        "[1]",
        "not json",
        '{"type":"alert"}',
    ],
)
def test_a_malformed_push_is_ignored(world: World, tmp_path: Path, message: str) -> None:
    station_id, token = enrolled_station(world, "A")
    agent = _agent(tmp_path, station_id, token)
    agent._on_event(message)
    assert not agent._pull_now.is_set()
    agent._on_event('{"type":"manifest","version":3,"build_id":"abc"}')
    assert agent._pull_now.is_set()
    asyncio.run(agent.link.close())


def test_a_malformed_push_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    agent = _agent(tmp_path, 7, "token")
    with caplog.at_level(logging.INFO, logger="loaxa.agent"):
        agent._on_event('{"type":"manifest","version":"x"}')
    (warned,) = caplog.records
    assert warned.levelno == logging.WARNING and "malformed" in warned.getMessage()
    asyncio.run(agent.link.close())


def test_an_event_of_a_type_this_agent_does_not_know_is_logged_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A newer server's event (here a made-up "order") neither crashes the agent nor
    stops it from reading the next one."""
    agent = _agent(tmp_path, 7, "token")
    with caplog.at_level(logging.INFO, logger="loaxa.agent"):
        agent._on_event('{"type":"order","order_id":"o1","title":"Phát ngay"}')
    (logged,) = caplog.records
    assert "does not know" in logged.getMessage() and '"order"' in logged.getMessage()
    assert not agent._pull_now.is_set() and not agent.revoked.is_set()
    agent._on_event('{"type":"manifest","version":3,"build_id":"abc"}')
    assert agent._pull_now.is_set()
    asyncio.run(agent.link.close())


def test_a_push_for_the_build_already_held_changes_nothing(world: World, tmp_path: Path) -> None:
    station_id, token = enrolled_station(world, "A")
    agent = _agent(tmp_path, station_id, token)
    assert agent._is_new(1, "abc")  # nothing held yet
    agent.manifests.accept(_manifest(3, station_id=station_id, build_id="b" * 64))
    assert not agent._is_new(3, "b" * 64)
    assert not agent._is_new(3, None)  # an older server's hint: the version alone
    assert agent._is_new(3, "c" * 64)  # same number, another build
    assert agent._is_new(4, "b" * 64)
    assert not agent._is_new(None, None)
    assert not agent._is_new(3, "b" * 64, "")  # no alerts here, none there
    assert agent._is_new(3, "b" * 64, "a1b2")  # same build, but an alert went on the air
    asyncio.run(agent.link.close())


def test_an_alert_push_is_held_and_acknowledged_and_its_cancel_stops_it(tmp_path: Path) -> None:
    agent = _agent(tmp_path, 7, "token")
    storm = {
        "id": "storm",
        "status": "Actual",
        "starts": T0.isoformat(),
        "expires": (T0 + timedelta(hours=1)).isoformat(),
        "sha256": "ab" * 32,
        "duration_s": 20.0,
    }

    async def scenario() -> None:
        agent._on_event(
            json.dumps({"type": "alert", "alert_id": "storm", "msg_type": "Alert", "alert": storm})
        )
        ack = agent._acks.get_nowait()
        assert (ack.alert_id, ack.stage) == ("storm", "received")
        assert [alert.id for alert in agent.alerts.pushed()] == ["storm"]
        assert agent._pull_now.is_set(), "the manifest is pulled too: it is the truth"
        agent._on_event(
            json.dumps(
                {"type": "alert", "alert_id": "c", "msg_type": "Cancel", "references": ["storm"]}
            )
        )
        assert agent.alerts.pushed() == [] and agent.alerts.cancelled() == {"storm"}
        await agent.link.close()

    asyncio.run(scenario())
    again = _agent_again(tmp_path)
    assert again.alerts.cancelled() == {"storm"}, "a restart keeps the Cancel"
    assert [(a.alert_id, a.stage) for a in again.alerts.acks()] == [("storm", "received")]
    asyncio.run(again.link.close())


def _agent_again(tmp_path: Path) -> Agent:
    config = AgentConfig(server="http://loaxa.test", data_dir=tmp_path / "pi")  # type: ignore[arg-type]
    return Agent(config, Credentials(station_id=7, token="token"))


def test_an_agent_that_missed_the_push_catches_up_through_its_manifest(
    world: World, database_url: str, tmp_path: Path
) -> None:
    """Offline when the alert went out (no push reached it): its next heartbeat says the
    alerts changed, and the manifest it then pulls holds the alert, acknowledged received."""
    app = create_app(make_settings(database_url, tmp_path))
    schedule(world, "A", stored_audio(world, "A", app.state.content.storage))
    station_id, token = enrolled_station(world, "A")
    keeper_for(world).tick()
    app.state.alerts.refresh(force=True)  # what the app's startup does
    agent = _agent(tmp_path, station_id, token)
    agent.link.client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://loaxa.test",
        headers={"Authorization": f"Bearer {token}"},
    )

    async def scenario() -> None:
        await agent.sync_once()
        assert agent.manifests.current is not None and agent.manifests.current.alerts == []
        alert = make_alert(world, "A", issued=True)  # while the agent heard nothing
        app.state.alerts.refresh()
        beat = await agent.link.heartbeat(agent.heartbeat())
        assert agent._is_new(beat.manifest_version, beat.build_id, beat.alerts_digest)
        with pytest.raises(RuntimeError, match="not fetched"):
            await agent.sync_once()  # the alert's made-up audio is not stored: only its file
        held = agent.manifests.current
        assert held is not None and [a.id for a in held.alerts] == [alert.identifier]
        ack = agent._acks.get_nowait()
        assert (ack.alert_id, ack.stage) == (alert.identifier, "received")
        beat = await agent.link.heartbeat(agent.heartbeat())
        assert not agent._is_new(beat.manifest_version, beat.build_id, beat.alerts_digest)
        await agent.link.close()

    asyncio.run(scenario())
    app.state.database.dispose()
