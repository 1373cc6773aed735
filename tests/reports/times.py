"""Times the reports tests share."""

from __future__ import annotations

from datetime import UTC, datetime

SIX = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 06:00 on 1 December in Hanoi
