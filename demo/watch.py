"""What the demo shows while it runs, read from the server as an admin would: each as-run
record as it arrives, and each station's status as it changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from demo import cast
from demo.client import ApiClient
from demo.layout import Layout
from demo.progress import AsRunLog, describe_record, parse_record
from demo.seed import Seeded

# As operators know them (trạng thái trạm).
STATUS_NAMES = {
    "not_enrolled": "chưa kết nối (not enrolled yet)",
    "online": "đang hoạt động (online)",
    "offline": "mất kết nối (offline)",
    "revoked": "đã thu hồi (revoked)",
}


class Watch:
    def __init__(
        self, *, url: str, admin: cast.Person, seeded: Seeded, layout: Layout, capture: bool
    ) -> None:
        self.seeded, self._layout, self._capture = seeded, layout, capture
        self._client = ApiClient.signed_in(url, username=admin.username, password=admin.password)
        every_item = frozenset(c.id for c in seeded.content)
        self.log = AsRunLog(expected={s.id: every_item for s in seeded.stations})
        self._names = {s.id: s.name for s in seeded.stations}
        self._titles = {c.id: c.title for c in seeded.content}
        self._status: dict[int, tuple[Any, ...]] = {}

    def poll(self) -> list[str]:
        """Lines for what changed since the last poll."""
        return self._station_changes() + self._new_records()

    def still_waiting(self) -> str:
        missing = self.log.missing()
        if not missing:
            return "every item was reported"
        parts = [
            f"{self._names.get(station, station)}: "
            + ", ".join(sorted(self._titles.get(i, str(i)) for i in items))
            for station, items in missing.items()
        ]
        return "no as-run record yet for " + "; ".join(parts)

    def captures(self) -> list[Path]:
        if not self._capture:
            return []
        dirs = [self._layout.capture_dir(n) for n in range(1, len(self.seeded.stations) + 1)]
        return sorted(p for d in dirs if d.is_dir() for p in d.glob("*.wav"))

    def close(self) -> None:
        self._client.close()

    def _new_records(self) -> list[str]:
        reply = self._client.get("/api/v1/asrun", limit=500)
        new = self.log.add(parse_record(raw) for raw in reply["data"])
        return [
            "  ▶ "
            + describe_record(r, stations=self._names, titles=self._titles, timezone=cast.TIMEZONE)
            for r in new
        ]

    def _station_changes(self) -> list[str]:
        lines = []
        for station in self._client.get("/api/v1/stations", limit=500)["data"]:
            state = (station["status"], station["manifest_version"])
            if self._status.get(station["id"]) == state:
                continue
            self._status[station["id"]] = state
            version = f", playlist version {state[1]}" if state[1] is not None else ""
            status = STATUS_NAMES.get(state[0], state[0])
            lines.append(f"  {station['name']}: {status}{version}")
        return lines
