"""Each benchmark at a tiny size, so none of them rots. Timing is not asserted."""

from __future__ import annotations

from benchmarks import ingest


def test_ingest_benchmark_runs() -> None:
    summary = ingest.main(["--minutes", "0.05", "--runs", "1"])
    assert set(summary) == {"baseline", "loaxa"}
    assert all(row["seconds"] > 0 and row["peak_tree_mb"] > 0 for row in summary.values())
