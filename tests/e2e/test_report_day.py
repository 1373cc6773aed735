"""A station's day through real processes, then its report: a real agent plays five
bulletins into WAV capture; it is killed in the second and stays dead through the third
(an offline spell: the server counts a station offline after 3 s without a heartbeat
here), comes back in the fourth, and an emergency alert cuts the fifth. The station-day
report names each, and its XLSX and PDF say the same."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pypdf
import pytest

from core.auth.models import Role
from playlists.content.storage import LocalStorage
from reports.tables import OUTCOMES
from tests.e2e.processes import Server, wait_for
from tests.e2e.test_agent_playout import ZONE, Stage, open_records, outbox_empty
from tests.stations.factories import make_station
from tests.world import World

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

LENGTHS = (4.0, 6.0, 3.0, 10.0, 6.0)  # back to back from the session's start


@pytest.fixture
def stage(world: World, database_url: str, tmp_path: Path) -> Iterator[Stage]:
    data = tmp_path / "data"
    station = make_station(world, "A")
    settings = {"LOAXA_STATION_OFFLINE_AFTER_S": "3"}
    server = Server(database_url, data, tmp_path, settings=settings).start()
    try:
        yield Stage(world, server, LocalStorage(data / "content"), station, tmp_path)
    finally:
        server.stop()


def _until(moment: datetime, what: str) -> None:
    wait_for(lambda: datetime.now(UTC) >= moment, timeout=60, what=what)


def _issue_alert(stage: Stage, content_id: int) -> None:
    stage.world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    body = {
        "area_id": stage.world.areas["A"],
        "target_area_ids": [stage.world.areas["A"]],
        "event": "Lũ quét",
        "headline": "Lũ quét: tránh xa bờ suối",
        "content_id": content_id,
        "expires": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "issue_now": True,
    }
    answer = httpx.post(
        f"{stage.server.url}/api/v1/alerts", json=body, headers=stage.world.headers("duty_a")
    )
    assert answer.status_code == 201, answer.text


def _report(stage: Stage, start: datetime, suffix: str = "") -> httpx.Response:
    day = start.astimezone(ZONE).date()
    url = f"{stage.server.url}/api/v1/reports/stations/{stage.station_id}/days/{day}{suffix}"
    return httpx.get(url, headers=stage.world.headers("supervisor_a"), timeout=10)


def test_a_day_with_a_kill_an_offline_spell_and_an_alert_is_reported_as_it_happened(
    stage: Stage,
) -> None:
    sounds = [stage.store(f"b{n}", seconds=s, seed=40 + n) for n, s in enumerate(LENGTHS)]
    flood = stage.store("flood", seconds=3.0, seed=49)
    agent = stage.agent()
    start = stage.schedule(*sounds)
    at = [start + timedelta(seconds=sum(LENGTHS[:n])) for n in range(len(LENGTHS))]
    _until(at[1] + timedelta(seconds=2), "2 s into the second bulletin")
    wait_for(lambda: open_records(agent), timeout=10, what="the second bulletin playing")
    agent.kill()
    _until(at[2] + timedelta(seconds=LENGTHS[2] + 0.5), "the third bulletin over, unheard")
    again = stage.restarted(agent.data_dir)
    try:
        _until(at[4] + timedelta(seconds=1.5), "1.5 s into the fifth bulletin")
        _issue_alert(stage, flood.content_id)
        _until(at[4] + timedelta(seconds=LENGTHS[4] + 4), "the alert and the day's end")
        wait_for(lambda: outbox_empty(again), timeout=30, what="every record uploaded")
    finally:
        again.stop()

    def reported() -> dict[str, Any] | None:
        answer = _report(stage, start)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body if body["summary"]["due"] >= len(LENGTHS) else None

    report = wait_for(reported, timeout=20, what="the day's report with every item due")
    got = [(i["outcome"], i["reason"]) for i in report["items"]]
    assert got[0] == ("played", None)
    assert got[1][0] == "partial" and "interrupted" in (got[1][1] or "")
    assert got[2] == ("missing", "offline")
    assert got[3][0] == "partial" and "joined" in (got[3][1] or "")
    assert got[4][0] == "preempted"
    assert report["items"][4]["preempted_by"], "the alert that cut it is named"
    assert any((u["item_id"] or "").startswith("alert:") for u in report["unplanned"])
    killed = report["items"][1]
    assert 1.0 <= killed["aired_s"] <= 4.0 + LENGTHS[1]  # ~2 s before the kill, then none

    xlsx = _report(stage, start, "/export?format=xlsx")
    assert xlsx.status_code == 200, xlsx.text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))[: len(LENGTHS)]
    assert [r[4] for r in rows] == [
        "Đã phát",
        "Phát một phần",
        "Không phát",
        "Phát một phần",
        "Bị ngắt (ưu tiên/khẩn cấp)",
    ]
    assert [r[7] for r in rows] == [i["aired_s"] for i in report["items"]]

    pdf = _report(stage, start, "/export?format=pdf")
    assert pdf.status_code == 200, pdf.text
    pages = pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))
    summary = report["summary"]
    assert f"Bản tin đến giờ {summary['due']}" in text
    assert f"Đã phát {summary['outcomes']['played']}" in text
    assert f"Không phát {summary['outcomes']['missing']}" in text
    # each item's line in order: its title, then its outcome in Vietnamese
    found = 0
    for item in report["items"]:
        line = f"{item['title']} {OUTCOMES[item['outcome']]}"
        found = text.find(line, found)
        assert found >= 0, f"{line!r} not in the PDF after the items before it: {text}"
