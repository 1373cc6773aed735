"""Reports benchmark: the reports of a province-month of generated history, on SQLite and
on PostgreSQL, beside one plain SQL aggregation of the same as-run rows.

The history (benchmarks/reports_history.py): 3,000 stations in 100 communes, 30 days of
plans of record and as-run records (21 items a station-day, with misses, late starts,
offline spells, a storm alert), written in bulk into a fresh database; then the real
summarizer (reports/summaries.py summarize) sums each station-day, timed. Measured, each
the median of `--runs` (each run on a session of its own, a different station where it
takes one):

- the province-month roll-up (reports/rollup.py area_rollup), target ≤ 2 s;
- a station-week log book (reports/logbook.py station_week), target ≤ 100 ms;
- a station-day reconciliation (reports/station_day.py station_day), target ≤ 20 ms;
- proof of play over the month of a province bulletin (every station, every day) and of a
  commune's (reports/proof.py proof_of_play), no target;
- the baseline: one SELECT count(*) … GROUP BY over the province-month's as-run rows.

A new report is one line in CASES.

    .venv/bin/python -m benchmarks.reports                      # full size, SQLite
    .venv/bin/python -m benchmarks.reports --database-url postgresql+psycopg://…/empty_db
    .venv/bin/python -m benchmarks.reports --stations 60 --days 8 --runs 2   # tiny
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from benchmarks.agent_load_setup import require_empty
from benchmarks.machine import describe, doc_parser
from benchmarks.reports_history import OFFLINE_AFTER, History, generate, layout
from core.areas.models import Area
from core.db import Database, chunks
from migrations.upgrade import upgrade
from reports.logbook import station_week
from reports.pdf import PrintHeader
from reports.periodic import periodic_report
from reports.periods import Period
from reports.proof import proof_of_play
from reports.reconcile import LATE_AFTER
from reports.rollup import area_rollup
from reports.station_day import station_day
from reports.summaries import StationDaySummaryRow, summarize
from stations.models import Station
from web.report_print import print_report

ZONE = "Asia/Ho_Chi_Minh"

NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 07:30 local: November is over
SUMMARY_BATCH = 50  # station-days a commit, as the summarizer's tick


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    target_s: float | None
    run: Callable[[Session, History, int], object]  # the run's number picks its station


def _station(history: History, run: int) -> int:
    """A different station each run, spread over the communes."""
    stations = sorted(history.stations)
    return stations[(run * 997) % len(stations)]


def _rollup(session: Session, history: History, _run: int) -> object:
    province = session.get(Area, history.province)
    assert province is not None
    found = area_rollup(
        session=session, area=province, period="month", first=history.first, last=history.last
    )
    assert found.totals.station_days > 0
    return found


def _logbook(session: Session, history: History, run: int) -> object:
    station = session.get(Station, _station(history, run))
    assert station is not None
    area = session.get(Area, station.area_id)
    assert area is not None
    return station_week(
        session=session,
        station=station,
        area=area,
        anchor=history.last - timedelta(days=7),
        now=history.now,
        offline_after=OFFLINE_AFTER,
        late_after=LATE_AFTER,
    )


def _station_day(session: Session, history: History, run: int) -> object:
    found = station_day(
        session=session,
        station_id=_station(history, run),
        day=history.last - timedelta(days=run % 7),
        timezone=ZONE,
        now=history.now,
        offline_after=OFFLINE_AFTER,
        late_after=LATE_AFTER,
    )
    assert found.items
    return found


def _proof(lineage: Callable[[History], int]) -> Callable[[Session, History, int], object]:
    def run(session: Session, history: History, _run: int) -> object:
        found = proof_of_play(
            session=session,
            lineage_id=lineage(history),
            prefixes=["/1/2/"],
            first=history.first,
            last=history.last,
            now=history.now,
            offline_after=OFFLINE_AFTER,
        )
        assert found.targeted > 0
        return found

    return run


def _baseline(session: Session, history: History, _run: int) -> object:
    """What a report straight off the as-run log costs: one GROUP BY over its rows."""
    query = text(
        "SELECT area_id, result, count(*), count(DISTINCT station_id) FROM asrun "
        "WHERE station_area_path LIKE :path AND day >= :first AND day <= :last "
        "GROUP BY area_id, result"
    )
    found = session.execute(
        query, {"path": "/1/2/%", "first": history.first, "last": history.last}
    ).all()
    assert found
    return found


def _month_pdf(session: Session, history: History, _run: int) -> object:
    """The province's periodic report for the month, as the PDF the export answers: its
    roll-up read, its charts drawn, its print page laid out by WeasyPrint."""
    province = session.get(Area, history.province)
    assert province is not None
    report = periodic_report(
        session=session,
        area=province,
        period=Period.month,
        anchor=history.first,
        signers=(None, None, None),
        now=history.now,
    )
    pdf = print_report(report, PrintHeader.of(province, zone=ZONE, now=history.now))
    assert pdf.startswith(b"%PDF")
    return pdf


CASES: list[Case] = [
    Case("province-month roll-up", 2.0, _rollup),
    Case("station-week log book", 0.1, _logbook),
    Case("station-day reconciliation", 0.02, _station_day),
    Case("proof of play, province bulletin, month", None, _proof(lambda h: h.province_lineage)),
    Case("proof of play, commune bulletin, month", None, _proof(lambda h: h.commune_lineage)),
    Case("baseline: SQL GROUP BY over the as-run", None, _baseline),
    Case("province-month periodic report, PDF", 10.0, _month_pdf),
]


def say(message: str) -> None:
    sys.stderr.write(f"[reports {clock.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def summarize_all(database: Database, history: History) -> list[float]:
    """Every station-day summed by the real summarize(), in the summarizer's batches;
    returns each batch's seconds a station-day."""
    with database.session() as session:
        areas = {a.id: a for a in session.exec(select(Area))}
    keys = [
        (station, history.first + timedelta(days=n))
        for n in range(history.days)
        for station in sorted(history.stations)
    ]
    per_day: list[float] = []
    for number, batch in enumerate(chunks(keys, SUMMARY_BATCH), start=1):
        if number % 200 == 0:
            say(f"summarized {number * SUMMARY_BATCH:,} of {len(keys):,}")
        started = clock.perf_counter()
        with database.session(write=True) as session:
            for station, day in batch:
                summarize(
                    session=session,
                    station_id=station,
                    day=day,
                    area=areas[history.stations[station]],
                    now=history.now,
                    offline_after=OFFLINE_AFTER,
                    late_after=LATE_AFTER,
                )
            session.commit()
        per_day.append((clock.perf_counter() - started) / len(batch))
    return per_day


@dataclass
class Measured:
    case: Case
    seconds: list[float]  # wall clock
    cpu: list[float]  # this process's CPU time (on SQLite, the database's work too)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def measure(database: Database, history: History, runs: int, cases: list[Case]) -> list[Measured]:
    found = []
    for case in cases:
        say(f"{case.name}: {runs} run(s)")
        seconds, cpu = [], []
        for run in range(runs + 1):  # the first warms the caches and is not counted
            started, used = clock.perf_counter(), clock.process_time()
            with database.session() as session:
                case.run(session, history, run)
            if run:
                seconds.append(clock.perf_counter() - started)
                cpu.append(clock.process_time() - used)
        found.append(Measured(case, seconds, cpu))
    return found


def _server(database: Database) -> str:
    with database.engine.connect() as connection:
        query = "SELECT sqlite_version()" if database.is_sqlite else "SHOW server_version"
        version = connection.execute(text(query)).scalar()
    return f"{'SQLite' if database.is_sqlite else 'PostgreSQL'} {version}"


def _sizes(database: Database) -> dict[str, int]:
    with database.session() as session:
        tables = (
            "asrun",
            "station_plan",
            "timeline_body",
            "station_presence",
            StationDaySummaryRow.__tablename__,
        )
        return {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def report(
    *,
    server: str,
    history: History,
    sizes: dict[str, int],
    runs: int,
    results: list[Measured],
) -> str:
    stations, days = len(history.stations), history.days
    lines = [
        f"reports benchmark ({server}): {stations:,} stations in {len(history.communes)} "
        f"communes, {days} days ({history.first} to {history.last}), median of {runs} run(s)",
        describe(),
        f"history: {sizes['asrun']:,} as-run records, {sizes['station_plan']:,} plan rows, "
        f"{sizes['timeline_body']:,} timeline bodies, {sizes['station_presence']:,} online "
        f"spells, {sizes['station_day_summary']:,} summaries",
    ]
    if history.timings:  # not when --reuse
        lines += [
            f"generating the history        {history.timings['generate_s']:9.1f} s",
            f"summarizing, a station-day    {history.timings['summary_ms']:9.2f} ms (median "
            f"of batches of {SUMMARY_BATCH}); all {stations * days:,}: "
            f"{history.timings['summarize_s']:.1f} s",
        ]
    lines += [
        f"load average at the end: {', '.join(f'{n:.1f}' for n in os.getloadavg())} "
        "(CPU: this process's, the database's too on SQLite)",
        f"{'case':40} {'median':>10} {'max':>10} {'CPU':>10} {'target':>9}",
    ]
    for found in results:
        target = found.case.target_s
        verdict = ""
        if target is not None:
            verdict = "  ok" if found.median <= target else "  MISSED"
        lines.append(
            f"{found.case.name:40} {_ms(found.median):>10} {_ms(max(found.seconds)):>10} "
            f"{_ms(statistics.median(found.cpu)):>10} {_ms(target) if target else '-':>9}"
            f"{verdict}"
        )
    return "\n".join(lines) + "\n"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = doc_parser(__doc__)
    parser.add_argument("--stations", type=int, default=3000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5, help="runs of each case (median)")
    parser.add_argument(
        "--database-url", default=None, help="an EMPTY database; default: a new SQLite file"
    )
    parser.add_argument("--cases", default=None, help="only the cases whose name holds this")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file made")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="the database already holds the history (of the same --stations and --days)",
    )
    args = parser.parse_args(argv)
    if args.stations < 1 or args.days < 1 or args.runs < 1:
        parser.error("--stations, --days and --runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse(argv)
    folder = Path(tempfile.mkdtemp(prefix="loaxa-bench-reports-"))
    url = args.database_url or f"sqlite:///{folder / 'reports.db'}"
    history = layout(stations=args.stations, days=args.days, now=NOW)
    if not args.reuse:
        require_empty(url)
    upgrade(url)  # a reused database gets the migrations since it was made
    database = Database(url)
    try:
        if not args.reuse:
            _fill(database, history)
        cases = [c for c in CASES if args.cases is None or args.cases in c.name]
        results = measure(database, history, args.runs, cases)
        sizes = _sizes(database)
        server = _server(database)
    finally:
        database.dispose()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        elif not args.database_url:
            say(f"kept: --database-url {url} --reuse")
    sys.stdout.write(
        report(server=server, history=history, sizes=sizes, runs=args.runs, results=results)
    )
    return {
        "history": history,
        "sizes": sizes,
        "results": {m.case.name: m.median for m in results},
    }


def _fill(database: Database, history: History) -> None:
    """The history, then its summaries (both timed)."""
    started = clock.perf_counter()
    generate(database, history, say=say)
    history.timings["generate_s"] = clock.perf_counter() - started
    say(f"summarizing {len(history.stations) * history.days:,} station-days")
    started = clock.perf_counter()
    per_day = summarize_all(database, history)
    history.timings["summarize_s"] = clock.perf_counter() - started
    history.timings["summary_ms"] = statistics.median(per_day) * 1000
    if not database.is_sqlite:
        with database.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


if __name__ == "__main__":
    main()
