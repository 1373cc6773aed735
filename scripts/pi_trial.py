"""The server side of scripts/pi_trial.sh: what a real server's people do for a station,
through its HTTP API, and the check of what the station then played.

    prepare   the first admin (the `loaxa admin create-user` command), a province and a
              commune, an operator and an approver, a station, two items of real audio made
              with ffmpeg uploaded, submitted and approved (four eyes), and the station's
              enrolment code, printed on the last line
    schedule  a daily session starting LEAD seconds from now with both items queued
    verify    waits for the station's as-run records (nhật ký phát sóng), then checks each
              item was played, started on time and was captured into a WAV file of the
              stored audio's length that sounds like it

Everything is kept in WORK/trial.json between the steps. Only the host's .venv runs this:
the root under test gets the agent alone, installed by deploy/pi/install.sh.
"""

from __future__ import annotations

import argparse
import array
import json
import math
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from demo.client import ApiClient
from demo.jingle import make_jingle
from demo.timing import session_start

TIMEZONE = "Asia/Ho_Chi_Minh"
ADMIN = "trial-admin"
# Decoded for the comparison at this mono rate, as tests/audio/compare.py does.
RATE = 8000
# A capture within 2 % of the stored audio's length, and at least this alike.
LENGTH_TOLERANCE = 0.02
MIN_CORRELATION = 0.9


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class TrialError(Exception):
    """A check failed; the message says which and by how much."""


def state_path(work: Path) -> Path:
    return work / "trial.json"


def load(work: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(state_path(work).read_text())
    return data


def save(work: Path, state: dict[str, Any]) -> None:
    state_path(work).write_text(json.dumps(state, indent=2) + "\n")


def person(client: ApiClient, username: str, role: str, area_id: int) -> dict[str, str]:
    password = secrets.token_urlsafe(12)
    body = {
        "username": username,
        "full_name": f"Trial {role}",
        "password": password,
        "area_id": area_id,
        "roles": [{"role": role, "area_id": area_id}],
    }
    client.post("/api/v1/users", body)
    return {"username": username, "password": password}


def audio_of(url: str, login: dict[str, str], content_id: int) -> bytes:
    """The stored audio (Opus in WebM) as the server serves it: what the station will play."""
    with httpx.Client(base_url=url, timeout=60) as http:
        reply = http.post("/api/v1/auth/login", json=login)
        reply.raise_for_status()
        token = reply.json()["access_token"]
        audio = http.get(
            f"/api/v1/content/{content_id}/audio", headers={"Authorization": f"Bearer {token}"}
        )
        audio.raise_for_status()
        return audio.content


def noise(path: Path, *, seconds: float, seed: int) -> Path:
    """Pink noise from ffmpeg: no two stretches alike, so a capture that matches it is the
    item itself, at the right place."""
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"]
    command += [f"anoisesrc=duration={seconds}:color=pink:seed={seed}:amplitude=0.4"]
    command += ["-ac", "1", "-ar", "48000", str(path)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return path


def prepare(args: argparse.Namespace) -> None:
    work: Path = args.work
    password = secrets.token_urlsafe(12)
    # The first admin comes from the shell, as on a new server: nobody can sign in yet.
    env = {**os.environ, "LOAXA_DATABASE_URL": args.database_url, "LOAXA_ADMIN_PASSWORD": password}
    loaxa = str(Path(sys.executable).with_name("loaxa"))
    subprocess.run(
        [loaxa, "admin", "create-user", ADMIN, "--role", "admin"],
        env=env,
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )
    with ApiClient.signed_in(args.url, username=ADMIN, password=password) as admin:
        root_id = int(admin.get("/api/v1/auth/me")["area_id"])
        province = admin.post(
            "/api/v1/areas",
            {"name": "Tỉnh Thử nghiệm", "level": "province", "parent_id": root_id},
        )
        commune = admin.post(
            "/api/v1/areas",
            {
                "name": "Xã Thử nghiệm",
                "level": "commune",
                "division_type": "xã",
                "parent_id": province["id"],
                "timezone": TIMEZONE,
            },
        )
        area_id = int(commune["id"])
        operator = person(admin, "trial-operator", "operator", area_id)
        approver = person(admin, "trial-approver", "approver", area_id)
        station = admin.post(
            "/api/v1/stations",
            {"name": "Cụm loa thử nghiệm", "code": "pi-trial", "area_id": area_id},
        )
        station_id = int(station["id"])
        sounds = [
            ("Nhạc hiệu (thử)", make_jingle(path=work / "jingle.wav")),
            ("Bản tin (thử)", noise(work / "bulletin.wav", seconds=args.bulletin_s, seed=7)),
        ]
        content = approved(args.url, operator, approver, area_id, sounds)
        code = str(admin.post(f"/api/v1/stations/{station_id}/enrollment-code")["code"])
    save(
        work,
        {
            "url": args.url,
            "area_id": area_id,
            "station_id": station_id,
            "operator": operator,
            "admin": {"username": ADMIN, "password": password},
            "content": content,
        },
    )
    say(f"station #{station_id} in commune #{area_id}; enrolment code (mã đăng ký):")
    say(code)


def approved(
    url: str,
    operator: dict[str, str],
    approver: dict[str, str],
    area_id: int,
    sounds: list[tuple[str, Path]],
) -> list[dict[str, Any]]:
    """Each sound uploaded (the server ingests it with ffmpeg), submitted by the operator
    and approved by the approver, never by the same person."""
    content = []
    with (
        ApiClient.signed_in(url, **operator) as writer,
        ApiClient.signed_in(url, **approver) as checker,
    ):
        for title, sound in sounds:
            fields = {"title": title, "category": "thông báo", "language": "vi"}
            fields |= {"area_id": str(area_id), "source": "pi_trial"}
            draft = writer.upload("/api/v1/content/upload", file=sound, fields=fields)
            writer.post(f"/api/v1/content/{draft['id']}/submit")
            item = checker.post(f"/api/v1/content/{draft['id']}/approve")
            stored = sound.with_name(f"stored-{item['id']}.opus")
            stored.write_bytes(audio_of(url, operator, int(item["id"])))
            content.append(
                {
                    "id": int(item["id"]),
                    "title": title,
                    "sha256": item["sha256"],
                    "duration_s": float(item["duration_s"]),
                    "stored": str(stored),
                }
            )
            seconds, sha = float(item["duration_s"]), str(item["sha256"])
            say(f"content approved: {title} ({seconds:.2f} s, sha256 {sha[:12]}…)")
    return content


def schedule(args: argparse.Namespace) -> None:
    state = load(args.work)
    start = session_start(
        now=datetime.now(UTC), timezone=TIMEZONE, lead=timedelta(seconds=args.lead)
    )
    with ApiClient.signed_in(args.url, **state["operator"]) as writer:
        body = {
            "name": "Phiên phát thử (pi_trial)",
            "area_id": state["area_id"],
            "target_area_ids": [state["area_id"]],
            "start": start.at.isoformat(),
            "max_length_s": 120,
            "recurrence": {"repeat": "daily"},
        }
        session_id = int(writer.post("/api/v1/sessions", body)["id"])
        for order, item in enumerate(state["content"]):
            entry = {
                "content_id": item["id"],
                "session_id": session_id,
                "recurrence": {"repeat": "daily"},
                "order": order,
            }
            writer.post("/api/v1/queue", entry)
    state["session_id"] = session_id
    state["start"] = start.utc.isoformat()
    save(args.work, state)
    say(f"session #{session_id} starts at {start.at} {TIMEZONE} ({start.utc.isoformat()})")


def records(admin: ApiClient, station_id: int) -> list[dict[str, Any]]:
    reply = admin.get("/api/v1/asrun", station_id=station_id)
    rows: list[dict[str, Any]] = reply["data"]
    return sorted(rows, key=lambda r: r["planned_start"] or "")


def verify(args: argparse.Namespace) -> None:
    state = load(args.work)
    content = state["content"]
    start = datetime.fromisoformat(state["start"])
    total = sum(item["duration_s"] for item in content)
    deadline = start + timedelta(seconds=total + args.timeout)
    with ApiClient.signed_in(args.url, **state["admin"]) as admin:
        found = records(admin, state["station_id"])
        while len(found) < len(content):
            if datetime.now(UTC) > deadline:
                raise TrialError(
                    f"{len(found)} of {len(content)} as-run records reached the server by "
                    f"{args.timeout:.0f} s after the session's end: {found}"
                )
            time.sleep(1)
            found = records(admin, state["station_id"])
        station = admin.get(f"/api/v1/stations/{state['station_id']}")
        device = enrolled_as(admin, state["station_id"])
    say(
        f"station #{station['id']}: status {station.get('status')}, agent "
        f"{station.get('agent_version')}, clock_offset_ms {station.get('clock_offset_ms')}, "
        f"enrolled as device {device!r}"
    )
    failures: list[str] = []
    if args.device and device.split("/")[0] != args.device:
        failures.append(f"enrolled as {device!r}, not as the system's own name {args.device!r}")
    captures = sorted(args.capture.glob("*.wav"))
    for number, (item, record) in enumerate(zip(content, found, strict=True), start=1):
        planned = datetime.fromisoformat(record["planned_start"])
        started = datetime.fromisoformat(record["started_at"]) if record["started_at"] else None
        offset = (started - planned) / timedelta(milliseconds=1) if started else math.nan
        say(
            f"item {number} {item['title']}: {record['result']}, planned {planned.isoformat()},"
            f" started {started.isoformat() if started else '-'}, offset {offset:+.0f} ms,"
            f" clock_offset_ms {record['clock_offset_ms']}"
        )
        if record["content_id"] != item["id"] or record["result"] != "played":
            failures.append(f"item {number}: {record['result']} {record['error'] or ''}".strip())
        if number == 1 and planned != start:
            failures.append(f"item 1 planned at {planned}, the session starts at {start}")
        if not abs(offset) <= args.tolerance_ms:
            failures.append(f"item {number} started {offset:+.0f} ms off its time")
        failures += check_capture(number, item, captures, args.capture)
    if failures:
        raise TrialError("; ".join(failures))
    say("verified: every item played on time, captured whole, sounding like the stored audio")


def enrolled_as(admin: ApiClient, station_id: int) -> str:
    """The device name the agent gave at enrolment, as the audit log keeps it."""
    events = admin.get("/api/v1/audit", action="station.enroll", object_id=str(station_id))
    names = [str(e["after"].get("hardware_id", "")) for e in events["data"]]
    return names[0] if names else ""


def check_capture(
    number: int, item: dict[str, Any], captures: list[Path], where: Path
) -> list[str]:
    name = f"{number:04d}-{item['sha256']}.wav"
    wav = where / name
    if wav not in captures:
        return [f"no capture {name} in {where} (there are: {[c.name for c in captures]})"]
    captured, stored = decode(wav), decode(Path(item["stored"]))
    seconds = len(captured) / RATE
    expected = len(stored) / RATE
    alike = correlation(captured, stored)
    say(
        f"  capture {name[:17]}….wav: {wav.stat().st_size} bytes, {seconds:.2f} s of "
        f"{expected:.2f} s stored ({item['duration_s']:.2f} s by the server), correlation "
        f"{alike:.3f}"
    )
    problems = []
    if abs(seconds - expected) > LENGTH_TOLERANCE * expected:
        problems.append(f"capture {number} is {seconds:.2f} s, the stored audio {expected:.2f} s")
    if alike < MIN_CORRELATION:
        problems.append(f"capture {number} does not sound like the stored audio ({alike:.3f})")
    return problems


def decode(path: Path) -> array.array[int]:
    """Mono 16-bit samples at RATE, decoded by ffmpeg."""
    command = ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-ac", "1"]
    command += ["-ar", str(RATE), "-f", "s16le", "-"]
    raw = subprocess.run(command, capture_output=True, check=True, timeout=60).stdout
    samples = array.array("h")
    samples.frombytes(raw)
    return samples


def correlation(a: array.array[int], b: array.array[int], *, max_lag_s: float = 0.05) -> float:
    """Normalised correlation over the overlap (1.0: the same waveform) at the lag, within
    `max_lag_s` either way, that fits the first half second best: a decoder's priming
    samples shift the start a little."""
    max_lag = int(max_lag_s * RATE)
    window = RATE // 2
    lag = max(range(-max_lag, max_lag + 1), key=lambda k: at_lag(a, b, k, window))
    return at_lag(a, b, lag, min(len(a), len(b)))


def at_lag(a: array.array[int], b: array.array[int], lag: int, length: int) -> float:
    x, y = a[max(lag, 0) :], b[max(-lag, 0) :]
    n = min(len(x), len(y), length)
    dot = sum(p * q for p, q in zip(x[:n], y[:n], strict=True))
    energy = math.sqrt(sum(p * p for p in x[:n]) * sum(q * q for q in y[:n]))
    return dot / energy if energy else 0.0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    top.add_argument("--url", required=True, help="the server, http://127.0.0.1:PORT")
    top.add_argument("--work", type=Path, required=True, help="where trial.json is kept")
    steps = top.add_subparsers(dest="step", required=True)
    first = steps.add_parser("prepare")
    first.add_argument("--database-url", required=True)
    first.add_argument("--bulletin-s", type=float, default=8.0)
    second = steps.add_parser("schedule")
    second.add_argument("--lead", type=float, default=90.0, help="seconds to the session")
    third = steps.add_parser("verify")
    third.add_argument("--capture", type=Path, required=True, help="the agent's --capture-dir")
    third.add_argument("--timeout", type=float, default=120.0, help="seconds after the end")
    third.add_argument("--tolerance-ms", type=float, default=1000.0)
    third.add_argument("--device", help="the host name the station must have enrolled under")
    return top


def main() -> int:
    args = parser().parse_args()
    steps = {"prepare": prepare, "schedule": schedule, "verify": verify}
    try:
        steps[args.step](args)
    except TrialError as exc:
        sys.stderr.write(f"FAILED: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
