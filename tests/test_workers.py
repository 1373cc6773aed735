"""The server's background workers start and stop as one unit: every stop step runs even
when one fails, and nothing the workers started is left running."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from api import create_app
from core.config import Settings


def _worker_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name == "alert-board" and t.is_alive()}


def test_stop_runs_every_step_when_one_fails(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings.model_copy(update={"scheduler_enabled": True}))
    before = _worker_threads()
    with TestClient(app):
        assert app.state.scheduler._scheduler.running
        assert _worker_threads() - before, "the alert board's thread runs"

        def broken() -> int:
            raise RuntimeError("database gone")

        monkeypatch.setattr(app.state.heartbeats, "flush", broken)
    assert "shutdown: test_stop_runs_every_step_when_one_fails.<locals>.broken failed" in (
        caplog.text
    )
    assert not app.state.scheduler._scheduler.running  # stopped after the failed step
    assert _worker_threads() - before == set()


def test_an_app_started_twice_keeps_its_scheduler_running(settings: Settings) -> None:
    """A scheduler once shut down runs no job again: each start must make a new one."""
    app = create_app(settings.model_copy(update={"scheduler_enabled": True}))
    runs = threading.Semaphore(0)
    app.state.scheduler._keep_playlists = runs.release  # the job, counted
    for start in (1, 2):
        with TestClient(app):
            assert runs.acquire(timeout=10), f"start {start}: the keeper's job never ran"
