"""The app on the test's clock: the day before the reported day at 06:00 in Hanoi, when
the keeper builds it ahead."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI

from api import create_app
from core.config import Settings
from tests.clock import SettableClock
from tests.reports.factories import SIX


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(SIX - timedelta(days=1))


@pytest.fixture
def app(settings: Settings, clock: SettableClock) -> FastAPI:
    return create_app(settings, clock=clock)
