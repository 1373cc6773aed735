"""An emergency alert through the real server to a real agent playing with VLC (its `afile`
output capturing each play into a WAV file): issued while a scheduled bulletin plays, the
alert cuts in with the attention chime and then its own audio, the bulletin resumes where
the clock says, and the station's acknowledgements reach GET /api/v1/alerts/{id}."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.auth.models import Role
from tests.audio.compare import correlation, decode, seconds
from tests.e2e.processes import wait_for
from tests.e2e.test_agent_playout import Stage, open_records, outbox_empty, stage

__all__ = ["stage"]  # the fixture, shared with the playout tests

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _issue(stage: Stage, content_id: int) -> dict[str, Any]:
    stage.world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    body = {
        "area_id": stage.world.areas["A"],
        "target_area_ids": [stage.world.areas["A"]],
        "event": "Lũ quét",
        "headline": "Lũ quét trên suối Nậm Pàn: tránh xa bờ suối",
        "content_id": content_id,
        "expires": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "issue_now": True,
    }
    answer = httpx.post(
        f"{stage.server.url}/api/v1/alerts", json=body, headers=stage.world.headers("duty_a")
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _delivery(stage: Stage, alert_id: int) -> dict[str, Any]:
    shown = httpx.get(
        f"{stage.server.url}/api/v1/alerts/{alert_id}",
        headers=stage.world.headers("supervisor_a"),
    )
    [delivery] = shown.json()["deliveries"]
    return dict(delivery)


def test_an_alert_cuts_into_the_bulletin_with_its_chime_and_the_bulletin_resumes(
    stage: Stage,
) -> None:
    bulletin = stage.store("bulletin", seconds=14.0, seed=31)
    flood = stage.store("flood", seconds=3.0, seed=32)
    agent = stage.agent()
    try:
        start = stage.schedule(bulletin)
        wait_for(
            lambda: open_records(agent) and any(stage.capture.glob("0001-*.wav")),
            timeout=30,
            what="the bulletin playing",
            log=agent.log,
        )
        alert = _issue(stage, flood.content_id)
        wait_for(
            lambda: len(stage.records()) >= 4 and outbox_empty(agent),
            timeout=14 + 30,
            what="the bulletin, the chime, the alert and the bulletin again, reported",
            log=agent.log,
        )
        wait_for(
            lambda: _delivery(stage, alert["id"])["stage"] == "finished",
            timeout=10,
            what="the station's acks stored",
            log=agent.log,
        )
    finally:
        agent.stop()

    cut, chime, heard, resumed = stage.records()
    name = alert["identifier"]
    assert (cut.content_id, cut.result) == (bulletin.content_id, "preempted")
    assert (chime.item_id, chime.result) == (f"alert:{name}#1:chime", "played")
    assert (heard.item_id, heard.result) == (f"alert:{name}#1", "played")
    assert (resumed.item_id, resumed.result) == (cut.item_id, "partial")
    assert resumed.error == "joined part-way" and cut.planned_start == start
    assert chime.ended_at is not None and heard.started_at is not None
    assert abs((heard.started_at - chime.ended_at).total_seconds()) < 0.1  # back to back

    captures = sorted(stage.capture.iterdir())
    assert [c.name.split("-", 1)[0] for c in captures] == ["0001", "0002", "0003", "0004"]
    assert captures[0].name.endswith(f"{bulletin.sha256}.wav")
    assert captures[2].name == f"0003-{flood.sha256}.wav"
    assert captures[3].name == f"0004-{bulletin.sha256}.wav"
    stored_flood = stage.stored(flood)
    assert seconds(captures[2]) == pytest.approx(seconds(stored_flood), rel=0.02)
    assert correlation(decode(captures[2]), decode(stored_flood)) > 0.9
    # The bulletin goes on where the clock says, not where it was cut.
    assert resumed.started_at is not None
    offset = (resumed.started_at - start).total_seconds()
    stored_bulletin = stage.stored(bulletin)
    assert seconds(captures[3]) == pytest.approx(seconds(stored_bulletin) - offset, abs=0.25)
    assert correlation(decode(captures[3]), decode(stored_bulletin, offset_s=offset)) > 0.9

    delivery = _delivery(stage, alert["id"])
    times = [
        datetime.fromisoformat(delivery[f"{s}_at"]) for s in ("received", "started", "finished")
    ]
    assert times == sorted(times)
    assert not delivery["unacknowledged"]
