"""The app on the test's clock, so the dates in these tests stay "near today" every year."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI

from api import create_app
from core.config import Settings
from tests.clock import SettableClock

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hanoi


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def app(settings: Settings, clock: SettableClock) -> FastAPI:
    return create_app(settings, clock=clock)
