"""Each benchmark at a tiny size, so none of them rots. Timing is not asserted."""

from __future__ import annotations

from benchmarks import ingest


def test_ingest_benchmark_runs() -> None:
    summary = ingest.main(["--minutes", "0.05", "--runs", "1"])
    assert set(summary) == {"baseline", "loaxa"}
    assert all(row["seconds"] > 0 and row["peak_tree_mb"] > 0 for row in summary.values())


def test_build_benchmark_runs() -> None:
    from benchmarks import build

    results = build.main(["--communes", "3", "--days", "2"])
    assert results["one_day_shared_s"] > 0 and results["one_day_naive_s"] > 0


def test_shared_and_naive_builds_agree() -> None:
    from benchmarks import build
    from playlists.builder.serialize import timeline_bytes

    communes = build.nation(2)
    shared, naive = build.shared_build(communes, 2), build.naive_build(communes, 2)
    assert shared.keys() == naive.keys()
    assert all(timeline_bytes(shared[k]) == timeline_bytes(naive[k]) for k in shared)


def test_database_build_benchmark_runs(empty_database_url: str) -> None:
    from benchmarks import build_db

    results = build_db.main(
        ["--communes", "3", "--days", "2", "--database-url", empty_database_url]
    )
    assert results["stations"] == 3 * build_db.STATIONS_PER_COMMUNE
    assert results["one_day_s"] > 0 and results["incremental_s"] > 0


def test_agent_load_benchmark_runs(empty_database_url: str) -> None:
    """Real server, bare baseline, generator and agent processes, at a tiny size."""
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    backend = "sqlite" if empty_database_url.startswith("sqlite") else "postgresql"
    options = ["--backends", backend]
    if backend == "postgresql":
        options += ["--database-url", empty_database_url]
    tiny = ["--stations", "5", "--rate", "50", "--seconds", "2", "--concurrency", "4"]
    tiny += ["--idle-seconds", "2", "--warmup", "0"]
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.agent_load", *tiny, *options],
        cwd=Path(__file__).resolve().parents[2],
        env={k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {
        (fields[1], fields[2]): fields
        for fields in (line.split() for line in result.stdout.splitlines())
        if fields[:1] == [backend] and fields[1:2] in (["loaxa"], ["bare"])
    }
    assert set(rows) == {(s, m) for s in ("loaxa", "bare") for m in ("fixed", "max")}, result.stdout
    assert all(float(row[4]) > 0 and row[-2] == "0" for row in rows.values()), result.stdout
    sizes = re.findall(r"^agent \(.*RSS idle ([\d.]+) MB", result.stdout, re.MULTILINE)
    assert len(sizes) == 2 and all(float(mb) > 0 for mb in sizes), result.stdout


def test_playout_benchmark_runs() -> None:
    """Engine and bare loop over four items with VLC capturing to WAV; every item is played
    and matched to VLC's Playing event."""
    import math

    from benchmarks import playout

    summary = playout.main(["--items", "4", "--runs", "1", "--lead-s", "1"])
    assert set(summary) == {"engine", "baseline"}
    for row in summary.values():
        assert row["items"] == row["played"] == row["matched"] == 4
        assert row["soft_gaps"] == 3
        assert all(math.isfinite(value) for value in row.values()), row
        gaps = [value for key, value in row.items() if key.startswith("gap_")]
        assert all(value >= 0 for value in gaps), row
        assert row["vlc_after_own_p50_ms"] >= 0
    engine = summary["engine"]
    assert engine["start_own_min_ms"] >= 0  # the engine never starts an item early
    assert engine["start_vlc_max_ms"] >= engine["start_own_max_ms"]


def test_playout_benchmark_hears_a_paced_output() -> None:
    """The same into PulseAudio's null sink, its monitor recorded: every item's start is
    found in the recording, after the engine's own timestamp (the output has latency)."""
    import math

    from benchmarks import playout

    summary = playout.main(["--items", "4", "--runs", "1", "--lead-s", "1", "--aout", "pulse"])
    for row in summary.values():
        assert row["heard"] == row["played"] == 4
        assert all(math.isfinite(value) for value in row.values()), row
        assert row["start_own_p50_ms"] <= row["start_heard_p50_ms"] < 500, row
        assert 0 <= row["gap_heard_max_ms"] < 500, row


def test_playout_benchmark_hears_the_scheduled_player() -> None:
    """The same with the scheduled player (ffmpeg, one PulseAudio stream): every item is
    played and its start found in the recording."""
    import math

    from benchmarks import playout

    argv = ["--items", "4", "--runs", "1", "--lead-s", "1", "--aout", "pulse"]
    summary = playout.main([*argv, "--player", "scheduled"])
    for row in summary.values():
        assert row["heard"] == row["played"] == 4
        assert all(math.isfinite(value) for value in row.values()), row
        assert 0 <= row["gap_heard_max_ms"] < 500, row


def test_alert_fanout_benchmark_runs() -> None:
    """Loaxa with twenty simulated agents and a real one playing through VLC, beside the
    bare baseline: every agent gets each alert, and the real agent starts it."""
    import math

    from benchmarks import alert_fanout

    found = alert_fanout.main(["--agents", "20", "--runs", "1", "--warmup", "0"])
    assert not found["notes"], found["notes"]
    for server in ("loaxa", "bare"):
        (run,) = found["runs"][server]
        assert run.received == run.agents == 20, run
        assert math.isfinite(run.max_ms) and run.max_ms > 0, run
    (loaxa,) = found["runs"]["loaxa"]
    assert math.isfinite(loaxa.stored_ms), loaxa  # every "received" stored
    assert math.isfinite(loaxa.real_gap_ms), loaxa  # the real agent started it


def test_pages_benchmark_runs() -> None:
    """A tiny library through the real server and Chromium (no emulated link, so it is
    quick): every page on main is measured, the pages still to come are "not present", and
    each page's JSON is fetched beside it."""
    from benchmarks import pages

    tiny = ["--items", "30", "--stations", "3", "--runs", "1", "--requests", "3"]
    found = pages.main([*tiny, "--audio-seconds", "1", "--link-kbit", "0"])
    measured = {r.name: r for r in found["pages"] if not r.absent}
    assert {"sign-in", "home", "library", "item", "approvals", "new bulletin"} <= set(measured)
    for result in measured.values():
        (run,) = result.runs
        assert not result.notes, result.notes
        assert run.first.status == run.server.status == 200, result.name
        assert run.first.bytes > run.repeat.bytes > 0, result.name  # the static files cached
        assert run.server.p95_ms >= run.server.p50_ms > 0
        assert run.server.raw_bytes > 0
        if result.name != "sign-in":
            assert run.json is not None and run.json.status == 200, result.name
            assert run.json_server is not None and run.json_server.status == 200, result.name
    # Its player fetches nothing until pressed: a slow link loads the page, not the audio.
    assert measured["item"].runs[0].first.media_bytes == 0
    for fragment in found["fragments"]:
        assert not fragment.absent and not fragment.notes, fragment.name
        ((own, json),) = fragment.timings
        assert own.status == 200 and own.wire_bytes > 0 and json is not None, fragment.name


def test_reports_benchmark_runs(empty_database_url: str) -> None:
    """A generated history of two communes over three days, summed, and every report on it."""
    from benchmarks import reports

    found = reports.main(
        ["--stations", "40", "--days", "3", "--runs", "1", "--database-url", empty_database_url]
    )
    assert found["sizes"]["asrun"] > 40 * 3 * 15, found["sizes"]
    assert found["sizes"]["station_day_summary"] == 40 * 3
    assert {c.name for c in reports.CASES} == set(found["results"])
    assert all(seconds > 0 for seconds in found["results"].values())


def test_asrun_upload_benchmark_runs() -> None:
    """The real server storing uploads of one record and of ten, on SQLite."""
    from benchmarks import asrun_upload

    tiny = ["--stations", "2", "--seconds", "0.5", "--runs", "1", "--batches", "1,10"]
    runs = asrun_upload.main([*tiny, "--backends", "sqlite"])
    assert [r.batch for r in runs] == [1, 10]
    assert all(r.records > 0 and r.errors == 0 for r in runs), runs


def test_alert_fanout_benchmark_runs_over_mqtt() -> None:
    """The same over MQTT through a Mosquitto of its own: twenty paho agents with their own
    credentials, beside the bare MQTT floor, and no real agent (the WebSocket case has it)."""
    import math

    from benchmarks import alert_fanout

    tiny = ["--agents", "20", "--runs", "1", "--warmup", "0", "--no-real-agent"]
    found = alert_fanout.main([*tiny, "--transport", "mqtt"])
    assert set(found["runs"]) == {"loaxa-mqtt", "bare-mqtt"}
    for server in ("loaxa-mqtt", "bare-mqtt"):
        (run,) = found["runs"][server]
        assert run.received == run.agents == 20, run
        assert math.isfinite(run.max_ms) and run.max_ms > 0, run
    (loaxa,) = found["runs"]["loaxa-mqtt"]
    assert math.isfinite(loaxa.stored_ms), loaxa  # every "received" stored, through the broker
    assert not [n for n in found["notes"] if "only" in n or "none" in n], found["notes"]


def test_broker_restart_benchmark_runs() -> None:
    """Twenty persistent MQTT sessions through a broker restart, an alert published while it
    is down through the real server and through the bare publisher: every agent comes back
    with its session and gets the alert."""
    import math

    from benchmarks import broker_restart

    found = broker_restart.main(["--agents", "20", "--down-s", "1", "--timeout-s", "60"])
    assert set(found["runs"]) == {"loaxa", "bare"}, found
    for publisher in ("loaxa", "bare"):
        (run,) = found["runs"][publisher]
        assert run.received == run.agents == 20, run
        assert run.lost == run.lost_sessions == run.down_at_end == 0, run
        assert math.isfinite(run.back_max_ms) and math.isfinite(run.received_max_ms), run
    (loaxa,) = found["runs"]["loaxa"]
    assert math.isfinite(loaxa.stored_ms), loaxa  # every "received" stored after the restart


def test_agent_memory_benchmark_runs() -> None:
    """A real server and one real agent enrolled, idle a second and then playing a session
    into a WAV file, beside two of the baselines: every figure is read from /proc."""
    from benchmarks import agent_memory

    tiny = ["--runs", "1", "--idle-s", "1", "--play-s", "0.5", "--baseline-s", "0.2"]
    found = agent_memory.main([*tiny, "--modes", "agent", "--baselines", "python,python+libvlc"])
    assert set(found.baselines) == {"python", "python+libvlc"}
    (run,) = found.agents["agent"]
    assert found.baselines["python"][0].memory.rss_mb > 0
    assert run.idle.memory.rss_mb > found.baselines["python"][0].memory.rss_mb
    assert run.playing.memory.private_mb > 0 and run.idle.window_s >= 1
    assert run.peak_mb >= run.playing.memory.rss_mb
    groups, _ = run.where_playing
    assert "heap and anonymous" in groups and "Python interpreter" in groups


def test_board_polling_benchmark_runs() -> None:
    """Twenty agents' heartbeats through the real server, then the same with ten boards
    asking every second: every board opened, both phases measured, and the boards got both
    a changed board (200) and an unchanged one (204)."""
    import math

    from benchmarks import board_polling

    tiny = ["--agents", "20", "--boards", "10", "--seconds", "3", "--refresh-s", "1"]
    found = board_polling.main([*tiny, "--heartbeat-s", "20", "--communes", "3"])
    (run,) = found["runs"]
    assert run.errors == 0, run.kinds
    assert run.opened == 10
    assert run.polls_200 > 0 and run.polls_204 > 0, run
    assert run.quiet_cpu_pct > 0 and run.live_cpu_pct > 0, run
    assert run.quiet_beats_per_s > 0 and run.live_beats_per_s > 0, run
    figures = (run.poll_p50_ms, run.poll_p99_ms, run.quiet_beat_p99_ms, run.live_beat_p99_ms)
    assert all(math.isfinite(value) and value > 0 for value in figures), run
    assert math.isfinite(run.cpu_ms_per_poll) and run.fragment_kb > 0, run
