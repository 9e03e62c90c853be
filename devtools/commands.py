"""The development commands ``assistant eval …``, ``assistant bench`` and ``assistant
loadtest``: registered in the ``assistant.commands`` entry-point group by this folder's
distribution (see ``devtools/pyproject.toml``), so the product ships without them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import click

from assistant.answer.lengths import LENGTH_NAMES
from assistant.app.console import friendly_errors, progress_bar
from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.answer.factcheck import FactCheckEvent
    from assistant.answer.summary_check import CheckNote
    from assistant.app.compose import ChatRuntime, Services
    from assistant.types import Event, Filters, Length
    from devtools.eval_claims import Split

F = TypeVar("F", bound=Callable[..., Any])


@click.group(name="eval")
def eval_group() -> None:
    """Measure the assistant on benchmark data."""


def _eval_services(settings: Settings, data: Path) -> Services:
    """The store of an evaluation data folder: its own, kept between runs in the cache."""
    from assistant.app.compose import build_services
    from devtools.eval_retrieval import eval_store_folder

    folder = eval_store_folder(settings.cache_dir, data)
    click.echo(f"Store: {folder}", err=True)
    return build_services(settings.model_copy(update={"vectorstore_dir": folder}))


def _model_eval_options(what: str, help_data: str) -> Callable[[F], F]:
    """The options every model-based evaluation takes: its data, a limit, JSON output."""

    def decorate(command: F) -> F:
        for option in reversed(
            [
                click.option(
                    "--data",
                    required=True,
                    type=click.Path(path_type=Path, file_okay=False),
                    help=help_data,
                ),
                click.option(
                    "--limit",
                    type=click.IntRange(min=1),
                    default=None,
                    help=f"Only the first N {what}.",
                ),
                click.option(
                    "--json",
                    "as_json",
                    is_flag=True,
                    help=f"Also write the figures and each of the {what} to a JSON file.",
                ),
                click.option(
                    "--output",
                    type=click.Path(path_type=Path, dir_okay=False),
                    default=None,
                    help="With --json: the file (default: a new one under the cache "
                    "folder's eval-results).",
                ),
            ]
        ):
            command = option(command)
        return command

    return decorate


class _CurrentChains:
    """Each item goes to the chat's current chains: a dead embedded server is restarted
    between items, and the evaluation goes on."""

    def __init__(self, chat: ChatRuntime, judge_all: int | None = None) -> None:
        self.chat = chat
        self.judge_all = judge_all  # judge this many passages per claim, whatever their words

    def check(
        self, text: str, filters: Filters | None = None, today: date | None = None
    ) -> Iterator[FactCheckEvent]:
        """A text as the Fact-check tab sends it."""
        chain = self.chat.current().factcheck
        if self.judge_all is not None:
            from devtools.eval_thresholds import JUDGE_ALL_GATE

            chain.evidence_passages, chain.min_overlap = self.judge_all, JUDGE_ALL_GATE
        return chain.check(text, filters, today)

    def article(self, article_id: str, length: Length = "brief") -> Iterator[Event | CheckNote]:
        return self.chat.current().summarize.article(article_id, length)


def _write_json(
    settings: Settings, results: dict[str, Any], kind: str, data: Path, output: Path | None
) -> None:
    from devtools.eval_io import results_path, write_results

    path = write_results(results, output or results_path(settings.cache_dir, kind, data))
    click.echo(f"Results: {path}", err=True)


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
    """Hit@k and MRR@10 of the articles retrieval gives the app (hybrid), with dense and
    BM25 baselines and the hybrid without the as-of date."""
    from devtools.eval_retrieval import evaluate_retrieval, format_retrieval

    with friendly_errors():
        services = _eval_services(settings, data)
        results = evaluate_retrieval(
            services.store, data, settings.top_k, settings.min_relevance, settings.max_file_mb
        )
        click.echo(json.dumps(results, indent=2) if as_json else format_retrieval(results))


@eval_group.command(name="answers")
@_model_eval_options("questions", "Folder with corpus.jsonl and questions.jsonl (with choices).")
@click.option("--choices", is_flag=True, help="Put the lettered options in the question.")
@click.option(
    "--split",
    type=click.Choice(["odd", "even"]),
    default=None,
    help="Only the questions whose id ends in an odd (or even) number.",
)
@click.option(
    "--rows",
    default="pipeline,closed book,gold context",
    show_default=True,
    help="Comma-separated rows to run: pipeline, closed book, gold context.",
)
@click.option(
    "--model",
    default=None,
    help="The chat model: a bundled one (qwen2.5-0.5b, qwen2.5-1.5b) or a model of Ollama "
    "or ASSISTANT_LLM_URL.",
)
@click.pass_obj
def eval_answers(
    settings: Settings,
    data: Path,
    limit: int | None,
    as_json: bool,
    output: Path | None,
    choices: bool,
    split: str | None,
    rows: str,
    model: str | None,
) -> None:
    """Answers through the app's question chain, each question as of its date: right,
    wrong and abstained, gold article in the prompt, citations and latency, beside a
    closed-book and a gold-context row. Progress goes to stderr, one line per answer."""
    from assistant.app.compose import start_chat
    from assistant.llm.backends import settings_for_model
    from devtools.eval_answers import (
        ROWS,
        Row,
        Split,
        evaluate_answers,
        format_answers,
        load_news_questions,
        retrieval_hits,
    )
    from devtools.eval_claims import ingest_corpus

    with friendly_errors():
        settings = settings_for_model(settings, model)
        chosen = [r.strip() for r in rows.split(",") if r.strip()]
        unknown = [r for r in chosen if r not in ROWS]
        if unknown or not chosen:
            raise click.BadParameter(
                f"{', '.join(unknown) or 'nothing'}; choose from {', '.join(ROWS)}",
                param_hint="--rows",
            )
        questions = load_news_questions(data / "questions.jsonl", limit, cast(Split | None, split))
        services = _eval_services(settings, data)
        with progress_bar("Embedding") as progress:
            report = ingest_corpus(services.store, data, settings.max_file_mb, progress)
        click.echo(report.summary(), err=True)
        hits = retrieval_hits(
            services.store, services.embeddings, settings.min_relevance, questions
        )
        chat = start_chat(settings, services)
        try:
            click.echo(f"Answering {len(questions)} questions with {chat.backend.label}", err=True)
            results = evaluate_answers(
                chat.current_qa,
                lambda: chat.current().llm,
                services.store,
                services.embeddings,
                questions,
                [cast(Row, r) for r in chosen],
                with_options=choices,
                progress=lambda line: click.echo(line, err=True),
            )
        finally:
            chat.close()
        results = {
            "model": chat.backend.label,
            "data": str(data),
            "split": split,
            "retrieval": hits,
            **results,
        }
        click.echo(format_answers(results))
        if as_json:
            _write_json(settings, results, "answers", data, output)


@eval_group.command(name="claims")
@_model_eval_options("claims", "Folder with corpus.jsonl (evidence sentences) and claims.jsonl.")
@click.option(
    "--split",
    type=click.Choice(["odd", "even"]),
    default=None,
    help="Only one half of the claims (by a hash of the id), to tune on one and check on "
    "the other.",
)
@click.option(
    "--judge-all",
    is_flag=True,
    help="Ask the model about every retrieved passage sharing a quarter of the claim's words, "
    "to record what `eval claim-thresholds` chooses from (slower; not the app's verdicts).",
)
@click.pass_obj
def eval_claims(
    settings: Settings,
    data: Path,
    limit: int | None,
    as_json: bool,
    output: Path | None,
    split: Literal["odd", "even"] | None,
    judge_all: bool,
) -> None:
    """Fact-check verdicts (accuracy, macro-F1, confusion) and evidence against gold labels,
    with the always-majority baseline. Progress goes to stderr, one line per claim."""
    from assistant.app.compose import start_chat
    from devtools.eval_claims import (
        evaluate_claims,
        format_claims,
        ingest_corpus,
        load_claims,
        load_sentences,
    )

    with friendly_errors():
        claims = load_claims(data / "claims.jsonl", limit, split)
        sentences = load_sentences(data / "corpus.jsonl")
        services = _eval_services(settings, data)
        with progress_bar("Embedding") as progress:
            report = ingest_corpus(services.store, data, settings.max_file_mb, progress)
        click.echo(report.summary(), err=True)
        chat = start_chat(settings, services)
        try:
            click.echo(f"Checking {len(claims)} claims with {chat.backend.label}", err=True)
            results = evaluate_claims(
                _CurrentChains(chat, judge_all=settings.top_k if judge_all else None),
                claims,
                sentences,
                progress=lambda line: click.echo(line, err=True),
            )
        finally:
            chat.close()
        results = {
            "model": chat.backend.label,
            "data": str(data),
            "split": split,
            "judge_all": judge_all,
            **results,
        }
        click.echo(format_claims(results))
        if as_json:
            _write_json(settings, results, "claims", data, output)


@eval_group.command(name="claim-thresholds")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with claims.jsonl (the claims' words, for the plan rule).",
)
@click.option(
    "--choose-on",
    type=click.Choice(["odd", "even"]),
    default="even",
    show_default=True,
    help="The half the settings are chosen on; the figures of the other half are shown too.",
)
def eval_claim_thresholds(
    results: tuple[Path, ...], data: Path, choose_on: Literal["odd", "even"]
) -> None:
    """Choose the fact-check settings on recorded judgements (runs of `eval claims
    --judge-all --json`) of one half of the claims, and show them on the other half."""
    from devtools.eval_claims import in_split
    from devtools.eval_io import read_jsonl
    from devtools.eval_thresholds import ChainSettings, choose, describe, load_recorded, replay

    with friendly_errors():
        claims = {
            str(r["id"]): str(r["claim"]) for _, r in read_jsonl(data / "claims.jsonl", "claims")
        }
        records = [r for path in results for r in load_recorded(path, claims)]
        check_on: Literal["odd", "even"] = "odd" if choose_on == "even" else "even"
        tune = [r for r in records if in_split(r.id, choose_on)]
        held = [r for r in records if in_split(r.id, check_on)]
        chosen = choose(tune)
        click.echo(f"Chosen on the {choose_on} half ({len(tune)} claims): {describe(chosen)}")
        for label, settings in (("the chain's settings", ChainSettings()), ("chosen", chosen)):
            for half, group in ((choose_on, tune), (check_on, held)):
                figures = replay(group, settings)
                click.echo(
                    f"{label:22} {half:>4} half, {figures['claims']:3d} claims: "
                    f"accuracy {figures['accuracy']:.3f}, macro-F1 {figures['macro_f1']:.3f}, "
                    f"true claims found {figures['recall_of_true_claims']:.3f}, "
                    f"evidence recall {figures['evidence_recall']:.3f}, "
                    f"{figures['questions_per_claim']:.1f} model questions per claim"
                )


@eval_group.command(name="claim-reach")
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with corpus.jsonl (evidence sentences) and claims.jsonl.",
)
@click.pass_obj
def eval_claim_reach(settings: Settings, data: Path) -> None:
    """Without the model: how often each claim's gold evidence is among the passages the
    fact-check judge would read, by selection rule and word-share gate."""
    from devtools.eval_claims import ingest_corpus, load_claims
    from devtools.eval_evidence_reach import evidence_reach

    with friendly_errors():
        claims = load_claims(data / "claims.jsonl")
        services = _eval_services(settings, data)
        with progress_bar("Embedding") as progress:
            ingest_corpus(services.store, data, settings.max_file_mb, progress)
        rows = evidence_reach(claims, services.retriever.retrieve, settings.min_relevance)
        for row in rows:
            click.echo(
                f"{row['selection']:22} gate {row['gate']:.2f} {row['half']:>4} half "
                f"({row['claims']} claims): gold judged for {row['gold_judged']:.3f} of claims "
                f"with gold evidence, {row['questions_per_claim']:.2f} questions per claim"
            )


@eval_group.command(name="summaries")
@_model_eval_options("articles", "Folder with articles.jsonl (id, text, references).")
@click.option(
    "--length",
    type=click.Choice(LENGTH_NAMES),
    default="brief",
    show_default=True,
    help="How long the summaries are (key: the articles' own key sentences).",
)
@click.option(
    "--split",
    type=click.Choice(["odd", "even"]),
    default=None,
    help="Only one half of the articles (by a checksum of the id): tune on one, check on "
    "the other.",
)
@click.pass_obj
def eval_summaries(
    settings: Settings,
    data: Path,
    limit: int | None,
    as_json: bool,
    output: Path | None,
    length: str,
    split: str | None,
) -> None:
    """ROUGE-L of article summaries against human references, and their faithfulness to
    the article (judged without a model). Progress goes to stderr, one line per article."""
    from assistant.answer.summary_support import FaithfulnessJudge
    from assistant.app.compose import start_chat
    from devtools.eval_summaries import (
        evaluate_summaries,
        format_summaries,
        ingest_articles,
        load_articles,
    )

    with friendly_errors():
        articles = load_articles(data / "articles.jsonl", limit, cast("Split | None", split))
        services = _eval_services(settings, data)
        with progress_bar("Embedding") as progress:
            report = ingest_articles(services.store, data, settings.max_file_mb, progress)
        click.echo(report.summary(), err=True)
        chat = start_chat(settings, services)
        try:
            click.echo(f"Summarizing {len(articles)} articles with {chat.backend.label}", err=True)
            results = evaluate_summaries(
                _CurrentChains(chat),
                articles,
                FaithfulnessJudge(services.store.embeddings),
                cast("Length", length),
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
            _write_json(settings, results, "summaries", data, output)


@click.command()
@click.option("--corpus", type=click.Path(path_type=Path), help="Articles to ingest and time.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--skip-model", is_flag=True, help="Leave out the chat-model timings.")
@click.option(
    "--html-pages",
    default=0,
    type=click.IntRange(min=0),
    help="Also ingest this many corpus articles as saved web pages and as plain text.",
)
@click.option("--scale", is_flag=True, help="Measure retrieval cost against corpus size.")
@click.option(
    "--data",
    type=click.Path(path_type=Path, file_okay=False),
    help="With --scale: the news-qa data folder (corpus.jsonl, questions.jsonl).",
)
@click.option(
    "--sizes",
    default="25000,100000,250000",
    show_default=True,
    help="With --scale: corpus sizes in chunks, comma-separated.",
)
@click.option(
    "--backends",
    default="folder,server",
    show_default=True,
    help="With --scale: 'folder' (embedded), 'server' (chroma run), or both.",
)
@click.option(
    "--questions", default=60, show_default=True, type=int, help="With --scale: questions asked."
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="With --scale: folder of scale.json and scale.png (default: the cache's bench-results).",
)
@click.option(
    "--real-articles",
    default=40,
    show_default=True,
    type=int,
    help="With --scale: articles ingested with real embedding for the ingest rate (0: none).",
)
@click.pass_obj
def bench(
    settings: Settings,
    corpus: Path | None,
    as_json: bool,
    skip_model: bool,
    html_pages: int,
    scale: bool,
    data: Path | None,
    sizes: str,
    backends: str,
    questions: int,
    output: Path | None,
    real_articles: int,
) -> None:
    """Measure ingestion, retrieval and model latency on this machine."""
    from devtools.bench import run_bench

    if scale:
        _bench_scale(settings, data, sizes, backends, questions, output, real_articles)
        return
    with friendly_errors():
        run_bench(
            settings, corpus, as_json=as_json, with_model=not skip_model, html_pages=html_pages
        )


def _bench_scale(
    settings: Settings,
    data: Path | None,
    sizes: str,
    backends: str,
    questions: int,
    output: Path | None,
    real_articles: int,
) -> None:
    from devtools.bench_scale import bench_scale
    from devtools.eval_retrieval import eval_store_folder

    if data is None:
        raise click.UsageError("--scale needs --data (the news-qa data folder).")
    source = eval_store_folder(settings.cache_dir, data)
    if not (source / "chroma.sqlite3").exists():
        raise click.UsageError(
            f"{source} holds no store of {data}: run `assistant eval retrieval --data {data}` "
            "once to build it (its vectors are reused)."
        )
    try:
        size_list = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError as exc:
        raise click.UsageError(f"--sizes must be numbers separated by commas: {sizes}") from exc
    chosen = [b.strip() for b in backends.split(",") if b.strip()]
    if not chosen or not set(chosen) <= {"folder", "server"}:
        raise click.UsageError("--backends takes 'folder', 'server' or both.")
    with friendly_errors():
        bench_scale(
            settings,
            data,
            source,
            size_list,
            chosen,
            questions,
            output or settings.cache_dir / "bench-results",
            real_articles,
        )


@click.command()
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
@click.option(
    "--through",
    type=click.Choice(["page", "api", "both"]),
    default="both",
    show_default=True,
    help="Ask through the page's chat endpoint, the OpenAI-compatible API, or both in turn.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def loadtest(
    sessions: int, timeout: float, token_delay: float, through: str, as_json: bool
) -> None:
    """Run simultaneous chat sessions against the app over a scripted model server.

    Starts its own scripted model and its own app (over a temporary store); fails on any
    error or on an answer that belongs to another session.
    """
    from devtools.loadtest import PATHS, format_result, main_json, run_loadtests

    try:
        results = run_loadtests(
            sessions,
            timeout,
            token_delay,
            progress=lambda line: click.echo(line, err=True),
            through=PATHS if through == "both" else (through,),
        )
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    for result in results:
        click.echo(main_json(result) if as_json else format_result(result))
    if not all(result.ok for result in results):
        raise SystemExit(1)


@eval_group.command(name="stories")
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with corpus.jsonl and questions.jsonl (with gold_ids).",
)
@click.option(
    "--ingest-sample",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Time grouping inside a real ingest of this many articles (0: skip).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def eval_stories(settings: Settings, data: Path, ingest_sample: int, as_json: bool) -> None:
    """Pairwise precision and recall of story grouping against pairs labelled from the
    questions' gold articles; the time grouping adds to ingest and the time to list."""
    import tempfile

    from devtools.eval_claims import ingest_corpus
    from devtools.eval_stories import evaluate_stories, format_stories

    with friendly_errors():
        services = _eval_services(settings, data)
        with progress_bar("Embedding") as progress:
            click.echo(
                ingest_corpus(services.store, data, settings.max_file_mb, progress).summary(),
                err=True,
            )
        with tempfile.TemporaryDirectory() as work:
            results = evaluate_stories(services.store, data, ingest_sample, Path(work))
        click.echo(json.dumps(results, indent=2) if as_json else format_stories(results))


@eval_group.command(name="coverage-pairs")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def eval_coverage_pairs(settings: Settings, as_json: bool) -> None:
    """How the fact-check judge reads crafted pairs of outlets' figures, with the fact
    check's thresholds and with the one lift coverage uses."""
    from devtools.eval_coverage import run_coverage_pairs

    run_coverage_pairs(settings, as_json)
