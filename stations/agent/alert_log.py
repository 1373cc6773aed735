"""What this station knows of each alert, on disk: the alert itself when it came by push
(before any manifest listed it), when it was received, when its files were ready, when it
started and finished, and whether a Cancel stopped it.

It survives restarts, which matters twice: an alert that was playing when the agent
restarted keeps its place in time instead of starting over, and the acknowledgements are
sent again after every reconnection (the server keeps each stage's first time), so a
dropped connection cannot lose the proof of delivery. Small and rarely written: one JSON
file, replaced atomically.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from stations.protocol import AckEvent, ManifestAlert, ManifestFile, Stage

FILE_NAME = "alerts.json"
# Kept this long after an alert expires, then forgotten.
KEEP_AFTER_EXPIRY = timedelta(days=1)


class LoggedAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    expires: AwareDatetime
    pushed: ManifestAlert | None = None
    files: list[ManifestFile] = Field(default_factory=list)
    received_at: AwareDatetime | None = None
    ready_at: AwareDatetime | None = None
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    cancelled: bool = False


class _Stored(BaseModel):
    alerts: dict[str, LoggedAlert] = Field(default_factory=dict)


Acknowledge = Callable[[AckEvent], None]


class AlertLog:
    def __init__(self, data_dir: Path, acknowledge: Acknowledge = lambda _: None) -> None:
        self._path = data_dir / FILE_NAME
        self._acknowledge = acknowledge
        self._alerts = self._load()
        # Bumped on every change: what depends on the log rebuilds when it moves.
        self.version = 0

    def _load(self) -> dict[str, LoggedAlert]:
        try:
            return _Stored.model_validate_json(self._path.read_bytes()).alerts
        except FileNotFoundError:
            return {}
        except ValueError:  # a damaged file: the manifest brings the alerts back
            return {}

    # what happens --------------------------------------------------------------------

    def received(
        self,
        alert: ManifestAlert,
        now: datetime,
        *,
        pushed: bool = False,
        files: list[ManifestFile] | None = None,
    ) -> None:
        state = self._alerts.get(alert.id) or LoggedAlert(expires=alert.expires)
        changed = alert.id not in self._alerts
        if pushed and state.pushed is None:
            state.pushed, state.files, changed = alert, list(files or []), True
        self._alerts[alert.id] = state
        if state.received_at is None:
            state.received_at, changed = now, True
            self._acknowledge(_ack(alert.id, "received", now))
        if changed:
            self._save()

    def ready(self, alert_id: str, now: datetime) -> None:
        state = self._alerts.get(alert_id)
        if state is not None and state.ready_at is None:
            state.ready_at = now
            self._save()

    def reached(self, alert_id: str, stage: Stage, now: datetime) -> None:
        """The alert started (its first play began) or finished (its audio played to the
        end once): acknowledged the first time only."""
        state = self._alerts.get(alert_id)
        column = f"{stage}_at"
        if state is None or getattr(state, column) is not None:
            return
        setattr(state, column, now)
        self._save()
        self._acknowledge(_ack(alert_id, stage, now))

    def cancel(self, alert_id: str, now: datetime) -> None:
        if alert_id not in self._alerts:  # cancelled before this station heard of it
            until = now + timedelta(days=8)
            self._alerts[alert_id] = LoggedAlert(expires=until)
        state = self._alerts[alert_id]
        if not state.cancelled:
            state.cancelled = True
            self._save()

    def withdraw_unlisted(self, listed: set[str], *, before: datetime) -> None:
        """A manifest served after these pushes no longer lists them: the alert ended (a
        Cancel whose push was missed, or an Update) and the pushed copy must not play on."""
        changed = False
        for alert_id, state in self._alerts.items():
            received = state.received_at
            if state.pushed and alert_id not in listed and received and received < before:
                state.pushed, state.files, changed = None, [], True
        if changed:
            self._save()

    def forget_expired(self, now: datetime) -> None:
        old = [i for i, s in self._alerts.items() if s.expires + KEEP_AFTER_EXPIRY < now]
        for alert_id in old:
            del self._alerts[alert_id]
        if old:
            self._save()

    # what is known ---------------------------------------------------------------------

    def pushed(self) -> list[ManifestAlert]:
        return [s.pushed for s in self._alerts.values() if s.pushed and not s.cancelled]

    def pushed_files(self) -> list[ManifestFile]:
        return [f for s in self._alerts.values() if s.pushed and not s.cancelled for f in s.files]

    def cancelled(self) -> set[str]:
        return {i for i, s in self._alerts.items() if s.cancelled}

    def received_at(self, alert_id: str) -> datetime | None:
        state = self._alerts.get(alert_id)
        return None if state is None else state.received_at

    def ready_at(self, alert_id: str) -> datetime | None:
        state = self._alerts.get(alert_id)
        return None if state is None else state.ready_at

    def acks(self) -> list[AckEvent]:
        """Every stage reached, to send again after a reconnection."""
        acks = []
        for alert_id, state in self._alerts.items():
            for stage in ("received", "started", "finished"):
                at = getattr(state, f"{stage}_at")
                if at is not None:
                    acks.append(_ack(alert_id, stage, at))
        return acks

    def _save(self) -> None:
        self.version += 1
        body = _Stored(alerts=self._alerts).model_dump_json(exclude_none=True)
        part = self._path.with_suffix(".part")
        with open(part, "w", encoding="utf-8") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, self._path)
        with contextlib.suppress(OSError):  # the rename made durable where it can be
            directory = os.open(self._path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


def _ack(alert_id: str, stage: Stage, at: datetime) -> AckEvent:
    return AckEvent(type="ack", alert_id=alert_id, stage=stage, at=at)
