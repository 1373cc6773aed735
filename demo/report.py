"""What the demo tells the person who started it: where to look, and how it ended."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from demo.cast import TIMEZONE
from demo.layout import Layout
from demo.progress import describe_counts
from demo.seed import Seeded

ROLE_NAMES = {
    "admin": "quản trị (admin)",
    "operator": "biên tập viên (operator)",
    "approver": "người duyệt (approver)",
}


@dataclass(frozen=True, kw_only=True)
class Where:
    url: str
    layout: Layout
    seeded: Seeded
    capture: bool
    starts_in_s: int


def where_to_look(where: Where) -> list[str]:
    seeded, url, layout = where.seeded, where.url, where.layout
    first = seeded.stations[0].id
    day = seeded.start.day.isoformat()
    lines = [
        "",
        f"Loaxa demo: the station of {seeded.commune_name} is on the air (đài truyền thanh xã)",
        f"  open in a browser (giao diện web)  {url}/   and sign in (đăng nhập) as:",
    ]
    lines += [
        f"    {p.username:<8} password {p.password:<14} {ROLE_NAMES.get(p.role, p.role)}"
        for p in seeded.people
    ]
    lines += [
        f"  API docs (tài liệu API)          {url}/docs   (Authorize with a sign-in above)",
        f"  stations' status (trạng thái)    {url}/api/v1/stations",
        f"  as-run log (nhật ký phát sóng)   {url}/api/v1/asrun",
        f"  playlist preview (lịch phát)     {url}/api/v1/stations/{first}/playlist?date={day}",
        '  API sign-in: POST /api/v1/auth/login with {"username": …, "password": …}',
    ]
    lines += _outputs(where)
    lines.append(f"  logs: {layout.server_log}")
    lines += [f"        {layout.agent_log(n)}" for n in range(1, len(seeded.stations) + 1)]
    lines.append(f"  database: {layout.database_url}")
    total = sum(c.duration_s for c in seeded.content)
    lines += [
        f"The session (phiên phát) starts at {seeded.start.at:%H:%M:%S} {TIMEZONE}, "
        f"in {where.starts_in_s} s: {len(seeded.content)} items, {total:.0f} s of audio.",
        "Press Ctrl-C to stop.",
        "",
    ]
    return lines


def _outputs(where: Where) -> list[str]:
    if not where.capture:
        return ["  what plays: the sound card (both stations)"]
    lines = ["  what plays, as WAV files (one per item played):"]
    for number, station in enumerate(where.seeded.stations, start=1):
        lines.append(f"    {station.name:<18} {where.layout.capture_dir(number)}")
    return lines


def summary(
    *, counts: Mapping[int, Mapping[str, int]], names: Mapping[int, str], captures: list[Path]
) -> list[str]:
    lines = ["As-run records (nhật ký phát sóng), per station:"]
    lines += [f"  {names.get(s, f'station #{s}')}: {describe_counts(c)}" for s, c in counts.items()]
    if captures:
        lines.append(f"WAV files written: {len(captures)}")
        lines += [f"  {path}" for path in captures]
    return lines
