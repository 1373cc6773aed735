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
    from playlists.schedule.serialize import timeline_bytes

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
