"""The ``assistant`` command: ingest, ask, serve, bench, loadtest.

A composition root: it builds the settings, the store and the chains and hands them down.
Domain errors become ``click.ClickException`` here and nowhere else.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from assistant.config import Settings, is_loopback, parse_auth
from assistant.errors import AssistantError
from assistant.store import SyncReport

log = logging.getLogger("assistant")


@contextmanager
def _friendly_errors() -> Iterator[None]:
    try:
        yield
    except AssistantError as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar with counts and rate, fed by the store's progress callback."""
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=label, unit="chunk", file=sys.stderr)
        bar["bar"].update(done - bar["bar"].n)

    try:
        yield update
    finally:
        if "bar" in bar:
            bar["bar"].close()


def _report(report: SyncReport) -> None:
    for problem in report.problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(report.summary())


def _ingest(
    services: Any, paths: list[Any], ingest: Callable[..., SyncReport] | None = None
) -> SyncReport:
    import threading

    from assistant.ingest import ingest_paths

    cancel = threading.Event()
    with _progress_bar("Embedding") as progress:
        try:
            return (ingest or ingest_paths)(
                services.store, paths, services.settings.max_file_mb, progress, cancel
            )
        except KeyboardInterrupt:
            # The store marks articles ready one by one; what is not done is redone later.
            click.echo("Cancelled: the store is consistent; run ingest again to finish.")
            raise SystemExit(130) from None


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what the assistant is doing.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """A newsroom assistant: questions, answers and sources over a corpus of news articles."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = Settings()
    _exit_cleanly_on_sigterm()


@main.command()
@click.argument("sources", nargs=-1)
@click.pass_obj
def ingest(settings: Settings, sources: tuple[str, ...]) -> None:
    """Add articles from files, folders or http(s) URLs (default: the corpus folder).

    Files may be text, Markdown, JSON, JSON Lines, HTML, PDF or RSS / Atom feeds; a URL may
    be a news page, a feed or plain text. Unchanged articles are skipped, changed ones
    replaced, and articles of files removed from an ingested folder are removed.
    Unreadable files are reported and skipped.
    """
    from assistant.ingest import ingest_sources
    from assistant.loaders.web import check_url, looks_like_url
    from assistant.runtime import build_services

    with _friendly_errors():
        # A refused URL scheme is a mistake in the command, not a bad file: stop before
        # loading the embedding model.
        for source in sources:
            if looks_like_url(source):
                check_url(source)
        services = build_services(settings)
        chosen = list(sources) or [str(settings.corpus_dir)]
        _report(_ingest(services, chosen, ingest_sources))


@main.command()
@click.argument("question")
@click.option("--since", default="", help="Only articles published on or after (YYYY-MM-DD).")
@click.option("--until", default="", help="Only articles published on or before (YYYY-MM-DD).")
@click.option("--source", default="", help="Only articles from this source.")
@click.option(
    "--as-of",
    default="",
    help="Ask as on this day (YYYY-MM-DD): later articles are left out, and "
    "'this week' means the week before it.",
)
@click.pass_obj
def ask(settings: Settings, question: str, since: str, until: str, source: str, as_of: str) -> None:
    """Answer a question from the articles, streaming, then list the sources."""
    from assistant.chains.qa import Answer, Token
    from assistant.runtime import build_services, start_chat
    from assistant.ui import parse_filters

    with _friendly_errors():
        filters = parse_filters(since, until, source, as_of)
        services = build_services(settings)
        _ensure_ingested(services)
        chat = start_chat(settings, services)
        try:
            for event in chat.qa.stream(question, (), filters):
                if isinstance(event, Token):
                    click.echo(event.text, nl=False)
                elif isinstance(event, Answer):
                    click.echo("\n")
                    _print_sources(event)
            click.echo(f"\nAnswered by {chat.backend.label}")
        finally:
            chat.close()


@main.command()
@click.argument("article", required=False)
@click.option("--topic", default="", help="Summarize what the corpus says about a topic.")
@click.option(
    "--length",
    type=click.Choice(["brief", "paragraph", "bullets", "key"]),
    default="brief",
    show_default=True,
    help="How long the summary is; key: the article's own key sentences, word for word.",
)
@click.option("--since", default="", help="With --topic: articles on or after (YYYY-MM-DD).")
@click.option("--until", default="", help="With --topic: articles on or before (YYYY-MM-DD).")
@click.pass_obj
def summarize(
    settings: Settings, article: str | None, topic: str, length: str, since: str, until: str
) -> None:
    """Summarize one whole article (by id or words of its title), or a topic (--topic)."""
    from assistant.chains.qa import Answer, Progress, Token
    from assistant.chains.summary_check import Omitted
    from assistant.runtime import build_services, start_chat
    from assistant.ui import parse_filters

    with _friendly_errors():
        if not topic and not article:
            raise click.UsageError("Name an article (its id or words of its title) or --topic.")
        filters = parse_filters(since, until, "")
        services = build_services(settings)
        _ensure_ingested(services)
        article_id = None if topic else _find_article(services, article or "")
        chat = start_chat(settings, services)
        try:
            chain = chat.chains.summarize
            omitted: list[str] = []
            events = (
                chain.topic(topic, length, filters)  # type: ignore[arg-type]
                if topic
                else chain.article(article_id or "", length)  # type: ignore[arg-type]
            )
            for event in events:
                if isinstance(event, Progress):
                    click.echo(event.message, err=True)
                elif isinstance(event, Token):
                    click.echo(event.text, nl=False)
                elif isinstance(event, Omitted):
                    omitted.append(event.note)
                elif isinstance(event, Answer):
                    click.echo("\n")
                    for note in omitted:
                        click.echo(f"⚠ {note}")
                    if event.cited:
                        _print_sources(event)
                    elif event.passages:
                        first = event.passages[0]
                        click.echo(f"Source: {first.title} ({first.published}, {first.source})")
            click.echo(f"\nWritten by {chat.backend.label}")
        finally:
            chat.close()


def _find_article(services: Any, wanted: str) -> str:
    """An article id, or the one article whose title holds all the given words."""
    articles = services.store.list_articles()
    if any(a.id == wanted for a in articles):
        return wanted
    words = wanted.lower().split()
    matches = [a for a in articles if all(w in a.title.lower() for w in words)]
    if len(matches) == 1:
        return str(matches[0].id)
    if not matches:
        raise AssistantError(f"No article's id or title matches {wanted!r}.")
    listed = "\n".join(f"  {a.id}  {a.title} ({a.published})" for a in matches[:10])
    raise AssistantError(f"{len(matches)} articles match {wanted!r}; give an id:\n{listed}")


@main.command()
@click.argument("text")
@click.option("--as-of", default="", help="Judge as on this day (YYYY-MM-DD).")
@click.pass_obj
def check(settings: Settings, text: str, as_of: str) -> None:
    """Fact-check a claim (or a paragraph of claims) against the articles."""
    from assistant.chains.factcheck import STANCE_READINGS, ClaimCheck, Claims, FactCheck
    from assistant.runtime import build_services, start_chat
    from assistant.ui import parse_filters

    with _friendly_errors():
        filters = parse_filters("", "", "", as_of)
        services = build_services(settings)
        _ensure_ingested(services)
        chat = start_chat(settings, services)
        try:
            for event in chat.chains.factcheck.check(text, filters):
                if isinstance(event, Claims):
                    click.echo(f"{len(event.claims)} claim(s) to check.", err=True)
                elif isinstance(event, ClaimCheck):
                    click.echo(f"\n{event.verdict}: {event.claim}")
                    for evidence in (e for e in event.evidence if e.verified):
                        p = evidence.passage
                        click.echo(
                            f"    “{evidence.quote}”\n"
                            f"    — {p.title} ({p.published or 'date unknown'}, {p.source}) "
                            f"[{STANCE_READINGS[evidence.stance]}; verified quote]"
                        )
                    if not any(e.verified for e in event.evidence):
                        click.echo("    (no verified evidence in the articles)")
                    if event.explanation:
                        click.echo(f"    {event.explanation}")
                elif isinstance(event, FactCheck):
                    click.echo(f"\nOverall: {event.overall}")
            click.echo(f"Checked by {chat.backend.label}")
        finally:
            chat.close()


def _print_sources(answer: Any) -> None:
    from assistant.ui import excerpt

    numbers = answer.cited or list(range(1, len(answer.passages) + 1))
    if numbers:
        click.echo("Sources:" if answer.cited else "Sources (given, none cited):")
    for number in numbers:
        p = answer.passages[number - 1]
        meta = ", ".join(x for x in (p.published, p.source, p.url) if x)
        click.echo(f"[{number}] {p.title} ({meta})\n    “{excerpt(p)}”")


def _ensure_ingested(services: Any) -> None:
    """A new store is filled from the corpus folder before the first question."""
    if services.store.count_articles() == 0:
        click.echo(f"The store is empty: ingesting {services.settings.corpus_dir} …", err=True)
        _report(_ingest(services, [services.settings.corpus_dir]))


@main.command()
@click.option("--host", default=None, help="Interface to bind (default: ASSISTANT_HOST).")
@click.option("--port", default=None, type=int, help="Port (default: ASSISTANT_PORT).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Start the web app (ingesting the corpus first if the store is empty)."""
    updates = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    run_server(settings.model_copy(update=updates))


def _exit_cleanly_on_sigterm() -> None:
    """SIGTERM would end the process without running `finally` blocks or exit hooks,
    leaving an embedded model server behind: turn it into a normal exit."""
    import threading

    if threading.current_thread() is threading.main_thread():  # signals are main-thread only
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def run_server(settings: Settings) -> None:
    # Gradio reads this at import: no usage reports leave the machine.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    _exit_cleanly_on_sigterm()  # also when started from app.py, without the command group
    from assistant.runtime import build_services, start_chat
    from assistant.ui import ChatHandler, build_ui
    from assistant.ui_tools import CorpusHandler, FactCheckHandler, SummaryHandler

    with _friendly_errors():
        auth = parse_auth(settings.auth)
        if auth is None and not is_loopback(settings.host):
            click.echo(
                f"Warning: serving on {settings.host} without a login: anyone who can reach "
                "this port can use the assistant. Set ASSISTANT_AUTH=user:password.",
                err=True,
            )
        services = build_services(settings)
        # The model first: a wrong model URL is reported at once, not after an ingest.
        chat = start_chat(settings, services)
        try:
            _ensure_ingested(services)
        except BaseException:
            chat.close()
            raise
    try:

        def header() -> str:
            count = services.store.count_articles()
            return (
                f"### Newsroom assistant\n{count} article{'s' if count != 1 else ''} "
                f"in the corpus · model: **{chat.backend.label}**"
            )

        def sources() -> list[str]:
            return sorted({a.source for a in services.store.list_articles() if a.source})

        handler = ChatHandler(chat.current_qa, lambda: chat.backend.label)
        summaries = SummaryHandler(lambda: chat.current().summarize, services.store.list_articles)
        factchecks = FactCheckHandler(lambda: chat.current().factcheck)
        corpus = CorpusHandler(services.store, settings.corpus_dir, settings.max_file_mb)
        demo = build_ui(handler, header, sources, summaries, factchecks, corpus)
        click.echo(f"Serving on http://{settings.host}:{settings.port}", err=True)
        demo.queue(default_concurrency_limit=4).launch(
            server_name=settings.host, server_port=settings.port, show_error=False, auth=auth
        )
    finally:
        chat.close()


@main.group(name="eval")
def eval_group() -> None:
    """Measure the assistant on benchmark data."""


def _eval_services(settings: Settings, data: Path) -> Any:
    """The store of an evaluation data folder: its own, kept between runs in the cache."""
    from assistant.eval_retrieval import eval_store_folder
    from assistant.runtime import build_services

    folder = eval_store_folder(settings.cache_dir, data)
    click.echo(f"Store: {folder}", err=True)
    return build_services(settings.model_copy(update={"vectorstore_dir": folder}))


@eval_group.command(name="retrieval")
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with corpus.jsonl and questions.jsonl.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def eval_retrieval(settings: Settings, data: Path, as_json: bool) -> None:
    """Hit@k and MRR@10 of hybrid retrieval, with dense and BM25 baselines."""
    import json

    from assistant.eval_retrieval import evaluate_retrieval, format_retrieval

    with _friendly_errors():
        services = _eval_services(settings, data)
        results = evaluate_retrieval(services.store, data, settings.top_k, settings.max_file_mb)
        click.echo(json.dumps(results, indent=2) if as_json else format_retrieval(results))


@eval_group.command(name="claims")
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with corpus.jsonl (evidence sentences) and claims.jsonl.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N claims.")
@click.option(
    "--json", "as_json", is_flag=True, help="Also write the figures and each claim to a JSON file."
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With --json: the file (default: a new one under the cache folder's eval-results).",
)
@click.pass_obj
def eval_claims(
    settings: Settings, data: Path, limit: int | None, as_json: bool, output: Path | None
) -> None:
    """Fact-check verdicts (accuracy, macro-F1, confusion) and evidence against gold labels,
    with the always-majority baseline. Progress goes to stderr, one line per claim."""
    from datetime import date

    from assistant.chains.factcheck import ClaimCheck
    from assistant.eval_claims import (
        evaluate_claims,
        format_claims,
        ingest_corpus,
        load_claims,
        load_sentences,
    )
    from assistant.eval_io import results_path, write_results
    from assistant.retrieval import Filters
    from assistant.runtime import start_chat

    with _friendly_errors():
        claims = load_claims(data / "claims.jsonl", limit)
        sentences = load_sentences(data / "corpus.jsonl")
        services = _eval_services(settings, data)
        with _progress_bar("Embedding") as progress:
            report = ingest_corpus(services.store, data, settings.max_file_mb, progress)
        click.echo(report.summary(), err=True)
        chat = start_chat(settings, services)

        class Current:
            """Each claim goes to the current chain: a dead embedded server is restarted."""

            def check_claim(
                self, claim: str, filters: Filters | None = None, today: date | None = None
            ) -> ClaimCheck:
                return chat.current().factcheck.check_claim(claim, filters, today)

        try:
            click.echo(f"Checking {len(claims)} claims with {chat.backend.label}", err=True)
            results = evaluate_claims(
                Current(), claims, sentences, progress=lambda line: click.echo(line, err=True)
            )
        finally:
            chat.close()
        results = {"model": chat.backend.label, "data": str(data), **results}
        click.echo(format_claims(results))
        if as_json:
            path = write_results(
                results, output or results_path(settings.cache_dir, "claims", data)
            )
            click.echo(f"Results: {path}", err=True)


@eval_group.command(name="summaries")
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with articles.jsonl (id, text, references).",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Only the first N articles."
)
@click.option(
    "--split",
    type=click.Choice(["odd", "even"]),
    default=None,
    help="Only one half of the articles (by a checksum of the id): tune on one, check on "
    "the other.",
)
@click.option(
    "--length",
    type=click.Choice(["brief", "paragraph", "bullets", "key"]),
    default="brief",
    show_default=True,
    help="How long the summaries are (key: the articles' own key sentences).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Also write the figures and each summary to JSON."
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With --json: the file (default: a new one under the cache folder's eval-results).",
)
@click.pass_obj
def eval_summaries(
    settings: Settings,
    data: Path,
    limit: int | None,
    split: str | None,
    length: str,
    as_json: bool,
    output: Path | None,
) -> None:
    """ROUGE-L of article summaries against human references, and their faithfulness to
    the article (judged without a model). Progress goes to stderr, one line per article."""
    from typing import cast

    from assistant.chains.qa import Event
    from assistant.chains.summarize import Length
    from assistant.chains.summary_check import Omitted
    from assistant.eval_io import Split, results_path, write_results
    from assistant.eval_summaries import (
        FaithfulnessJudge,
        evaluate_summaries,
        format_summaries,
        ingest_articles,
        load_articles,
    )
    from assistant.runtime import start_chat

    with _friendly_errors():
        articles = load_articles(data / "articles.jsonl", limit, cast(Split | None, split))
        services = _eval_services(settings, data)
        with _progress_bar("Embedding") as progress:
            report = ingest_articles(services.store, data, settings.max_file_mb, progress)
        click.echo(report.summary(), err=True)
        chat = start_chat(settings, services)

        class Current:
            """Each article goes to the current chain: a dead embedded server is restarted."""

            def article(
                self, article_id: str, length: Length = "brief"
            ) -> Iterator[Event | Omitted]:
                return chat.current().summarize.article(article_id, length)

        try:
            click.echo(f"Summarizing {len(articles)} articles with {chat.backend.label}", err=True)
            results = evaluate_summaries(
                Current(),
                articles,
                FaithfulnessJudge(services.store.embeddings),
                cast(Length, length),
                progress=lambda line: click.echo(line, err=True),
            )
        finally:
            chat.close()
        results = {
            "model": chat.backend.label,
            "data": str(data),
            "split": split or "all",
            "length": length,
            **results,
        }
        click.echo(format_summaries(results))
        if as_json:
            path = write_results(
                results, output or results_path(settings.cache_dir, "summaries", data)
            )
            click.echo(f"Results: {path}", err=True)


@main.command()
@click.option("--corpus", type=click.Path(path_type=Path), help="Articles to ingest and time.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--skip-model", is_flag=True, help="Leave out the chat-model timings.")
@click.option(
    "--html-pages",
    default=0,
    type=click.IntRange(min=0),
    help="Also ingest this many corpus articles as saved web pages and as plain text.",
)
@click.pass_obj
def bench(
    settings: Settings, corpus: Path | None, as_json: bool, skip_model: bool, html_pages: int
) -> None:
    """Measure ingestion, retrieval and model latency on this machine."""
    from assistant.bench import run_bench

    with _friendly_errors():
        run_bench(
            settings, corpus, as_json=as_json, with_model=not skip_model, html_pages=html_pages
        )


@main.command()
@click.option(
    "--sessions",
    default=20,
    show_default=True,
    type=click.IntRange(1, 200),
    help="Chat sessions asking at the same time.",
)
@click.option(
    "--timeout",
    default=120.0,
    show_default=True,
    type=click.FloatRange(min=1.0),
    help="Seconds each session may take.",
)
@click.option(
    "--token-delay",
    default=0.02,
    show_default=True,
    type=click.FloatRange(min=0.0),
    help="Seconds between the scripted model's tokens.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def loadtest(sessions: int, timeout: float, token_delay: float, as_json: bool) -> None:
    """Run simultaneous chat sessions against the app over a scripted model server.

    Starts its own scripted model and its own app (over a temporary store); fails on any
    error or on an answer that belongs to another session.
    """
    from assistant.loadtest import format_result, main_json, run_loadtest

    try:
        result = run_loadtest(
            sessions, timeout, token_delay, progress=lambda line: click.echo(line, err=True)
        )
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(main_json(result) if as_json else format_result(result))
    if not result.ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
