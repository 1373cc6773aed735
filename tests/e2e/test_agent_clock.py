"""A Pi that booted hours off: the agent measures its offset against the real server from
heartbeat round trips and its corrected clock tells the server's time. The system clock is
moved with time-machine, in this process only; the server process keeps the true time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from stations.agent.config import AgentConfig
from stations.agent.credentials import Credentials
from stations.agent.runtime import Agent
from tests.e2e.agent_site import Site
from tests.stations.fleet.factories import enrol

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

BEHIND = timedelta(hours=-5, minutes=-17)


def test_a_clock_hours_behind_is_corrected_from_heartbeats(site: Site) -> None:
    token = enrol(site.world, site.station_id)
    config = AgentConfig(server=site.server.url, data_dir=site.tmp / "pi")  # type: ignore[arg-type]
    config.data_dir.mkdir()
    agent = Agent(config, Credentials(station_id=site.station_id, token=token))

    async def beat_three_times() -> None:
        for _ in range(3):
            await agent.link.heartbeat(agent.heartbeat())
        await agent.link.close()

    with time_machine.travel(datetime.now(UTC) + BEHIND, tick=True):
        asyncio.run(beat_three_times())
        corrected = agent.clock.now()
        offset_ms = agent.clock.offset_ms()
        carried = agent.heartbeat().clock_offset_ms
    truth = datetime.now(UTC)
    assert abs(corrected - truth) < timedelta(milliseconds=250)
    assert abs(offset_ms + BEHIND / timedelta(milliseconds=1)) < 250
    assert carried == offset_ms  # every heartbeat carries the correction in use
    # Leaving time-machine is a step of the system clock (as chrony's makestep would do):
    # the samples taken before it no longer describe the clock, so they are dropped.
    assert agent.clock.offset_ms() == 0
