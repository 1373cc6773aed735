"""The reports' charts: valid, scalable SVG whose text is text, named as an image and
carrying its figures in words; in the caller's language."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from typing import Any

from markupsafe import Markup

from reports.charts import (
    logbook_daily_chart,
    rollup_daily_chart,
    rollup_hours_chart,
    station_day_hours_chart,
)
from reports.models import (
    AreaRollupPublic,
    BulletinCount,
    ItemOutcomePublic,
    LogBookPublic,
    LogDayPublic,
    RollupDayPublic,
    StationDayPublic,
    StationDaySummary,
    TotalsPublic,
)
from reports.rollup import COUNTS
from web.i18n import translations

SVG = "{http://www.w3.org/2000/svg}"
FIRST = date(2026, 12, 1)


def english(message: str) -> str:
    return message


def _totals(**counts: Any) -> TotalsPublic:
    fields = dict.fromkeys(("stations", "station_days", *COUNTS), 0)
    return TotalsPublic(
        **{**fields, **counts},
        planned_minutes=0,
        aired_minutes=0,
        compliance=None,
        uptime=None,
        by_tier={},
        by_category={},
        by_language={},
        by_origin={},
    )


def _rollup(
    days: dict[date, TotalsPublic], last: date, totals: TotalsPublic | None = None
) -> AreaRollupPublic:
    return AreaRollupPublic(
        area_id=1,
        name="Xã Sóc Sơn",
        code="00376",
        level="commune",
        period="range",
        first=FIRST,
        last=last,
        totals=totals or _totals(),
        children=[],
        days=[RollupDayPublic(date=d, totals=t) for d, t in days.items()],
        summed_at=None,
    )


def _parsed(svg: Markup | None) -> ET.Element:
    assert svg is not None
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") and root.get("width") is None and root.get("height") is None
    assert root.get("role") == "img"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_the_daily_chart_draws_each_day_of_the_range_and_says_its_figures() -> None:
    report = _rollup(
        {
            FIRST: _totals(played=4, late=1, partial=1, missing=2),
            FIRST + timedelta(2): _totals(played=3),
        },
        last=FIRST + timedelta(days=2),
    )
    root = _parsed(rollup_daily_chart(report, english))
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Aired and not aired, by day"
    assert desc is not None and desc.text == (
        "01/12: 5 aired, 1 in part, 2 not aired; 02/12: 0 aired, 0 in part, 0 not aired; "
        "03/12: 3 aired, 0 in part, 0 not aired"
    )
    assert {"01/12", "02/12", "03/12", "aired", "not aired"} <= set(_texts(root))  # text, not paths
    labels = (root.get("aria-labelledby") or "").split()
    assert [title.get("id"), desc.get("id")] == labels  # its own title and description


def test_a_long_range_is_drawn_by_month() -> None:
    last = date(2027, 5, 31)
    report = _rollup({FIRST: _totals(played=2), date(2027, 1, 15): _totals(missing=1)}, last=last)
    desc = _parsed(rollup_daily_chart(report, english)).find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert desc.text.startswith("12/2026: 2 aired, 0 in part, 0 not aired; 01/2027: 0 aired")
    assert desc.text.count(";") == 5  # six months


def test_nothing_due_draws_no_chart() -> None:
    assert rollup_daily_chart(_rollup({}, last=FIRST), english) is None
    assert rollup_hours_chart(_totals(), english) is None


def test_the_hours_chart_in_vietnamese() -> None:
    by_hour = {
        "06": BulletinCount(bulletins=3, minutes=9),
        "17": BulletinCount(bulletins=1, minutes=2),
    }
    totals = _totals().model_copy(update={"by_hour": by_hour})
    root = _parsed(rollup_hours_chart(totals, translations("vi").gettext))
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == "06 giờ: 3; 17 giờ: 1"
    assert "giờ trong ngày" in _texts(root)


def test_a_station_days_hours_are_its_aired_items_local_hours() -> None:
    def item(hour: int, outcome: str) -> ItemOutcomePublic:
        start = datetime(2026, 11, 30, 17, tzinfo=UTC) + timedelta(hours=hour)  # 00:00 Hanoi
        return ItemOutcomePublic(
            id=f"q@{hour}",
            start=start,
            duration_s=60,
            tier="normal",
            title="Tin",
            content_id=1,
            outcome=outcome,
            reason=None,
            aired_s=60,
            start_delay_s=0,
            records=[],
            preempted_by=[],
        )

    summary = StationDaySummary(
        planned=3,
        due=3,
        outcomes={},
        compliance=None,
        planned_s=0,
        aired_s=0,
        online_s=0,
        elapsed_s=0,
        incomplete_since=None,
    )
    report = StationDayPublic(
        station_id=1,
        date=FIRST,
        timezone="Asia/Ho_Chi_Minh",
        plan=[],
        items=[item(6, "played"), item(6, "partial"), item(7, "missing")],
        unplanned=[],
        summary=summary,
    )
    desc = _parsed(station_day_hours_chart(report, english)).find(f"{SVG}desc")
    assert desc is not None and desc.text == "06h: 2"  # the missed 07:00 item never aired


def test_two_charts_of_one_page_share_no_id() -> None:
    summary = StationDaySummary(
        planned=2,
        due=2,
        outcomes={"played": 1, "missing": 1},
        compliance=0.5,
        planned_s=0,
        aired_s=0,
        online_s=0,
        elapsed_s=0,
        incomplete_since=None,
    )
    book = LogBookPublic(
        station_id=1,
        station_name="Cụm 1",
        station_code=None,
        area_name="Xã",
        area_code=None,
        timezone="Asia/Ho_Chi_Minh",
        first=FIRST,
        last=FIRST,
        days=[LogDayPublic(date=FIRST, entries=[], summary=summary)],
    )
    daily = str(logbook_daily_chart(book, english))
    hours = str(
        rollup_hours_chart(
            _totals().model_copy(update={"by_hour": {"06": BulletinCount(bulletins=1, minutes=1)}}),
            english,
        )
    )
    again = str(logbook_daily_chart(book, english))  # the same chart twice: two areas' say
    charts = (daily, hours, again)
    ids = [set(re.findall(r'\bid="([^"]+)"', svg)) for svg in charts]
    assert all(ids) and not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    for svg, own in zip(charts, ids, strict=True):  # every reference is to its own
        assert set(re.findall(r"url\(#([^)]+)\)", svg)) <= own
