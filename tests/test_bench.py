"""The benchmark runs and reports every figure (its numbers are read by people, not
asserted here: timings belong in the benchmark, not in tests)."""

from __future__ import annotations

from assistant.config import Settings
from devtools.bench import format_results, run_bench


def test_bench_without_model_reports_every_figure(settings: Settings) -> None:
    results = run_bench(
        settings, None, as_json=True, with_model=False, subset=1, rounds=1, queries=2
    )
    ingest, store = results["ingest"], results["store"]
    assert ingest["chunks"] >= 3 and ingest["embed_raw_chunks_per_s"] > 0
    assert ingest["ingest_chunks_per_s"] > 0 and ingest["ingest_to_raw_ratio"] > 0
    assert store["articles"] == 1 and store["noop_reingest_s"] >= 0
    assert store["retrieval_queries"] >= 1 and store["retrieval_p95_ms"] > 0
    text = format_results(results)
    assert "chunks/s" in text and "no-op re-ingest" in text and "p95" in text
