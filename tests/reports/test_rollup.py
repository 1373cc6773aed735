"""Station-day summaries kept by the summarizer, and area roll-ups over periods."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from reports.periods import Period, days_in, period_bounds
from reports.summarizer import ReportSummarizer
from tests.clock import SettableClock
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, build, queue_into
from tests.reports.factories import summarize
from tests.stations.fleet.factories import add_asrun, enrolled_station, record
from tests.world import World


def test_periods_are_the_calendars() -> None:
    assert period_bounds(Period.week, date(2026, 12, 3)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert period_bounds(Period.month, date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_bounds(Period.quarter, date(2026, 11, 5)) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert period_bounds(Period.half, date(2026, 6, 30)) == (date(2026, 1, 1), date(2026, 6, 30))
    assert period_bounds(Period.year, date(2028, 2, 29)) == (date(2028, 1, 1), date(2028, 12, 31))


@given(st.sampled_from(list(Period)), st.dates(date(2000, 1, 1), date(2100, 12, 31)))
def test_a_period_holds_its_anchor_and_the_next_one_follows_it(period: Period, day: date) -> None:
    first, last = period_bounds(period, day)
    assert first <= day <= last
    assert period_bounds(period, last + timedelta(days=1))[0] == last + timedelta(days=1)
    assert len(days_in(first, last)) <= 366


def test_a_province_day_rolls_up_by_commune(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    a1, _ = enrolled_station(world, "A1")
    a2, _ = enrolled_station(world, "A1")
    enrolled_station(world, "B1")  # reports nothing
    session_id = make_session(world, "P", start=time(6, 0), targets=["P"])
    for order, title in enumerate(["Tin sáng", "Tiêm chủng"]):
        queue_into(world, session_id, approved_audio(world, "P", title=title), order=order)
    build(world, clock)
    clock.advance(timedelta(days=1, hours=6))  # 12:00
    headers = world.headers("admin_p", clock.now())
    plan = client.get(f"/api/v1/stations/{a1}/playlist?date=2026-12-01", headers=headers).json()
    first, second = plan["items"]

    def played(item: dict[str, object]) -> object:
        start = datetime.fromisoformat(str(item["start_utc"]))
        return record(
            item_id=item["id"],
            content_id=item["content_id"],
            planned_start=start,
            started_at=start,
            ended_at=start + timedelta(seconds=60),
        )

    add_asrun(world, a1, played(first), played(second))
    add_asrun(world, a2, played(first))
    assert summarize(world, clock) == 6  # each station's today and yesterday
    url = f"/api/v1/reports/areas/{world.areas['P']}/rollup?period=day&date=2026-12-01"
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    rollup = response.json()
    assert (rollup["first"], rollup["last"]) == ("2026-12-01", "2026-12-01")
    totals = rollup["totals"]
    assert (totals["stations"], totals["due"], totals["played"], totals["missing"]) == (3, 6, 3, 3)
    assert totals["compliance"] == 0.5 and totals["aired_minutes"] == 3.0
    assert totals["by_tier"] == {"normal": {"bulletins": 3, "minutes": 3.0}}
    assert totals["by_origin"] == {"province": {"bulletins": 3, "minutes": 3.0}}
    assert totals["by_hour"] == {"06": {"bulletins": 3, "minutes": 3.0}}  # Vietnam's 06:00
    by_name = {c["name"]: c["totals"] for c in rollup["children"]}
    assert (by_name["A"]["due"], by_name["A"]["played"], by_name["A"]["compliance"]) == (4, 3, 0.75)
    assert (by_name["B"]["due"], by_name["B"]["played"]) == (2, 0)
    month = client.get(
        f"/api/v1/reports/areas/{world.areas['P']}/rollup?period=month&date=2026-12-01",
        headers=headers,
    ).json()
    assert (month["first"], month["last"]) == ("2026-12-01", "2026-12-31")
    assert month["totals"] == totals  # one day summed so far
    assert month["days"] == [{"date": "2026-12-01", "totals": totals}]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=month&from=2026-12-01&to=2026-12-02", "period"),
        ("from=2026-12-05&to=2026-12-01", "to"),
        ("from=2026-12-01", "to"),
        ("from=2025-01-01&to=2026-12-01", "to"),
        ("period=fortnight", "period"),
    ],
)
def test_a_roll_up_refuses_a_period_it_cannot_read(
    client: TestClient, world: World, clock: SettableClock, query: str, field: str
) -> None:
    url = f"/api/v1/reports/areas/{world.areas['P']}/rollup?{query}"
    response = client.get(url, headers=world.headers("admin_p", clock.now()))
    assert response.status_code == 422, response.text
    assert field in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/stations/1/days/9999-12-31",
        "/api/v1/reports/stations/1/days/0001-01-01",
        "/api/v1/reports/stations/1/logbook?date=9999-12-31",
        "/api/v1/reports/areas/1/rollup?period=year&date=9999-03-01",
        "/api/v1/reports/areas/1/periodic?period=year&date=9999-03-01",
        "/api/v1/reports/proof-of-play?lineage_id=1&from=0001-01-01",
        "/api/v1/reports/alerts?from=0001-01-01T00:00:00%2B07:00",
    ],
)
def test_a_day_no_report_can_cover_is_refused_by_name(
    client: TestClient, world: World, clock: SettableClock, path: str
) -> None:
    enrolled_station(world, "A1")
    response = client.get(path, headers=world.headers("admin_a", clock.now()))
    assert response.status_code == 422, response.text
    assert "outside the days reports cover" in response.text


def test_the_summarizer_never_leaves_a_day_whose_records_arrived_behind(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    """More touched days than a batch holds: all are summed in the tick that saw them."""
    stations = [enrolled_station(world, "A1")[0] for _ in range(3)]
    clock.advance(timedelta(days=1, hours=6))
    for station in stations:
        add_asrun(world, station, record())
    tiny = ReportSummarizer(
        database=world.database,
        clock=clock,
        timezone="Asia/Ho_Chi_Minh",
        offline_after=timedelta(seconds=180),
        late_after=timedelta(seconds=2),
        refresh=timedelta(minutes=10),
        retention_days=400,
        batch=1,
    )
    assert tiny.tick() >= len(stations)
