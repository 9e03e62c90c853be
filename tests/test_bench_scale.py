"""``assistant bench --scale`` at toy sizes: synthetic copies of a small real corpus, with
the vectors of its real store reused, in an embedded folder and on a real Chroma server;
every figure present, the copies never re-embedded, the plot written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.app.compose import build_services
from assistant.config import Settings
from assistant.ingest.sync import ingest_paths
from devtools.bench_scale import COPY_SHIFT_DAYS, synthetic_records
from devtools.eval_retrieval import eval_store_folder


def make_data(folder: Path) -> Path:
    folder.mkdir()
    stories = [
        (f"s{n}", f"Harbour story {n}", f"Harbour story {n}: the cranes moved cargo. " * 40)
        for n in range(6)
    ]
    with (folder / "corpus.jsonl").open("w") as out:
        for i, title, text in stories:
            out.write(
                json.dumps({"id": i, "title": title, "text": text, "published": "2024-03-02"})
            )
            out.write("\n")
    question = {
        "id": "q1",
        "date": "2024-03-05",
        "question": "What moved cargo?",
        "gold_ids": ["s1"],
    }
    (folder / "questions.jsonl").write_text(json.dumps(question) + "\n")
    return folder


def test_copies_have_distinct_ids_and_earlier_dates(tmp_path: Path) -> None:
    data = make_data(tmp_path / "data")
    per_article = {f"s{n}": 2 for n in range(6)}
    records = list(synthetic_records(data / "corpus.jsonl", per_article, 0, 30))
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == 15  # 30 chunks of 2 each: the corpus 2.5 times
    assert records[6]["id"] == "s0~1" and records[6]["text"] == records[0]["text"]
    shifted = (records[0]["published"], records[6]["published"])
    assert shifted == ("2024-03-02", "2023-01-27")  # COPY_SHIFT_DAYS earlier
    assert COPY_SHIFT_DAYS == 400
    later = list(synthetic_records(data / "corpus.jsonl", per_article, 30, 36))
    assert [r["id"] for r in later] == ["s3~2", "s4~2", "s5~2"]


def test_bench_scale_reports_every_figure(settings: Settings, tmp_path: Path) -> None:
    from assistant.app.cli import main

    data = make_data(tmp_path / "data")
    source = eval_store_folder(settings.cache_dir, data)
    services = build_services(settings.model_copy(update={"vectorstore_dir": source}))
    ingest_paths(services.store, [data / "corpus.jsonl"], 50)
    source_chunks = services.store.count_chunks()
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "bench",
            "--scale",
            "--data",
            str(data),
            "--sizes",
            f"{source_chunks},{3 * source_chunks}",
            "--questions",
            "1",
            "--real-articles",
            "0",
            "--output",
            str(out),
        ],
        env={"ASSISTANT_CACHE_DIR": str(settings.cache_dir)},
    )
    assert result.exit_code == 0, result.output
    figures = json.loads((out / "scale.json").read_text())
    rows = figures["rows"]
    assert [(r["backend"], r["chunks"]) for r in rows] == [
        ("folder", source_chunks),
        ("folder", 3 * source_chunks),
        ("server", source_chunks),
        ("server", 3 * source_chunks),
    ]
    for row in rows:
        assert row["vector_misses"] == 0  # every copy reused a real vector
        assert row["ingest_chunks_per_s"] > 0  # each size step ingested new chunks
        assert row["articles"] * (source_chunks // 6) == row["chunks"]
        assert 0 < row["as_of"]["p50_ms"] <= row["as_of"]["p95_ms"]
        assert row["first_query_s"] > 0  # timed apart from the latencies
        assert 0 < row["as_of"]["cpu_p50_ms"] <= row["as_of"]["cpu_p95_ms"]
        assert 0 <= row["no_as_of"]["keyword_share"] < 1
        assert row["rss_mb"] > 50 and row["disk_mb"] > 0 and row["noop_reingest_s"] > 0
    assert rows[-1]["server_rss_mb"] > 0
    assert (out / "scale.png").read_bytes()[:4] == b"\x89PNG"
    assert "| Chroma server | " in result.output and "| embedded folder | " in result.output


def test_rows_measured_before_a_failure_are_kept(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.app.cli import main
    from devtools import bench_scale

    data = make_data(tmp_path / "data")
    source = eval_store_folder(settings.cache_dir, data)
    services = build_services(settings.model_copy(update={"vectorstore_dir": source}))
    ingest_paths(services.store, [data / "corpus.jsonl"], 50)
    chunks = services.store.count_chunks()
    measured = bench_scale._measure_in_fresh_process
    calls: list[int] = []

    def fails_the_second_time(*args: object) -> dict:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the server went away")
        return measured(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(bench_scale, "_measure_in_fresh_process", fails_the_second_time)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            *("bench", "--scale", "--data", str(data), "--sizes", f"{chunks},{2 * chunks}"),
            *("--backends", "folder", "--questions", "1", "--real-articles", "0"),
            *("--output", str(out)),
        ],
        env={"ASSISTANT_CACHE_DIR": str(settings.cache_dir)},
    )
    assert result.exit_code != 0 and not (out / "scale.json").exists()
    kept = json.loads((out / "scale.partial.json").read_text())["rows"]
    assert [(r["backend"], r["chunks"]) for r in kept] == [("folder", chunks)]
