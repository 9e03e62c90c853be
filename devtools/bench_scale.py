"""``assistant bench --scale``: how retrieval cost grows with the corpus, in an embedded
folder and on a Chroma server.

The corpora are synthetic copies of a real one (the news-qa articles): copy 0 is the corpus
itself, copy k the same texts under ids ending ``~k``, published k × 400 days earlier (an
archive growing into the past). Embedding 250,000 chunks would take hours on 2 cores, so
the copies reuse the vectors of the real articles, read from a store already built from
them (``assistant eval retrieval`` builds it): the ingest below is the store's own
(``ingest_paths``: chunking, near-duplicate links, catalog, Chroma, keyword index), with an
embedding step that looks each chunk's vector up by its text. The ingest rate with real
embedding is measured apart, on a small subset.

For each size: hybrid retrieval p50/p95 with and without the questions' as-of dates (and
the keyword index's share of that time), measured in a fresh process that opens the store
as an app replica would (so its memory is the app's); the ingest rate of the copies; a
no-op re-ingest of everything; the size on disk. Sizes grow one store step by step.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.index.embeddings import BundledMiniLM, make_embeddings
from assistant.index.store import open_store
from assistant.ingest.chunking import Chunker
from assistant.ingest.sync import ingest_paths
from assistant.tokens import install_offline_encoding
from devtools.chroma_server import ChromaServer
from devtools.eval_retrieval import Question, load_questions
from devtools.stats import percentile

COPY_SHIFT_DAYS = 400
# Bulk writes take longer than an app's request timeout, and so, once, did the measuring
# process's start on a server just loaded with 250,000 chunks (cause not isolated).
_BULK_TIMEOUT_S = 600.0
DEFAULT_SIZES = (25_000, 100_000, 250_000)


def _say(message: str) -> None:
    click.echo(message, err=True)


class ReusedVectors(Embeddings):
    """Vectors of known chunk texts, looked up; any other text is embedded for real."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray, model: Embeddings) -> None:
        self._rows = {text: i for i, text in enumerate(texts)}
        self._vectors = vectors
        self._model = model
        self.misses = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in texts if t not in self._rows]
        self.misses += len(missing)
        fresh = dict(zip(missing, self._model.embed_documents(missing), strict=True))
        return [
            self._vectors[self._rows[t]].tolist() if t in self._rows else fresh[t] for t in texts
        ]

    def embed_query(self, text: str) -> list[float]:
        return self._model.embed_query(text)


def read_source(store_dir: Path) -> tuple[list[str], np.ndarray, dict[str, int]]:
    """(chunk texts, their vectors, chunks per article) of a built store, read from a copy
    so the store itself is never opened for writing."""
    import chromadb

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store"
        shutil.copytree(store_dir, copy, ignore=shutil.ignore_patterns("*-keywords.sqlite3*"))
        client = chromadb.PersistentClient(
            path=str(copy), settings=chromadb.Settings(anonymized_telemetry=False)
        )
        chunks = client.get_collection("articles-chunks")
        texts: list[str] = []
        rows: list[np.ndarray] = []
        offset = 0
        while True:
            got = chunks.get(include=["documents", "embeddings"], limit=5000, offset=offset)
            if not got["ids"]:
                break
            texts.extend(d or "" for d in got["documents"] or [])
            rows.append(np.asarray(got["embeddings"], dtype=np.float32))
            offset += 5000
        catalog = client.get_collection("articles-catalog").get(include=["metadatas"])
        per_article = {
            i: int(str((m or {}).get("chunks", 0)))
            for i, m in zip(catalog["ids"], catalog["metadatas"] or [], strict=True)
        }
    return texts, np.concatenate(rows), per_article


def synthetic_records(
    corpus: Path, per_article: dict[str, int], start: int, stop: int
) -> Iterator[dict[str, Any]]:
    """The records whose chunks lie between ``start`` and ``stop`` in the endless sequence
    of copies of ``corpus`` (an article belongs where its first chunk falls)."""
    originals = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    originals = [r for r in originals if per_article.get(str(r.get("id")), 0) > 0]
    position, copy = 0, 0
    while position < stop:
        for record in originals:
            if position >= stop:
                return
            if position >= start:
                yield _copy(record, copy)
            position += per_article[str(record["id"])]
        copy += 1


def copy_day(day: date, copy: int) -> date:
    """The publication day of copy ``copy`` of an article published on ``day``."""
    return day - timedelta(days=COPY_SHIFT_DAYS * copy)


def _copy(record: dict[str, Any], copy: int) -> dict[str, Any]:
    if copy == 0:
        return record
    shifted = dict(record, id=f"{record['id']}~{copy}")
    published = record.get("published")
    if published:
        shifted["published"] = copy_day(date.fromisoformat(str(published)[:10]), copy).isoformat()
    return shifted


def _write_step(folder: Path, records: Iterator[dict[str, Any]]) -> None:
    """Records as JSON Lines files of 1,000 records, each well under ASSISTANT_MAX_FILE_MB."""
    folder.mkdir()
    out = None
    for n, record in enumerate(records):
        if n % 1000 == 0:
            if out is not None:
                out.close()
            out = (folder / f"part-{n // 1000:04}.jsonl").open("w", encoding="utf-8")
        assert out is not None
        out.write(json.dumps(record) + "\n")
    if out is not None:
        out.close()


def _disk_mb(*paths: Path) -> float:
    total = 0
    for path in paths:
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total / 1e6


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_retrieval(settings: Settings, questions: list[tuple[str, str | None]]) -> dict:
    """Run in a fresh process: open the store as an app replica does, ask every question
    with and without its as-of date, and time the whole retrieval and its keyword part."""
    from assistant.app.compose import build_services
    from assistant.search.retriever import Retriever
    from assistant.types import Filters

    opened = time.perf_counter()
    services = build_services(settings)
    open_seconds = time.perf_counter() - opened
    store = services.store
    keyword_seconds = [0.0]
    search = store.keyword_search

    def timed_keyword_search(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return search(*args, **kwargs)
        finally:
            keyword_seconds[0] += time.perf_counter() - start

    store.keyword_search = timed_keyword_search  # type: ignore[method-assign]
    retriever = Retriever(store, services.embeddings, settings.top_k)
    # The first query is not latency: it loads indexes and warms caches. Its time is kept
    # apart.
    started = time.perf_counter()
    retriever.retrieve(questions[0][0])
    results: dict[str, Any] = {
        "open_s": open_seconds,
        "first_query_s": time.perf_counter() - started,
    }
    for key, with_date in (("as_of", True), ("no_as_of", False)):
        times, cpu_times, keyword_seconds[0] = [], [], 0.0
        for text, asked in questions:
            as_of = date.fromisoformat(asked) if (with_date and asked) else None
            start, cpu_start = time.perf_counter(), time.process_time()
            retriever.retrieve(text, Filters(as_of=as_of))
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
        results[key] = {
            "p50_ms": 1000 * percentile(times, 50),
            "p95_ms": 1000 * percentile(times, 95),
            # The CPU this process spent per question (all its threads): on a machine
            # shared with other work, waiting for a core inflates the wall-clock times
            # above but not this.
            "cpu_p50_ms": 1000 * percentile(cpu_times, 50),
            "cpu_p95_ms": 1000 * percentile(cpu_times, 95),
            "keyword_share": keyword_seconds[0] / sum(times),
        }
    results["rss_mb"] = _rss_mb("VmRSS:")
    results["peak_rss_mb"] = _rss_mb("VmHWM:")
    return results


def _measure_in_fresh_process(settings: Settings, questions: list[Question]) -> dict:
    asked = [(q.text, q.asked.isoformat() if q.asked else None) for q in questions]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        result: dict = pool.submit(measure_retrieval, settings, asked).result()
    return result


def bench_scale(
    settings: Settings,
    data: Path,
    source_store: Path,
    sizes: Sequence[int],
    backends: Sequence[str],
    questions_limit: int,
    output: Path,
    real_articles: int,
) -> dict[str, Any]:
    """The whole measurement, its table on stdout, and its JSON and PNG under ``output``."""
    work_dir = Path(tempfile.mkdtemp(prefix="bench-scale-", dir=settings.cache_dir))
    rows: list[dict[str, Any]] = []
    try:
        results = run_scale(
            settings, data, source_store, sizes, backends, questions_limit, work_dir, rows
        )
    except BaseException:
        if rows:  # an hour of measurements is not thrown away with a late failure
            output.mkdir(parents=True, exist_ok=True)
            (output / "scale.partial.json").write_text(json.dumps({"rows": rows}, indent=2))
            _say(f"Rows measured before the failure: {output / 'scale.partial.json'}")
        raise
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    if real_articles:
        _say(f"Ingest with real embedding: {real_articles} articles")
        results["real_ingest"] = real_ingest_rate(settings, data, real_articles)
    output.mkdir(parents=True, exist_ok=True)
    (output / "scale.json").write_text(json.dumps(results, indent=2) + "\n")
    plot_scale(results, output / "scale.png")
    click.echo(format_scale(results))
    _say(f"Figures: {output / 'scale.json'}, plot: {output / 'scale.png'}")
    return results


def run_scale(
    settings: Settings,
    data: Path,
    source_store: Path,
    sizes: Sequence[int],
    backends: Sequence[str],
    questions_limit: int,
    work_dir: Path,
    rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """Measure every size on every backend; each row is appended to ``rows`` once
    measured."""
    install_offline_encoding(settings.cache_dir)
    questions = load_questions(data / "questions.jsonl")[:questions_limit]
    _say(f"Reading the vectors of {source_store} (a copy; the store is not changed)")
    texts, vectors, per_article = read_source(source_store)
    _say(f"  {len(texts)} chunks of {len(per_article)} articles")
    model = make_embeddings(settings)
    chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap)
    for backend in backends:
        folder = work_dir / backend
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        cache = folder / "cache"
        install_offline_encoding(cache)
        server = ChromaServer(folder / "server-data").start() if backend == "server" else None
        local = settings.model_copy(
            update={
                "cache_dir": cache,
                "vectorstore_dir": folder / "store",
                "chroma_url": server.url if server else None,
                "collection": "articles",
                "chroma_timeout": _BULK_TIMEOUT_S,
            }
        )
        reused = ReusedVectors(texts, vectors, model)
        store = open_store(
            local.vectorstore_dir,
            local.chroma_url,
            cache,
            reused,
            BundledMiniLM.model_id,
            chunker,
            chroma_timeout=_BULK_TIMEOUT_S,
        )
        corpus_dir = folder / "corpus"
        corpus_dir.mkdir()
        written = 0
        try:
            for size in sorted(sizes):
                step = corpus_dir / f"upto-{size}"
                _write_step(
                    step, synthetic_records(data / "corpus.jsonl", per_article, written, size)
                )
                _say(f"[{backend}] ingesting up to {size} chunks")
                started = time.perf_counter()
                report = ingest_paths(store, [step], settings.max_file_mb)
                ingest_seconds = time.perf_counter() - started
                if report.problems:
                    raise click.ClickException(f"{step}: {report.problems[0]}")
                written = size
                started = time.perf_counter()
                noop = ingest_paths(store, [corpus_dir], settings.max_file_mb)
                noop_seconds = time.perf_counter() - started
                assert noop.chunks_embedded == 0, noop.summary()
                _say(f"[{backend}] {store.count_chunks()} chunks; measuring retrieval")
                measured = _measure_in_fresh_process(local, questions)
                disk = (
                    _disk_mb(folder / "store")
                    if server is None
                    else _disk_mb(folder / "server-data", store.keywords.path)
                )
                row = {
                    "backend": backend,
                    "chunks": store.count_chunks(),
                    "articles": store.count_articles(),
                    "ingest_chunks_per_s": report.chunks_embedded / ingest_seconds,
                    "noop_reingest_s": noop_seconds,
                    "disk_mb": disk,
                    "server_rss_mb": server.rss_mb() if server else None,
                    "vector_misses": reused.misses,
                    **measured,
                }
                _say(f"  {json.dumps(row)}")
                rows.append(row)
        finally:
            store.keywords.close()
            if server is not None:
                server.stop()
    return {"questions": len(questions), "source_chunks": len(texts), "rows": rows}


def real_ingest_rate(settings: Settings, data: Path, articles: int) -> dict[str, Any]:
    """Chunks per second of a full ingest with real embedding, on a small subset."""
    from devtools.bench import bench_ingest

    return bench_ingest(settings, [data / "corpus.jsonl"], articles, rounds=1)


def _share(timings: dict[str, float]) -> str:
    return f"{100 * timings['keyword_share']:.0f}%"


def _cpu(timings: dict[str, float]) -> str:
    if "cpu_p50_ms" not in timings:
        return "–"  # measured before the bench recorded CPU time
    return f"{timings['cpu_p50_ms']:.0f} / {timings['cpu_p95_ms']:.0f} ms"


def format_scale(results: dict[str, Any]) -> str:
    lines = [
        "| store | chunks | hybrid p50 / p95 (as-of) | hybrid p50 / p95 (no as-of) | "
        "CPU p50 / p95 (as-of) | keyword share | ingest | no-op re-ingest | app memory | disk |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results["rows"]:
        memory = f"{r['rss_mb']:.0f} MB"
        if r.get("server_rss_mb"):
            memory += f" (+ server {r['server_rss_mb']:.0f} MB)"
        lines.append(
            f"| {'embedded folder' if r['backend'] == 'folder' else 'Chroma server'} "
            f"| {r['chunks']:,} "
            f"| {r['as_of']['p50_ms']:.0f} / {r['as_of']['p95_ms']:.0f} ms "
            f"| {r['no_as_of']['p50_ms']:.0f} / {r['no_as_of']['p95_ms']:.0f} ms "
            f"| {_cpu(r['as_of'])} "
            f"| {_share(r['as_of'])} / {_share(r['no_as_of'])} "
            f"| {r['ingest_chunks_per_s']:.0f} chunks/s "
            f"| {r['noop_reingest_s']:.1f} s "
            f"| {memory} | {r['disk_mb']:.0f} MB |"
        )
    real = results.get("real_ingest")
    if real:
        lines.append("")
        lines.append(
            f"Ingest with real embedding ({real['chunks']} chunks, embedded folder): "
            f"{real['ingest_chunks_per_s']:.1f} chunks/s "
            f"(the model alone: {real['embed_raw_chunks_per_s']:.1f} chunks/s)."
        )
    return "\n".join(lines)


def plot_scale(results: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5))
    for backend, label in (("folder", "embedded folder"), ("server", "Chroma server")):
        rows = sorted(
            (r for r in results["rows"] if r["backend"] == backend), key=lambda r: r["chunks"]
        )
        if not rows:
            continue
        x = [r["chunks"] for r in rows]
        cpu = [r for r in rows if "cpu_p95_ms" in r["as_of"]]
        if cpu:
            axes.plot(
                [r["chunks"] for r in cpu],
                [r["as_of"]["cpu_p95_ms"] for r in cpu],
                linestyle=":",
                marker="s",
                label=f"{label}, as-of, CPU p95",
            )
        for key, style in (("as_of", "-"), ("no_as_of", "--")):
            what = "as-of" if key == "as_of" else "no as-of"
            for stat, marker in (("p95_ms", "o"), ("p50_ms", ".")):
                axes.plot(
                    x,
                    [r[key][stat] for r in rows],
                    linestyle=style,
                    marker=marker,
                    label=f"{label}, {what}, {stat[:3]}",
                )
    axes.axhline(300, color="grey", linewidth=0.8, linestyle=":")
    axes.set_xlabel("chunks in the store")
    axes.set_ylabel("hybrid retrieval latency (ms)")
    axes.set_title("Retrieval cost against corpus size (2 cores)")
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
