"""Exports: the CSV and XLSX of a report say what its API answer says, in Vietnamese."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
from fastapi.testclient import TestClient

from reports.exports import XLSX, csv_lines, xlsx_bytes
from reports.tables import Table
from tests.clock import SettableClock
from tests.playlists.timelines.factories import approved_audio
from tests.reports.factories import DAY, one_aired_one_missed, summarize
from tests.stations.fleet.factories import add_asrun, enrolled_station, record
from tests.world import World


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_station_day_file_holds_the_reports_items_and_outcomes(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    station = one_aired_one_missed(client, world, clock)
    headers = world.headers("supervisor_a", clock.now())
    url = f"/api/v1/reports/stations/{station}/days/{DAY}"
    report = client.get(url, headers=headers).json()
    answer = client.get(f"{url}/export?format=csv", headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = _rows(answer.text)
    assert rows[1][:5] == ["Giờ dự kiến", "Bản tin", "Mức", "Thời lượng (giây)", "Kết quả"]
    items = rows[2 : 2 + len(report["items"])]
    assert [(r[1], r[4]) for r in items] == [
        ("Tiêm chủng mở rộng", "Đã phát"),
        ("Giá lúa", "Không phát"),
    ]
    assert [float(r[7]) for r in items] == [i["aired_s"] for i in report["items"]]
    assert items[0][0] == "01/12/2026 06:00:00"  # local time, as the station heard it

    xlsx = client.get(f"{url}/export?format=xlsx", headers=headers)
    assert xlsx.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    sheet = book.worksheets[0]
    cells = [list(r) for r in sheet.iter_rows(min_row=3, max_row=4, values_only=True)]
    assert [(r[1], r[4], r[7]) for r in cells] == [(r[1], r[4], float(r[7])) for r in items]


def test_the_roll_up_file_totals_are_the_reports(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    one_aired_one_missed(client, world, clock)
    summarize(world, clock)
    headers = world.headers("admin_p", clock.now())
    url = f"/api/v1/reports/areas/{world.areas['P']}/rollup?period=day&date={DAY}"
    totals = client.get(url, headers=headers).json()["totals"]
    answer = client.get(url.replace("/rollup?", "/rollup/export?format=xlsx&"), headers=headers)
    assert answer.status_code == 200, answer.text
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(min_row=3, values_only=True)]
    total = next(r for r in rows if str(r[0]).startswith("Tổng cộng"))
    assert (total[3], total[4], total[7]) == (totals["due"], totals["played"], totals["missing"])
    assert total[10] == round(totals["compliance"] * 100, 1)


def test_the_proof_file_keeps_to_the_callers_stations(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    content = approved_audio(world, "P", title="Tin tỉnh")
    mine, _ = enrolled_station(world, "A1")
    theirs, _ = enrolled_station(world, "B1")
    for station in (mine, theirs):
        add_asrun(world, station, record(content_id=content))
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()  # the records' day
    url = f"/api/v1/reports/proof-of-play/export?content_id={content}&from={today}&to={today}"
    answer = client.get(url, headers=world.headers("supervisor_a", clock.now()))
    assert answer.status_code == 200, answer.text
    listed = [r[0] for r in _rows(answer.text)[2:]]
    assert listed == [str(mine)]


def test_text_that_looks_like_a_formula_stays_text() -> None:
    table = Table("T", ("Bản tin",), [('=HYPERLINK("http://x","Bấm")',), ("-1",)])
    text = "".join(csv_lines([table]))
    assert "'=HYPERLINK" in text and "'-1" in text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([table]))).worksheets[0]
    assert sheet.cell(row=3, column=1).data_type == "s"  # a string, not a formula
    assert sheet.cell(row=3, column=1).value == '=HYPERLINK("http://x","Bấm")'
