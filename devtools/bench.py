"""``assistant bench``: the figures the targets are judged by, measured on this machine.

- ingestion throughput (chunks/s) beside the embedding model's raw throughput on the same
  chunks, medians of interleaved rounds, and their ratio;
- a no-op re-ingest of the whole corpus (kept in a bench store between runs);
- retrieval latency p50/p95;
- time to first token through the app and through the bare embedded server on the same
  prompt of about 1,500 tokens, their ratio, and output tokens/s; the first-token time of a
  typical question with the default context budget;
- peak memory of this process and of the model server.

Nothing here touches the user's store: ingestion is timed in temporary folders.
"""

from __future__ import annotations

import hashlib
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import click
import httpx

from assistant.answer.context import pack_context
from assistant.answer.prompts import load_prompts
from assistant.answer.qa import QAChain
from assistant.config import Settings
from assistant.index.embeddings import embedding_model_id, make_embeddings
from assistant.index.store import ArticleStore, open_store
from assistant.ingest.chunking import Chunker
from assistant.ingest.readers.files import load_paths
from assistant.ingest.sync import ingest_paths
from assistant.search.retriever import Retriever
from assistant.tokens import count_tokens, install_offline_encoding
from assistant.types import Article, Retrieved, Token
from devtools.stats import percentile

TYPICAL_QUESTION = "Who did Zelenskyy speak with, and what did they agree?"
_LONG_PROMPT_TOKENS = 1500


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _peak_rss_mb(pid: int | None) -> float:
    """Peak resident memory of a running process (Linux), NaN where it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _say(message: str) -> None:
    click.echo(message, err=True)


def _write_subset(articles: Sequence[Article], folder: Path) -> Path:
    path = folder / "subset.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for a in articles:
            record = {
                "id": a.id,
                "title": a.title,
                "text": a.body,
                "published": a.published_iso,
                "source": a.source,
                "url": a.url,
            }
            out.write(json.dumps(record) + "\n")
    return path


def bench_ingest(
    settings: Settings, corpus: Sequence[Path], subset: int, rounds: int
) -> dict[str, Any]:
    """Raw embedding vs full ingestion on the same chunks, interleaved, in fresh stores."""
    embeddings = make_embeddings(settings)
    chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap)
    articles = load_paths(corpus, int(settings.max_file_mb * 1e6)).articles[:subset]
    texts = [c.text for a in articles for c in chunker.split(a)]
    embeddings.embed_documents(texts[:16])  # warm-up: first-call costs are not throughput
    raw, full = [], []
    with tempfile.TemporaryDirectory() as tmp:
        subset_file = _write_subset(articles, Path(tmp))
        for round_ in range(rounds):
            raw.append(len(texts) / _timed(lambda: embeddings.embed_documents(texts)))
            folder = Path(tmp) / f"store{round_}"
            store = open_store(
                folder, None, folder, embeddings, embedding_model_id(settings), chunker
            )
            seconds = _timed(
                lambda s=store: ingest_paths(s, [subset_file], settings.max_file_mb)  # type: ignore[misc]
            )
            full.append(store.count_chunks() / seconds)
            _say(f"  round {round_ + 1}: raw {raw[-1]:.1f} chunks/s, ingest {full[-1]:.1f}")
    return {
        "articles": len(articles),
        "chunks": len(texts),
        "rounds": rounds,
        "embed_raw_chunks_per_s": _median(raw),
        "ingest_chunks_per_s": _median(full),
        "ingest_to_raw_ratio": _median(full) / _median(raw),
    }


def _bench_store(settings: Settings, corpus: Sequence[Path]) -> ArticleStore:
    key = hashlib.sha256("|".join(str(p.resolve()) for p in corpus).encode()).hexdigest()[:12]
    folder = settings.cache_dir / "bench-stores" / key
    embeddings = make_embeddings(settings)
    chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap)
    return open_store(folder, None, folder, embeddings, embedding_model_id(settings), chunker)


def bench_store_ops(
    settings: Settings, store: ArticleStore, corpus: Sequence[Path], queries: int
) -> dict[str, Any]:
    """Fill the bench store once (kept between runs), then time no-op syncs and searches."""
    _say(f"Bench store: {store.count_articles()} articles; bringing it up to date …")
    first = ingest_paths(store, list(corpus), settings.max_file_mb)
    _say(f"  {first.summary()}")
    noop = []
    for _ in range(3):
        report = ingest_paths(store, list(corpus), settings.max_file_mb)
        noop.append(report.seconds)
        assert report.chunks_embedded == 0, "a no-op re-ingest embedded chunks"
    # Total wall time of a no-op run, loading and hashing included.
    noop_total = [
        _timed(lambda: ingest_paths(store, list(corpus), settings.max_file_mb)) for _ in range(3)
    ]
    retriever = Retriever(store, store.embeddings, settings.top_k)
    titles = [a.title for a in store.list_articles() if a.title][:queries] or [TYPICAL_QUESTION]
    retriever.retrieve(titles[0])
    latencies = [_timed(lambda t=t: retriever.retrieve(t)) * 1000 for t in titles]  # type: ignore[misc]
    return {
        "articles": store.count_articles(),
        "chunks": store.count_chunks(),
        "noop_reingest_s": _median(noop_total),
        "noop_sync_s": _median(noop),
        "retrieval_queries": len(latencies),
        "retrieval_p50_ms": percentile(latencies, 50),
        "retrieval_p95_ms": percentile(latencies, 95),
    }


def _stream_bare(
    base_url: str, model: str, messages: list[dict[str, str]], max_tokens: int
) -> tuple[float, int, float]:
    """(seconds to the first content token, tokens streamed, seconds for the rest)."""
    body = {
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": True,
    }
    start = time.perf_counter()
    first: float | None = None
    tokens = 0
    with httpx.stream("POST", f"{base_url}/chat/completions", json=body, timeout=300) as reply:
        reply.raise_for_status()
        for line in reply.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            delta = json.loads(line[6:])["choices"][0].get("delta", {})
            if delta.get("content"):
                tokens += 1
                if first is None:
                    first = time.perf_counter()
    end = time.perf_counter()
    first = first if first is not None else end
    return first - start, tokens, end - first


def _first_token_via_app(chain: QAChain, question: str, today: date) -> tuple[float, list[Any]]:
    start = time.perf_counter()
    passages: list[Any] = []
    for event in chain.stream(question, today=today):
        if isinstance(event, Retrieved):
            passages = event.passages
        if isinstance(event, Token):
            return time.perf_counter() - start, passages
    return time.perf_counter() - start, passages


def bench_model(
    settings: Settings, store: ArticleStore, seed_store: ArticleStore, rounds: int
) -> dict[str, Any]:
    """First-token latency through the app vs the bare embedded server, same prompts."""
    from assistant.app.compose import embedded_server
    from assistant.llm.backends import Backend, make_chat_model

    server = embedded_server(settings)
    base_url = server.start()
    try:
        backend = Backend(kind="embedded", base_url=base_url, model=server.alias)
        bench_settings = settings.model_copy(update={"answer_tokens": 64, "temperature": 0.0})
        llm = make_chat_model(backend, bench_settings)
        prompts = load_prompts(settings.prompts_dir)
        today = date.today()
        system = prompts.qa.format_messages(today="", context="", question="")[0].content

        def flush() -> None:
            # The server reuses the cached prefix of the previous prompt; a different prompt
            # in between leaves only the fixed instructions cached, for both paths alike.
            _stream_bare(
                base_url,
                server.alias,
                [{"role": "system", "content": str(system)}, {"role": "user", "content": "Hi"}],
                1,
            )

        # Long prompts: about 1,500 tokens in all.
        long_chain = QAChain(
            llm,
            Retriever(store, store.embeddings, top_k=12).retrieve,
            prompts,
            context_tokens=_LONG_PROMPT_TOKENS - 250,
            min_relevance=-1.0,
        )
        titles = [a.title for a in store.list_articles() if a.title]
        questions = [f"What happened: {t}?" for t in titles[:rounds]] or [TYPICAL_QUESTION]
        app_s, bare_s, rates, prompt_tokens = [], [], [], []
        # Unmeasured: the first long prompt after loading also sizes the server's buffers.
        _first_token_via_app(long_chain, questions[0], today)
        for question in questions:
            flush()
            seconds, passages = _first_token_via_app(long_chain, question, today)
            app_s.append(seconds)
            context = pack_context(passages, _LONG_PROMPT_TOKENS - 250).text
            messages = prompts.qa.format_messages(
                today=today.isoformat(), context=context, question=question
            )
            as_dicts = [
                {"role": "system" if m.type == "system" else "user", "content": str(m.content)}
                for m in messages
            ]
            prompt_tokens.append(sum(count_tokens(d["content"]) for d in as_dicts))
            flush()
            first, tokens, rest = _stream_bare(base_url, server.alias, as_dicts, 64)
            bare_s.append(first)
            if tokens > 1 and rest > 0:
                rates.append((tokens - 1) / rest)
            _say(
                f"  prompt {prompt_tokens[-1]} tokens: app {app_s[-1]:.2f} s, "
                f"bare {bare_s[-1]:.2f} s to the first token"
            )

        # A typical question over the seed corpus with the default budget.
        typical_chain = QAChain(
            llm,
            Retriever(seed_store, seed_store.embeddings, settings.top_k).retrieve,
            prompts,
            context_tokens=settings.context_tokens,
            min_relevance=settings.min_relevance,
        )
        typical = []
        for _ in range(rounds):
            flush()
            typical.append(_first_token_via_app(typical_chain, TYPICAL_QUESTION, today)[0])
        server_peak = _peak_rss_mb(server.pid)
    finally:
        server.stop()
    return {
        "model": server.alias,
        "long_prompt_tokens_cl100k": _median(prompt_tokens),
        "first_token_app_s": _median(app_s),
        "first_token_bare_s": _median(bare_s),
        "first_token_app_to_bare_ratio": _median(app_s) / _median(bare_s),
        "output_tokens_per_s": _median(rates),
        "typical_question_first_token_s": _median(typical),
        "typical_question_context_tokens": settings.context_tokens,
        "model_server_peak_rss_mb": server_peak,
    }


def bench_startup(settings: Settings) -> dict[str, Any]:
    """From the start command to a page that answers: the web app is started as a person
    would start it, on a free port, over the configured store, and asked one question."""
    import os
    import subprocess
    import sys

    from gradio_client import Client

    from assistant.llm.local_server import free_port

    port = free_port()
    env = {**os.environ, "ASSISTANT_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.app.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError("the web app exited during startup")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > 120:
                raise RuntimeError("the web app did not answer within 120 s")
            time.sleep(0.2)
        page_up = time.perf_counter() - started
        client = Client(url, verbose=False)
        answer = client.predict(TYPICAL_QUESTION, "", "", "All sources", "", api_name="/chat")
        answered = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "page_up_s": page_up,
        "first_answer_s": answered,
        "answer_cites": "[1]" in str(answer),
    }


_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">
<meta name="author" content="Staff writer">
<script>window.dataLayer = [];</script></head>
<body><header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a>
<a href="/subscribe">Subscribe</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By Staff writer</p>
{paragraphs}
</article></main>
<aside><h2>Most read</h2><ul><li><a href="/a">Another story</a></li>
<li><a href="/b">More</a></li></ul></aside>
<footer><p>© The Example Times. All rights reserved.</p>
<p><a href="/privacy">Privacy</a></p></footer>
</body></html>
"""


def bench_html(
    settings: Settings, corpus: Sequence[Path], pages: int, rounds: int = 2
) -> dict[str, Any]:
    """The same articles as saved web pages (with site furniture) and as plain text files,
    ingested into fresh stores in interleaved rounds: what HTML extraction costs."""
    import html as html_lib

    embeddings = make_embeddings(settings)
    chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap)
    articles = load_paths(corpus, int(settings.max_file_mb * 1e6)).articles[:pages]
    rates: dict[str, list[float]] = {"html": [], "text": []}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {"html": Path(tmp) / "html", "text": Path(tmp) / "text"}
        for folder in folders.values():
            folder.mkdir()
        for i, a in enumerate(articles):
            body = [p.strip() for p in a.body.split("\n") if p.strip()]
            paragraphs = "\n".join(f"<p>{html_lib.escape(p)}</p>" for p in body)
            title = html_lib.escape(a.title)
            (folders["html"] / f"{i:05d}.html").write_text(
                _PAGE.format(title=title, published=a.published_iso, paragraphs=paragraphs)
            )
            (folders["text"] / f"{i:05d}.txt").write_text(f"{a.title}\n\n" + "\n\n".join(body))
        for round_ in range(rounds):
            for kind, folder in folders.items():
                store_dir = Path(tmp) / f"{kind}-store{round_}"
                store = open_store(
                    store_dir, None, store_dir, embeddings, embedding_model_id(settings), chunker
                )
                seconds = _timed(
                    lambda s=store, f=folder: ingest_paths(s, [f], settings.max_file_mb)  # type: ignore[misc]
                )
                rates[kind].append(store.count_chunks() / seconds)
                _say(f"  round {round_ + 1}: {kind} {rates[kind][-1]:.1f} chunks/s")
    return {
        "pages": len(articles),
        "rounds": rounds,
        "html_chunks_per_s": _median(rates["html"]),
        "text_chunks_per_s": _median(rates["text"]),
        "html_to_text_ratio": _median(rates["html"]) / _median(rates["text"]),
    }


def run_bench(
    settings: Settings,
    corpus: Path | None,
    as_json: bool,
    with_model: bool,
    subset: int = 60,
    rounds: int = 3,
    queries: int = 100,
    html_pages: int = 0,
) -> dict[str, Any]:
    install_offline_encoding(settings.cache_dir)
    corpus_paths = [corpus or settings.corpus_dir]
    results: dict[str, Any] = {"corpus": [str(p) for p in corpus_paths]}
    _say("Ingestion throughput …")
    results["ingest"] = bench_ingest(settings, corpus_paths, subset, rounds)
    store = _bench_store(settings, corpus_paths)
    results["store"] = bench_store_ops(settings, store, corpus_paths, queries)
    if html_pages:
        _say(f"HTML pages vs plain text ({html_pages} articles) …")
        results["html"] = bench_html(settings, corpus_paths, html_pages)
    if with_model:
        _say("Model latency …")
        seed_store = _bench_store(settings, [settings.corpus_dir])
        ingest_paths(seed_store, [settings.corpus_dir], settings.max_file_mb)
        results["model"] = bench_model(settings, store, seed_store, rounds)
        _say("Start-up …")
        results["startup"] = bench_startup(settings)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        click.echo(format_results(results))
    return results


def format_results(r: dict[str, Any]) -> str:
    i, s = r["ingest"], r["store"]
    lines = [
        f"corpus: {', '.join(r['corpus'])}",
        f"ingest ({i['articles']} articles, {i['chunks']} chunks, median of {i['rounds']}):",
        f"  embedding model alone  {i['embed_raw_chunks_per_s']:8.1f} chunks/s",
        f"  full ingestion         {i['ingest_chunks_per_s']:8.1f} chunks/s"
        f"  ({i['ingest_to_raw_ratio']:.0%} of raw; target >= 80%)",
        f"store ({s['articles']} articles, {s['chunks']} chunks):",
        f"  no-op re-ingest        {s['noop_reingest_s']:8.2f} s   (target < 5 s)",
        f"  retrieval latency      p50 {s['retrieval_p50_ms']:.1f} ms, "
        f"p95 {s['retrieval_p95_ms']:.1f} ms over {s['retrieval_queries']} queries",
    ]
    if "model" in r:
        m = r["model"]
        lines += [
            f"model ({m['model']}, embedded llama.cpp):",
            f"  first token, ~{m['long_prompt_tokens_cl100k']:.0f}-token prompt: "
            f"app {m['first_token_app_s']:.2f} s, bare server {m['first_token_bare_s']:.2f} s "
            f"({m['first_token_app_to_bare_ratio']:.2f}x; target <= 1.15x)",
            f"  output speed           {m['output_tokens_per_s']:8.1f} tokens/s",
            f"  typical seed question  {m['typical_question_first_token_s']:8.2f} s to the first "
            f"token with a {m['typical_question_context_tokens']}-token context budget "
            "(target <= 5 s)",
            f"  model server peak RSS  {m['model_server_peak_rss_mb']:8.0f} MB",
        ]
    if "html" in r:
        h = r["html"]
        lines.append(
            f"{h['pages']} saved web pages: {h['html_chunks_per_s']:.1f} chunks/s vs "
            f"{h['text_chunks_per_s']:.1f} for the same text as plain files "
            f"({h['html_to_text_ratio']:.0%}; target >= 90%)"
        )
    if "startup" in r:
        st = r["startup"]
        lines.append(
            f"start-up: page up {st['page_up_s']:.1f} s, first answer "
            f"{st['first_answer_s']:.1f} s after the start command (target <= 30 s)"
        )
    lines.append(f"peak memory of this process: {r['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)
