"""The alert fan-out benchmark's figures: one Run per alert sent, medians over runs, the
table, the targets and the machine."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field, fields

from benchmarks.machine import describe

P99_TARGET_MS = 300.0  # all 1,000 received within 300 ms at p99
ALL_TARGET_MS = 1000.0  # all 10,000 within 1 s
STARTED_TARGET_MS = 500.0  # playback started within 500 ms of receipt
SMALL_FLEET = 1000  # up to this size the p99 target applies, beyond it the "all" one
# Issue 18 (national scale), for every transport: 1,000 agents p99 within 100 ms, 10,000 all
# within 0.7 s.
NATIONAL_P99_MS = 100.0
NATIONAL_ALL_MS = 700.0
BARE_OF = {"loaxa": "bare", "loaxa-mqtt": "bare-mqtt"}


@dataclass(slots=True)
class Run:
    """One alert: latencies from t0 (just before the POST) to each push's arrival."""

    server: str  # loaxa | bare
    agents: int
    received: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    post_ms: float  # the POST's own response time
    stored_ms: float = math.nan  # until the server had stored every "received" (loaxa)
    real_received_ms: float = math.nan  # the real agent's "received", after t0
    real_gap_ms: float = math.nan  # its "started" after its "received"
    real_started_ms: float = math.nan  # its "started", after t0
    capture_ms: float = math.nan  # VLC's capture file appeared, after t0
    broker_cpu_ms: float = math.nan  # Mosquitto's CPU time over the run (MQTT)
    clients_cpu_ms: float = math.nan  # the simulated agents' processes', until all received
    server_cpu_ms: float = math.nan  # the server's processes' over the run (loaxa)
    others: dict[str, int] = field(default_factory=dict)  # other pushes during the run
    warmup: bool = False  # shown, but not in the medians


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def run_of(server: str, agents: int, t0: float, arrivals: list[float], post_s: float) -> Run:
    latencies = sorted((at - t0) * 1000 for at in arrivals)
    return Run(
        server=server,
        agents=agents,
        received=len(latencies),
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        max_ms=latencies[-1] if latencies else math.nan,
        post_ms=post_s * 1000,
    )


def _median(values: list[float]) -> float:
    found = [v for v in values if not math.isnan(v)]
    return statistics.median(found) if found else math.nan


def median_of(runs: list[Run]) -> Run:
    """Medians of every figure over the runs (received: the smallest)."""
    merged = Run(
        server=runs[0].server,
        agents=runs[0].agents,
        received=min(r.received for r in runs),
        p50_ms=0.0,
        p99_ms=0.0,
        max_ms=0.0,
        post_ms=0.0,
    )
    for item in fields(Run):
        if item.type == "float":
            setattr(merged, item.name, _median([getattr(r, item.name) for r in runs]))
    return merged


@dataclass(frozen=True, slots=True)
class Setting:
    agents: int
    runs: int
    warmup: int
    backend: str
    client_procs: int
    real_agent: bool
    server_workers: int = 1
    transports: tuple[str, ...] = ("websocket",)


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def report(setting: Setting, runs: dict[str, list[Run]], notes: list[str]) -> str:
    real = " (+1 real agent with VLC)" if setting.real_agent else ""
    lines = [
        f"alert fan-out benchmark: {setting.agents} simulated agents{real} in one commune, "
        f"{setting.client_procs} client process(es), {setting.backend}; median of "
        f"{setting.runs} run(s) after {setting.warmup} warm-up alert(s) (w: shown, not in the "
        "medians)",
        "servers: loaxa = uvicorn api:create_app (scheduler enabled), POST /api/v1/alerts "
        f"(approved audio, issue_now), {setting.server_workers} uvicorn worker(s); bare = "
        "benchmarks/alert_fanout_bare.py, POST /fanout sending the same message text to every "
        "connection, 1 uvicorn worker, same settings. A Cancel follows each loaxa run; one "
        "server per phase",
        "latency: from just before the POST to the push's arrival at each simulated agent "
        "(time.time() on arrival; it acks 'received' at once); stored: until the server's "
        "database held every 'received' (acks are written every 0.25 s)",
        *(
            [
                "mqtt: loaxa-mqtt = the same server with LOAXA_PUSH_TRANSPORT=mqtt through a "
                "Mosquitto of the benchmark's own (the repository's template), the simulated "
                "agents paho-mqtt clients with their own credentials and persistent sessions, "
                "acking 'received' at QoS 1 on their acks topics; bare-mqtt = one paho "
                "publisher publishing the same alert text once, QoS 1, on the commune's area "
                "topic to the same subscribers, no server"
            ]
            if "mqtt" in setting.transports
            else []
        ),
        "CPU time over each run: broker ms = Mosquitto's; clients ms = the simulated agents' "
        "processes' until the last arrival; server ms = Loaxa's processes' (POST to the "
        "detail read afterwards, acks stored)",
        describe(),
        *notes,
        "",
        f"{'server':<10} {'run':>4} {'received':>11} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'POST ms':>8} {'stored ms':>10} {'agent recv':>11} "
        f"{'start-recv':>11} {'start ms':>9} {'wav ms':>7} {'broker ms':>9} "
        f"{'clients ms':>10} {'server ms':>9}",
    ]
    medians: dict[str, Run] = {}
    for server, found in runs.items():
        measured = [r for r in found if not r.warmup]
        if not measured:
            continue
        medians[server] = median_of(measured)
        numbered = [(f"w{n}", r) for n, r in enumerate(found, 1) if r.warmup]
        if len(found) > 1:
            numbered += [(str(n), r) for n, r in enumerate(measured, 1)]
        for label, run in [*numbered, ("med", medians[server])]:
            lines.append(
                f"{server:<10} {label:>4} {f'{run.received}/{run.agents}':>11} "
                f"{_ms(run.p50_ms):>8} {_ms(run.p99_ms):>8} {_ms(run.max_ms):>8} "
                f"{_ms(run.post_ms):>8} {_ms(run.stored_ms):>10} "
                f"{_ms(run.real_received_ms):>11} {_ms(run.real_gap_ms):>11} "
                f"{_ms(run.real_started_ms):>9} {_ms(run.capture_ms):>7} "
                f"{_ms(run.broker_cpu_ms):>9} {_ms(run.clients_cpu_ms):>10} "
                f"{_ms(run.server_cpu_ms):>9}"
            )
    lines += [
        "",
        "agent recv, start ms: the real agent's 'received' and 'started' (its ack times, as "
        "stored) after the POST; start-recv: started after received (each alert's audio is a "
        "new file, fetched in between); wav ms: VLC's capture file appeared",
    ]
    for server, found in runs.items():
        others: dict[str, int] = {}
        for run in found:
            for kind, count in run.others.items():
                others[kind] = others.get(kind, 0) + count
        if others:
            listed = ", ".join(f"{kind} x{count}" for kind, count in sorted(others.items()))
            lines.append(f"{server}: other pushes during the runs: {listed}")
    if "loaxa" in medians:
        lines += _targets(setting, medians["loaxa"], medians.get("bare"))
    lines += _national(setting, medians)
    return "\n".join(lines) + "\n"


def _national(setting: Setting, medians: dict[str, Run]) -> list[str]:
    """Issue 18's targets, for each transport measured, beside its bare floor."""
    lines = []
    for server, bare_name in BARE_OF.items():
        run = medians.get(server)
        if run is None:
            continue
        complete = run.received == run.agents
        bare = medians.get(bare_name)
        if setting.agents <= SMALL_FLEET:
            ok = complete and run.p99_ms <= NATIONAL_P99_MS
            floor = f" (bare floor {_ms(bare.p99_ms)} ms)" if bare else ""
            lines.append(
                f"issue 18 target, {server}: p99 received <= {NATIONAL_P99_MS:g} ms (stated for "
                f"1,000 agents): {_ms(run.p99_ms)} ms{floor}, {run.received}/{run.agents} "
                f"received: {_verdict(ok)}"
            )
        else:
            ok = complete and run.max_ms <= NATIONAL_ALL_MS
            floor = f" (bare floor {_ms(bare.max_ms)} ms)" if bare else ""
            lines.append(
                f"issue 18 target, {server}: all received <= {NATIONAL_ALL_MS:g} ms (stated for "
                f"10,000 agents): max {_ms(run.max_ms)} ms{floor}, {run.received}/{run.agents} "
                f"received: {_verdict(ok)}"
            )
    return lines


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _targets(setting: Setting, loaxa: Run, bare: Run | None) -> list[str]:
    complete = loaxa.received == loaxa.agents
    lines = []
    if setting.agents <= SMALL_FLEET:
        ok = complete and loaxa.p99_ms <= P99_TARGET_MS
        lines.append(
            f"target: p99 received <= {P99_TARGET_MS:g} ms (stated for 1,000 agents): "
            f"{_ms(loaxa.p99_ms)} ms, {loaxa.received}/{loaxa.agents} received: {_verdict(ok)}"
        )
    else:
        ok = complete and loaxa.max_ms <= ALL_TARGET_MS
        lines.append(
            f"target: all received <= {ALL_TARGET_MS:g} ms (stated for 10,000 agents): "
            f"max {_ms(loaxa.max_ms)} ms, {loaxa.received}/{loaxa.agents} received: "
            f"{_verdict(ok)}"
        )
    if setting.real_agent:
        gap = loaxa.real_gap_ms
        lines.append(
            f"target: playback started <= {STARTED_TARGET_MS:g} ms after receipt: "
            f"{_ms(gap)} ms: {_verdict(gap <= STARTED_TARGET_MS)}"
        )
    if bare is not None:
        lines.append(
            f"beside the bare floor: p99 {_ms(loaxa.p99_ms)} vs {_ms(bare.p99_ms)} ms, max "
            f"{_ms(loaxa.max_ms)} vs {_ms(bare.max_ms)} ms"
        )
    return lines
