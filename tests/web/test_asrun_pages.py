"""The as-run log page (Nhật ký phát sóng) without a browser: the records in scope, newest
first, filtered by outcome and local days, what did not play in full marked, problems beside
the filter, and the CSV of what is filtered."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.stations.factories import make_station
from tests.stations.fleet.factories import add_asrun, record
from tests.web.pages import sign_in
from tests.world import World

# 10:00 in Hanoi on 1 December 2026, and the day before.
TODAY = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
YESTERDAY = TODAY - timedelta(days=1)


def _aired(world: World) -> tuple[int, list[str]]:
    station = make_station(world, "A1")
    played = record(started_at=TODAY, ended_at=TODAY + timedelta(seconds=30))
    skipped = record(
        result="skipped",
        started_at=None,
        ended_at=None,
        planned_start=TODAY - timedelta(minutes=5),
        error="file not verified",
    )
    old = record(started_at=YESTERDAY, ended_at=YESTERDAY + timedelta(seconds=30))
    add_asrun(world, station, played, skipped, old)
    add_asrun(world, make_station(world, "B1"), record(started_at=TODAY))  # another commune's
    return station, [str(played.id), str(skipped.id), str(old.id)]


def test_the_log_lists_the_readers_records_newest_first_with_the_misses_marked(
    client: TestClient, world: World
) -> None:
    _aired(world)
    sign_in(client, world, "supervisor_a")
    page = client.get("/asrun")
    assert page.status_code == 200, page.text
    assert "3 bản ghi" in page.text
    assert page.text.count('class="row-skipped row-attention"') == 1
    assert "file not verified" in page.text and "Bỏ qua (thiếu tệp)" in page.text
    rows = re.findall(r'<tr class="row-(\w+)', page.text)
    assert rows == ["played", "skipped", "played"]  # 10:00, 09:55, yesterday


def test_the_filters_narrow_it_and_the_csv_holds_what_is_filtered(
    client: TestClient, world: World
) -> None:
    station, ids = _aired(world)
    sign_in(client, world, "supervisor_a")
    today = client.get("/asrun", params={"from": "2026-12-01", "to": "2026-12-01"})
    assert "2 bản ghi" in today.text
    skipped = client.get("/asrun", params={"result": "skipped", "station": station})
    assert "1 bản ghi" in skipped.text
    download = client.get("/asrun/download", params={"from": "2026-12-01", "to": "2026-12-01"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert lines[1][:5] == ["Thời điểm", "Cụm loa", "Địa bàn", "Bản tin", "Kết quả"]
    assert [line[-1] for line in lines[2:]] == ids[:2]
    assert lines[3][0] == "01/12/2026 09:55:00" and lines[3][4] == "Bỏ qua (thiếu tệp)"


def test_a_bad_filter_is_named_beside_its_field(client: TestClient, world: World) -> None:
    sign_in(client, world, "supervisor_a")
    backwards = client.get("/asrun", params={"from": "2026-12-02", "to": "2026-12-01"})
    assert backwards.status_code == 422 and 'id="to-error"' in backwards.text
    unknown = client.get("/asrun", params={"result": "exploded"})
    assert unknown.status_code == 422 and 'id="result-error"' in unknown.text
    bad_day = client.get("/asrun/download", params={"from": "1/12/2026"})
    assert bad_day.status_code == 422 and "<html" in bad_day.text


def test_another_communes_log_is_refused(client: TestClient, world: World) -> None:
    other = make_station(world, "B1")
    sign_in(client, world, "supervisor_a")
    assert client.get("/asrun", params={"area": world.areas["B"]}).status_code == 403
    assert client.get("/asrun/download", params={"station": other}).status_code == 403


def test_a_cut_item_says_how_much_of_it_aired_and_from_where(
    client: TestClient, world: World
) -> None:
    """An evacuation notice cut by an emergency and joined again part-way: each record says
    how long it aired and from where in the item, so a supervisor knows what was heard."""
    station = make_station(world, "A1")
    cut = record(
        result="preempted",
        planned_start=TODAY,
        started_at=TODAY,
        ended_at=TODAY + timedelta(seconds=5.2),
    )
    joined = record(
        result="partial",
        planned_start=TODAY,
        started_at=TODAY + timedelta(seconds=13.6),
        ended_at=TODAY + timedelta(seconds=23.5),
        error="joined part-way",
    )
    add_asrun(world, station, cut, joined)
    sign_in(client, world, "supervisor_a")
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/asrun").text))
    assert "9,9 giây, từ giây thứ 13,6" in page
    assert "5,2 giây từ đầu" in page
