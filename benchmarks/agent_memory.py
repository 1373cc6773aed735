"""Agent memory benchmark: what a real station agent (`loaxa agent`, started as on a
Raspberry Pi's agent-only install) holds in memory idle and while it plays a session, and the
CPU it uses idle, beside baselines measured in the same run.

    .venv/bin/python -m benchmarks.agent_memory                 # 3 runs, an idle minute each
    .venv/bin/python -m benchmarks.agent_memory --runs 5 --idle-s 60 --play-s 20

A real server (`loaxa server` on SQLite, on loopback) with one approved bulletin of real
audio; for each agent measured, a commune with one station and a one-time code. The agent
enrols with the code (`--enroll`), syncs its first manifest; a session starting after the
idle window is queued through the data functions, and the agent syncs it and fetches the
bulletin. Then, from /proc/PID/smaps_rollup, RSS, PSS and private memory (the sample with
the largest RSS) and from /proc/PID/stat the CPU time: through the idle window (enrolled,
manifest synced, file cached, nothing playing) and while the session plays (sampled every
0.1 s). Agent modes: `agent` (capturing into WAV files with --capture-dir), `agent+mqtt`
(the same, with paho-mqtt and aiomqtt imported first: the MQTT push's clients, which the
agent now imports itself, so the two should agree; the server here has no broker, so the
agent's push runs over the WebSocket channel), and
`agent+mqtt sound` (VLC's default output to the sound card: skipped, and said so, on a
machine without one). Baselines, each its own process: bare Python sleeping; Python
holding one libvlc instance with the agent's options, idle, and playing the same bulletin
into a WAV file; Python with the agent's imports, and with MQTT's on top. Every process is
measured alone, one after another; medians over runs. Target: the playing agent ≤ 80 MB RSS.

PSS shares each page among the processes mapping it, here the server and this benchmark
(Python and libc pages), so it reads lower than on a Pi where the agent runs alone; the
private figure does not depend on the neighbours. VLC loads every one of its plugins
(hundreds of libraries) when its plugin cache (plugins.dat, written by vlc-cache-gen from
Debian's libvlc-bin) is missing: the report says whether it is there.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from audio.vlc_player import has_sound_card, plugin_cache
from benchmarks import agent_memory_procs as procs
from benchmarks.agent_load_procs import LOAXA, Processes, clean_env, free_port
from benchmarks.agent_memory_setup import Commune, Stage, prepare, schedule
from benchmarks.machine import describe
from stations.protocol import Manifest

RSS_TARGET_MB = 80.0
READY_TIMEOUT_S = 60.0
SETTLE_S = 4.0  # from queuing the session to the idle window: sync, fetch, settle
PLAY_EVERY_S = 0.1
IDLE_EVERY_S = 0.5


@dataclass(frozen=True, slots=True)
class AgentMode:
    name: str
    mqtt: bool
    capture: bool  # WAV capture, or VLC's default output (the sound card)


AGENT_MODES = (
    AgentMode("agent", mqtt=False, capture=True),
    AgentMode("agent+mqtt", mqtt=True, capture=True),
    AgentMode("agent+mqtt sound", mqtt=True, capture=False),
)
BASELINES = (
    "python",
    "python+libvlc",
    "python+libvlc playing",
    "python+agent imports",
    "python+agent imports+mqtt",
)


@dataclass(slots=True)
class AgentRun:
    idle: procs.Sample
    playing: procs.Sample
    peak_mb: float  # VmHWM: the most it ever held resident
    sync_s: float  # from start to its first manifest (enrolment included)
    where_idle: tuple[dict[str, tuple[float, int]], list[tuple[str, float]]]
    where_playing: tuple[dict[str, tuple[float, int]], list[tuple[str, float]]]


@dataclass(slots=True)
class Found:
    baselines: dict[str, list[procs.Sample]] = field(default_factory=dict)
    agents: dict[str, list[AgentRun]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    plugin_cache: Path | None = None
    plugin_dir: Path | None = None


def _wait(
    check: Callable[[], bool],
    what: str,
    timeout_s: float,
    processes: Processes,
    process: subprocess.Popen[bytes],
) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited\n{processes.log_tail(process)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout_s:g} s\n{processes.log_tail(process)}")
        time.sleep(0.05)  # polling files and logs


def _server(processes: Processes, url: str, data_dir: Path) -> str:
    port = free_port()
    env = clean_env(
        {
            "LOAXA_DATABASE_URL": url,
            "LOAXA_DATA_DIR": str(data_dir),
            "LOAXA_SCHEDULER_INTERVAL_S": "0.2",  # the session is built as soon as queued
        }
    )
    process = processes.start("server", [LOAXA, "server", "--port", str(port)], env, data_dir)
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    _wait(ready, "the server ready", READY_TIMEOUT_S, processes, process)
    return base


def _baseline(
    name: str, processes: Processes, stage: Stage, work: Path, seconds: float
) -> procs.Sample:
    wav = work / f"{name.replace(' ', '-')}.wav"
    wav.unlink(missing_ok=True)
    command = {
        "python": procs.bare(),
        "python+libvlc": procs.libvlc(None, None),
        "python+libvlc playing": procs.libvlc(stage.audio, wav),
        "python+agent imports": procs.imports(mqtt=False),
        "python+agent imports+mqtt": procs.imports(mqtt=True),
    }[name]
    label = f"baseline-{name.replace(' ', '-')}"
    process = processes.start(label, command, clean_env({}), work)
    log = processes.folder / f"{label}.log"
    try:
        _wait(lambda: "ready" in log.read_text(), name, READY_TIMEOUT_S, processes, process)
        if name == "python+libvlc playing":
            _wait(lambda: wav.exists(), "VLC writing", READY_TIMEOUT_S, processes, process)
        return procs.sample(process.pid, seconds, PLAY_EVERY_S, lambda: process.poll() is None)
    finally:
        processes.stop(process)


def _agent(
    mode: AgentMode,
    processes: Processes,
    server: str,
    stage: Stage,
    commune: Commune,
    work: Path,
    args: argparse.Namespace,
) -> AgentRun:
    folder = work / f"agent-{commune.station_id}"
    capture = folder / "played"
    options = ["--server", server, "--data-dir", str(folder), "--enroll", commune.code]
    options += ["--hardware-id", f"bench-memory-{commune.station_id}"]
    # A push sent before the agent's event channel is up is missed; its poll then finds
    # the session within seconds, not the default minute (seen once on a slow machine).
    options += ["--poll-interval", "5"]
    if mode.capture:
        options += ["--capture-dir", str(capture)]
    label = f"agent-{commune.station_id}"
    began = time.monotonic()
    process = processes.start(label, procs.agent(options, mqtt=mode.mqtt), clean_env({}), work)
    manifest = folder / "manifest.json"
    cached = folder / "cache" / stage.sha256
    try:
        _wait(manifest.exists, f"{mode.name}: first manifest", READY_TIMEOUT_S, processes, process)
        sync_s = time.monotonic() - began
        start = (datetime.now(UTC) + timedelta(seconds=args.idle_s + SETTLE_S)).replace(
            microsecond=0
        ) + timedelta(seconds=1)
        schedule(stage, commune, start)

        def synced() -> bool:
            if not cached.exists():
                return False
            saved = Manifest.model_validate_json(manifest.read_bytes())
            return any(f.sha256 == stage.sha256 for f in saved.files)

        _wait(synced, f"{mode.name}: session synced", SETTLE_S + 30, processes, process)
        time.sleep(0.5)  # the sync's last writes
        alive = lambda: process.poll() is None  # noqa: E731
        left = (start - datetime.now(UTC)).total_seconds() - 0.5
        if left < args.idle_s / 2:
            raise RuntimeError(f"{mode.name}: syncing the session left {left:.1f} s idle")
        idle = procs.sample(process.pid, min(args.idle_s, left), IDLE_EVERY_S, alive)
        where_idle = procs.where(process.pid)
        if mode.capture:
            first = lambda: any(capture.glob("0001-*.wav"))  # noqa: E731
            _wait(first, f"{mode.name}: playing", 30, processes, process)
        else:
            time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds() + 0.5))
        playing = procs.sample(process.pid, args.play_s, PLAY_EVERY_S, alive)
        where_playing = procs.where(process.pid)
        peak = _status_mb(process.pid, "VmHWM")
    finally:
        processes.stop(process)
    return AgentRun(idle, playing, peak, sync_s, where_idle, where_playing)


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(args: argparse.Namespace) -> Found:
    found = Found()
    found.plugin_dir, found.plugin_cache = plugin_cache()
    modes = [m for m in AGENT_MODES if m.name in args.modes]
    for mode in modes:
        if not mode.capture and not has_sound_card():
            found.skipped[mode.name] = "no sound card (/dev/snd has no playback device)"
    modes = [m for m in modes if m.name not in found.skipped]
    baselines = [b for b in BASELINES if b in args.baselines]
    with tempfile.TemporaryDirectory(prefix="loaxa-agent-memory-") as folder:
        work = Path(folder)
        say(f"setting up: {len(modes) * args.runs} stations, a {args.play_s + 2:g} s bulletin")
        stage = prepare(
            f"sqlite:///{work / 'loaxa.db'}", work, len(modes) * args.runs, args.play_s + 2
        )
        processes = Processes(work)
        try:
            server = _server(processes, stage.url, work)
            communes = iter(stage.communes)
            for run in range(args.runs):
                for name in baselines:
                    say(f"run {run + 1}/{args.runs}: {name}")
                    sample = _baseline(name, processes, stage, work, args.baseline_s)
                    found.baselines.setdefault(name, []).append(sample)
                for mode in modes:
                    say(f"run {run + 1}/{args.runs}: {mode.name} (idle {args.idle_s:g} s)")
                    result = _agent(mode, processes, server, stage, next(communes), work, args)
                    found.agents.setdefault(mode.name, []).append(result)
        finally:
            processes.stop_all()
    return found


def say(message: str) -> None:
    sys.stderr.write(f"[agent_memory {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# the report --------------------------------------------------------------------------------


def _median(samples: list[procs.Sample]) -> tuple[procs.Memory, float]:
    memory = procs.Memory(
        rss_mb=statistics.median(s.memory.rss_mb for s in samples),
        pss_mb=statistics.median(s.memory.pss_mb for s in samples),
        private_mb=statistics.median(s.memory.private_mb for s in samples),
        anon_mb=statistics.median(s.memory.anon_mb for s in samples),
    )
    return memory, statistics.median(s.cpu_s_per_min for s in samples)


def _line(name: str, samples: list[procs.Sample], cpu: bool = True) -> str:
    memory, per_min = _median(samples)
    cpu_text = f"{per_min:9.3f}" if cpu else f"{'':9}"
    return (
        f"{name:32} {memory.rss_mb:7.1f} {memory.pss_mb:7.1f} {memory.private_mb:8.1f} "
        f"{memory.anon_mb:7.1f} {cpu_text}"
    )


def report(found: Found, args: argparse.Namespace) -> None:
    lines: list[str] = []
    out = lines.append
    out("")
    out(describe())
    cache = found.plugin_cache
    if found.plugin_dir is None:
        out("VLC plugins: directory not found")
    else:
        state = f"present ({cache.name})" if cache else "MISSING: VLC loads every plugin"
        out(f"VLC plugins: {found.plugin_dir}, cache {state}")
    out(
        f"{args.runs} run(s), medians; agents idle {args.idle_s:g} s, playing {args.play_s:g} s "
        f"(sampled every {PLAY_EVERY_S:g} s, largest RSS kept); baselines {args.baseline_s:g} s"
    )
    out("")
    header = (
        f"{'process':32} {'RSS MB':>7} {'PSS MB':>7} {'private':>8} {'anon':>7} {'CPU s/min':>9}"
    )
    out(header)
    out("-" * len(header))
    for name, samples in found.baselines.items():
        out(_line(name, samples))
    for name, runs in found.agents.items():
        out(_line(f"{name}, idle", [r.idle for r in runs]))
        out(_line(f"{name}, playing", [r.playing for r in runs]))
    for name, why in found.skipped.items():
        out(f"{name:32} skipped: {why}")
    out("")
    for name, runs in found.agents.items():
        peak = statistics.median(r.peak_mb for r in runs)
        cpu = statistics.median(r.idle.cpu_s for r in runs)
        window = statistics.median(r.idle.window_s for r in runs)
        playing = statistics.median(r.playing.memory.rss_mb for r in runs)
        verdict = "meets" if playing <= RSS_TARGET_MB else "misses"
        out(
            f"{name}: RSS playing {playing:.1f} MB, {verdict} the target "
            f"(≤ {RSS_TARGET_MB:g} MB); "
            f"peak (VmHWM) {peak:.1f} MB; CPU {cpu:.2f} s over {window:.0f} s idle; "
            f"first manifest {statistics.median(r.sync_s for r in runs):.1f} s after start"
        )
    for name, runs in found.agents.items():
        for phase, (groups, files) in (
            ("idle", runs[-1].where_idle),
            ("playing", runs[-1].where_playing),
        ):
            out("")
            out(f"where {name}'s RSS lies, {phase} (last run):")
            for group, (mb, count) in sorted(groups.items(), key=lambda g: -g[1][0]):
                out(f"  {group:28} {mb:7.1f} MB  ({count} mapping name(s))")
            out("  largest: " + ", ".join(f"{Path(p).name} {mb:.1f}" for p, mb in files[:5]))
    print("\n".join(lines))  # noqa: T201


def main(argv: list[str] | None = None) -> Found:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each, medians reported")
    parser.add_argument("--idle-s", type=float, default=60.0, help="the agents' idle window")
    parser.add_argument("--play-s", type=float, default=20.0, help="sampled while playing")
    parser.add_argument("--baseline-s", type=float, default=5.0, help="each baseline sampled")
    parser.add_argument(
        "--modes",
        type=lambda text: text.split(","),
        default=[m.name for m in AGENT_MODES],
        help="agent modes, comma-separated: " + ", ".join(m.name for m in AGENT_MODES),
    )
    parser.add_argument(
        "--baselines",
        type=lambda text: text.split(","),
        default=list(BASELINES),
        help="baselines, comma-separated: " + ", ".join(BASELINES),
    )
    args = parser.parse_args(argv)
    unknown = set(args.modes) - {m.name for m in AGENT_MODES} | set(args.baselines) - set(BASELINES)
    if unknown:
        parser.error(f"unknown mode or baseline: {', '.join(sorted(unknown))}")
    found = measure(args)
    report(found, args)
    return found


if __name__ == "__main__":
    main()
