"""Board polling benchmark: the server's CPU for open status boards (/stations) kept current
by their live updates, over the heartbeats of a fleet of agents, beside the same heartbeats
with no board open.

Setup (not measured; benchmarks/board_polling_setup.py): a new database (SQLite in a
temporary folder, or a PostgreSQL database of its own made next to --database-url's and
dropped afterwards) holding Việt Nam → a province → `--communes` communes with `--agents`
stations shared out among them, enrolled and with their playlists built; a supervisor for
each commune and one for the province; a sign-in token for each board. Then the real
`loaxa server` (one process, scheduler on) with LOAXA_BOARD_REFRESH_S=`--refresh-s`, and
each agent's first manifest fetch, whose version its heartbeats report.

Each run, in one client process of its own (benchmarks/board_polling_client.py: raw HTTP/1.1
on asyncio, a new connection a request, so its CPU is not the server's and stays small):
every agent's first heartbeat, then heartbeats on a fixed schedule (each agent every
`--heartbeat-s`, spread evenly: agents/heartbeat-s a second, the agents in a random order,
so that each commune's beats fall anywhere in the minute) all through, and two phases of
`--seconds` side by side:

- heartbeats only;
- the same heartbeats and `--boards` open boards: a `--province-share` of them on the
  province's board (its supervisor), the rest on the communes' (each commune's supervisor),
  each opened first (its page, whose live element holds the digest), then asking
  GET /stations/board?area=ID&seen=DIGEST every `--refresh-s` from a random offset, as htmx
  does: a 204 keeps the digest, a 200 brings the new one in its hx-get.

Every heartbeat changes its station's row, as a real one does (its last-seen time, which an
online station's board row does not show); on a `--changing` share of them (all, by default:
the worst case) the CPU temperature it reports steps by a degree, which the board shows.
Measured: the server process tree's CPU time over each phase (/proc; on PostgreSQL the
database's own processes are not in it), so its CPU % of one core, and the difference the
boards make (per board request, too); board requests/s, the share of 204s, and their
latency (p50, p99); each phase's heartbeat latency from when it was due. Medians over
`--runs`.

    .venv/bin/python -m benchmarks.board_polling                 # 1,000 agents, 500 boards
    .venv/bin/python -m benchmarks.board_polling --runs 3 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m benchmarks.board_polling --agents 20 --boards 10 --seconds 3 \\
        --refresh-s 1 --heartbeat-s 20 --communes 3               # tiny
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.agent_load import REQUEST_TIMEOUT_S, prime, server_version
from benchmarks.agent_load_procs import Processes, Server, run_generators, start_loaxa
from benchmarks.alert_fanout_setup import bench_database
from benchmarks.board_polling_report import Figures, Setting, figures_of, median_of, report
from benchmarks.board_polling_setup import Stage, prepare
from benchmarks.machine import doc_parser, load, run_script
from stations.protocol import HEARTBEAT_PATH
from web.session import SESSION_COOKIE

CLIENT = "benchmarks.board_polling_client"
SETTLE_S = 2.0  # heartbeats on their schedule before the first phase: connections opened


def say(message: str) -> None:
    sys.stderr.write(f"[board_polling {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def province_boards(boards: int, share: float) -> int:
    return round(boards * share)


def one_run(
    processes: Processes,
    server: Server,
    stage: Stage,
    agents: list[dict[str, Any]],
    args: argparse.Namespace,
    number: int,
) -> Figures:
    spec = {
        "host": "127.0.0.1",
        "port": server.port,
        "server_pid": server.process.pid,
        "cookie": SESSION_COOKIE,
        "heartbeat_path": HEARTBEAT_PATH,
        "agents": [{"token": a["token"], "heartbeat": a["heartbeat"]} for a in agents],
        "boards": [
            {"token": b.token, "area_id": b.area_id, "scope": b.scope} for b in stage.boards
        ],
        "seconds": args.seconds,
        "heartbeat_s": args.heartbeat_s,
        "refresh_s": args.refresh_s,
        "settle_s": SETTLE_S,
        "timeout_s": REQUEST_TIMEOUT_S,
        "seed": args.seed + number,
        "changing": args.changing,
    }
    # Generous: the first heartbeats and the boards' pages take what the server makes them.
    timeout = 120 + SETTLE_S + 2 * args.seconds + len(agents) * 0.05 + args.boards * 0.5
    (result,) = run_generators(processes, [spec], timeout, module=CLIENT)
    found = figures_of(result)
    say(
        f"run {number}: server CPU {found.quiet_cpu_pct:.1f} % -> {found.live_cpu_pct:.1f} % "
        f"of a core with boards; {found.polls_per_s:.1f} board requests/s, "
        f"{found.not_modified * 100:.1f} % 204; {found.opened}/{args.boards} boards opened in "
        f"{found.opened_s:.1f} s; {found.errors} error(s)"
    )
    return found


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = doc_parser(__doc__)
    parser.add_argument("--agents", type=int, default=1000, help="enrolled stations")
    parser.add_argument("--boards", type=int, default=500, help="open status boards")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument(
        "--refresh-s", type=float, default=10.0, help="the boards' refresh (0.5 to 300)"
    )
    parser.add_argument(
        "--heartbeat-s", type=float, default=60.0, help="each agent's heartbeat interval"
    )
    parser.add_argument("--communes", type=int, default=10, help="communes in the province")
    parser.add_argument(
        "--province-share", type=float, default=0.2, help="of the boards, on the province's"
    )
    parser.add_argument(
        "--changing",
        type=float,
        default=1.0,
        help="share of heartbeats that change what a board shows (its CPU temperature steps "
        "by a degree): 1 every one (the worst case), 0 none (only what a board does not show)",
    )
    parser.add_argument("--runs", type=int, default=1, help="runs of both phases (median)")
    parser.add_argument("--seed", type=int, default=1, help="the boards' offsets")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server's database (the benchmark makes and drops one of its own "
        "beside it); default: SQLite",
    )
    args = parser.parse_args(argv)
    for name in ("agents", "boards", "communes", "runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.communes > args.agents:
        parser.error("--communes must not be more than --agents")
    if not 0.5 <= args.refresh_s <= 300:
        parser.error("--refresh-s must be from 0.5 to 300 (the server's own bounds)")
    if args.seconds <= 0 or args.heartbeat_s <= 0 or not 0 <= args.province_share <= 1:
        parser.error("--seconds and --heartbeat-s must be positive, --province-share 0 to 1")
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url: a postgresql+psycopg://… URL")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse(argv)
    backend = "postgresql" if args.database_url else "sqlite"
    on_province = province_boards(args.boards, args.province_share)
    folder = Path(tempfile.mkdtemp(prefix="loaxa-bench-board-"))
    processes = Processes(folder)
    notes = [f"before the runs: {load()}"]
    runs: list[Figures] = []
    try:
        with bench_database(backend, args.database_url, folder, say) as url:
            try:
                data_dir = folder / "data"
                data_dir.mkdir()
                say(f"setting up {args.agents} stations and {args.boards} boards on {backend}")
                stage = prepare(
                    url,
                    data_dir,
                    stations=args.agents,
                    communes=args.communes,
                    boards=args.boards,
                    province_boards=on_province,
                    say=say,
                )
                database = server_version(url)
                say("starting the server")
                refresh = {"LOAXA_BOARD_REFRESH_S": f"{args.refresh_s:g}"}
                server = start_loaxa(processes, url, data_dir, refresh)
                say("each agent's first manifest fetch")
                agents = prime(server, stage.stations)
                for number in range(1, args.runs + 1):
                    say(f"run {number}/{args.runs}: {2 * args.seconds:g} s of phases")
                    runs.append(one_run(processes, server, stage, agents, args, number))
            finally:
                processes.stop_all()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    notes.append(f"after the runs: {load()}")
    setting = Setting(
        agents=args.agents,
        boards=args.boards,
        commune_boards=args.boards - on_province,
        communes=stage.communes,
        seconds=args.seconds,
        refresh_s=args.refresh_s,
        heartbeat_s=args.heartbeat_s,
        runs=args.runs,
        database=database,
    )
    sys.stdout.write(report(setting, runs, notes))
    return {"runs": runs, "median": median_of(runs), "notes": notes}


if __name__ == "__main__":
    run_script(main, say, "every process stopped, the temporary folder removed")
