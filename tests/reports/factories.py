"""What the reports tests share: the reported day's 06:00, and one summarizer tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.clock import Clock
from reports.summarizer import ReportSummarizer
from tests.world import World

SIX = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 06:00 on 1 December in Hanoi


def summarize(world: World, clock: Clock) -> int:
    """One summarizer tick at the clock's time; returns the station-days it summed."""
    return ReportSummarizer(
        database=world.database,
        clock=clock,
        timezone="Asia/Ho_Chi_Minh",
        offline_after=timedelta(seconds=180),
        late_after=timedelta(seconds=2),
        refresh=timedelta(minutes=10),
        retention_days=400,
    ).tick()
