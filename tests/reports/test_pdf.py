"""PDF exports: each report's PDF is its print page (the page's own body, its charts) in
Vietnamese, and says what its API answer says: read back with pypdf."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pypdf
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import BaseModel

from alerts.acks import AckBuffer
from reports.alert_models import AlertDeliveryReport, AlertDeliverySummaries
from reports.models import AreaRollupPublic, LogBookPublic, StationDayPublic
from reports.pdf import PDF, html_to_pdf
from tests.alerts.factories import make_alert
from tests.clock import SettableClock
from tests.reports.factories import DAY, one_aired_one_missed, summarize
from tests.stations.factories import make_station
from tests.world import World, now
from web import i18n
from web.report_bodies import report_charts
from web.templating import environment, speaking

REPORTS = "/api/v1/reports"


def _text(answer: httpx.Response) -> str:
    """The PDF's text, its white space made single spaces."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == PDF
    assert ".pdf" in answer.headers["content-disposition"]
    reader = pypdf.PdfReader(io.BytesIO(answer.content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _percent(share: float) -> str:
    """As the page and the PDF write a share in Vietnamese: 66,7%."""
    return f"{round(share * 100, 1):g}%".replace(".", ",")


def _body(name: str, report: BaseModel, *, links: bool) -> str:
    """A report's body as a page includes it (in English here) or a PDF (links=False)."""
    i18n.use("en")
    template = environment.get_template(f"reports/_{name}.html")
    context = speaking("en", "Asia/Ho_Chi_Minh")
    return template.render(**context, report=report, charts=report_charts(report), links=links)


def _get(client: TestClient, url: str, headers: dict[str, str]) -> Any:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _pdf(client: TestClient, url: str, headers: dict[str, str]) -> str:
    path, _, query = url.partition("?")
    return _text(client.get(f"{path}/export?format=pdf&{query}", headers=headers))


def test_a_stations_day_week_and_proof_as_pdf_say_what_the_api_says(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    station = one_aired_one_missed(client, world, clock)
    headers = world.headers("supervisor_a", clock.now())

    url = f"{REPORTS}/stations/{station}/days/{DAY}"
    day, text = _get(client, url, headers), _pdf(client, url, headers)
    assert f"Báo cáo phát sóng {day['station_name']}" in text
    assert day["station_name"].startswith("Cụm loa ")
    assert "Thứ Ba 01/12/2026" in text
    summary = day["summary"]
    assert f"Tỷ lệ phát {_percent(summary['compliance'])}" in text
    assert f"Bản tin đến giờ {summary['due']}" in text
    assert f"Đã phát {summary['outcomes']['played']}" in text
    assert f"Không phát {summary['outcomes']['missing']}" in text
    # each item's line: time, title, outcome and the reason, in Vietnamese
    assert "06:00 1:00 Tiêm chủng mở rộng Đã phát" in text
    assert "Giá lúa Không phát cụm loa mất kết nối" in text
    assert "Bản tin đã phát theo giờ" in text  # the chart's caption
    assert "Trang 1 / 1" in text
    body = _body("station_day", StationDayPublic.model_validate(day), links=True)
    lineage = day["items"][0]["records"][0]["lineage_id"]
    assert f'href="/reports/stations/{station}/logbook?date={DAY}"' in body
    assert f'href="/reports/proof?lineage_id={lineage}&amp;from={DAY}&amp;to={DAY}"' in body
    assert "Played" in body and "cluster offline" in body and "<svg" in body
    assert "<a " not in _body("station_day", StationDayPublic.model_validate(day), links=False)

    url = f"{REPORTS}/stations/{station}/logbook?date={DAY}"
    book, text = _get(client, url, headers), _pdf(client, url, headers)
    assert f"Sổ nhật ký phát sóng: {book['station_name']}" in text
    first = next(d for d in book["days"] if d["date"] == DAY)["summary"]
    assert f"Tỷ lệ phát {_percent(first['compliance'])}: đã phát 1/{first['due']}" in text
    assert "Thứ Hai 30/11/2026" in text and "Chủ Nhật 06/12/2026" in text
    assert "Bản tin đến giờ mỗi ngày" in text  # the daily chart
    body = _body("logbook", LogBookPublic.model_validate(book), links=True)
    assert f'href="/reports/stations/{station}/days/{DAY}"' in body

    content = day["items"][0]["content_id"]
    url = f"{REPORTS}/proof-of-play?content_id={content}&from={DAY}&to={DAY}"
    proof, text = _get(client, url, headers), _pdf(client, url, headers)
    assert "Bằng chứng phát sóng: Tiêm chủng mở rộng" in text
    assert f"{proof['aired_on']}/{proof['targeted']} cụm loa" in text


def test_an_areas_roll_up_and_periodic_report_as_pdf_hold_the_apis_totals(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    one_aired_one_missed(client, world, clock)
    summarize(world, clock)
    headers = world.headers("admin_p", clock.now())
    area = world.areas["P"]

    url = f"{REPORTS}/areas/{area}/rollup?period=month&date={DAY}"
    rollup, text = _get(client, url, headers), _pdf(client, url, headers)
    totals = rollup["totals"]
    assert f"Tổng hợp phát sóng: {rollup['name']}" in text
    assert f"Tỷ lệ phát {_percent(totals['compliance'])}" in text
    assert f"Bản tin đến giờ {totals['due']}" in text
    assert f"Đã phát đủ {totals['played'] + totals['late']}" in text
    assert f"Không phát {totals['missing'] + totals['failed'] + totals['skipped']}" in text
    assert "Theo đơn vị" in text and "Theo ngày" in text
    for child in rollup["children"]:  # each commune's line: its name, clusters, due, aired
        t = child["totals"]
        assert f"{child['name']} {t['stations']} {t['due']} {t['played'] + t['late']}" in text
    assert "01/12/2026" in text and "31/12/2026" in text
    body = _body("rollup", AreaRollupPublic.model_validate(rollup), links=True)
    child = rollup["children"][0]["area_id"]
    assert f'href="/reports/areas/{child}?period=month&amp;date=2026-12-01"' in body
    assert f'href="/reports/areas/{area}?period=day&amp;date={DAY}"' in body  # its day

    url = f"{REPORTS}/areas/{area}/periodic?period=month&date={DAY}"
    periodic, text = _get(client, url, headers), _pdf(client, url, headers)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert periodic["title"].upper() in text.upper()
    assert "Người lập biểu" in text and "Thủ trưởng đơn vị" in text
    assert f"Tỷ lệ phát {_percent(periodic['rollup']['totals']['compliance'])}" in text


def test_an_alerts_delivery_as_pdf_names_the_cluster_to_call(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    clock.current = now()
    heard, silent = make_station(world, "A"), make_station(world, "A")
    alert = make_alert(world, "A", issued=True)
    assert alert.issued_at is not None
    buffer = AckBuffer(world.database)
    buffer.add(station_id=heard, alert_id=alert.identifier, stage="received", at=alert.issued_at)
    buffer.flush()
    clock.current = alert.issued_at + timedelta(minutes=10)
    headers = world.headers("supervisor_a", clock.now())

    url = f"{REPORTS}/alerts/{alert.id}"
    report, text = _get(client, url, headers), _pdf(client, url, headers)
    assert "Báo cáo truyền bản tin khẩn cấp: Lũ quét: tránh xa bờ suối" in text
    summary = report["summary"]
    assert f"Cụm loa nhận lệnh {summary['targeted']}" in text
    assert f"Không xác nhận {summary['never_acknowledged']}" in text
    assert text.count("không xác nhận: hãy gọi cụm loa") == summary["never_acknowledged"] == 1
    body = _body("alert", AlertDeliveryReport.model_validate(report), links=True)
    assert f'href="/reports/stations/{heard}/days/' in body
    assert f'href="/reports/stations/{silent}/days/' in body
    assert body.count("never acknowledged: call the cluster") == 1
    listed = client.get(f"{REPORTS}/alerts", headers=headers).json()
    body = _body("alerts", AlertDeliverySummaries.model_validate(listed), links=True)
    assert f'href="/reports/alerts/{alert.id}"' in body


def _png(path: Path) -> str:
    Image.new("RGB", (4, 4), "red").save(path)
    return path.as_uri()


def test_a_print_page_fetches_its_own_files_and_nothing_else(tmp_path: Path) -> None:
    root, outside = tmp_path / "static", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    own, other = _png(root / "own.png"), _png(outside / "other.png")
    html = f'<p>Chữ Việt</p><img src="{own}"><img src="{other}"><img src="http://127.0.0.1:9/x">'
    page = pypdf.PdfReader(io.BytesIO(html_to_pdf(html, root=root, stylesheets=[]))).pages[0]
    assert "Chữ Việt" in page.extract_text()
    assert len(page.images) == 1  # its own; neither the other folder's nor the network's
