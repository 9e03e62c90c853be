"""The benchmark runs and reports every figure, each measured on what its line names.

Timings are read by people, not held to targets here (they belong in the benchmark, not in
tests); what is checked is that each figure comes from the work it describes.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assistant.config import Settings
from devtools.bench import format_results, run_bench
from tests.conftest import SEED_DIR


def test_bench_without_model_reports_every_figure(settings: Settings) -> None:
    results = run_bench(
        settings, None, as_json=True, with_model=False, subset=1, rounds=1, queries=2
    )
    ingest, store = results["ingest"], results["store"]
    # Throughput was measured over the chunks the store ends up holding, and the ratio
    # is the ratio of the two rates shown.
    assert ingest["articles"] == store["articles"] == 1
    assert ingest["chunks"] == store["chunks"] >= 3
    assert ingest["ingest_to_raw_ratio"] == pytest.approx(
        ingest["ingest_chunks_per_s"] / ingest["embed_raw_chunks_per_s"]
    )
    # One query per article title, up to the number asked for.
    assert store["retrieval_queries"] == 1
    text = format_results(results)
    assert "chunks/s" in text and "no-op re-ingest" in text and "p95" in text
    assert "model (" not in text and "start-up" not in text


def write_articles(folder: Path, count: int) -> Path:
    """``count`` articles of about 600 tokens each: enough passages to fill the bench's long
    prompt, which the one seed article alone does not."""
    folder.mkdir(parents=True)
    for a in range(count):
        sentences = " ".join(
            f"Works on quay {a} of the harbour reached stage {n} on day {n}, "
            f"the council of district {a} said in its weekly note number {n + 10 * a}."
            for n in range(1, 21)
        )
        (folder / f"harbour{a}.txt").write_text(f"date 2024-03-{a + 1:02d}\n{sentences}\n")
    return folder


@pytest.mark.e2e
def test_bench_with_the_model_measures_what_it_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model part: the real embedded server, the app's chain, and the app started as a
    person starts it (over a store and corpus of the test's own)."""
    for name in ("ASSISTANT_LLM_URL", "ASSISTANT_CHROMA_URL", "ASSISTANT_EMBEDDINGS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSISTANT_VECTORSTORE_DIR", str(tmp_path / "app-store"))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(SEED_DIR))
    monkeypatch.setenv("ASSISTANT_OLLAMA_URL", "http://127.0.0.1:9/v1")  # nothing answers
    monkeypatch.chdir(tmp_path)  # no developer's .env
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        vectorstore_dir=tmp_path / "store",
        corpus_dir=SEED_DIR,
        llm_url=None,
        ollama_url="http://127.0.0.1:9/v1",
    )
    corpus = write_articles(tmp_path / "corpus", count=6)
    results = run_bench(
        settings, corpus, as_json=False, with_model=True, subset=1, rounds=1, queries=1
    )
    model, startup = results["model"], results["startup"]
    # The "~1,400-token prompt" is a prompt of about that size, not a short one.
    assert 1200 <= model["long_prompt_tokens_cl100k"] <= 1700, model
    assert model["first_token_app_to_bare_ratio"] == pytest.approx(
        model["first_token_app_s"] / model["first_token_bare_s"]
    )
    assert math.isfinite(model["output_tokens_per_s"]), "no output speed was measured"
    assert math.isfinite(model["typical_question_first_token_s"])
    assert model["typical_question_context_tokens"] == settings.context_tokens
    # The peak memory is the model server's: it holds the 491 MB model file.
    assert model["model_server_peak_rss_mb"] > 400, model
    # The start-up figure is a real answer from the app, after its page came up.
    assert startup["answer_cites"], startup
    assert 0 < startup["page_up_s"] < startup["first_answer_s"]
    text = format_results(results)
    assert "first token" in text and "tokens/s" in text and "start-up: page up" in text
