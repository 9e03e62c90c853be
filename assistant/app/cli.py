"""The ``assistant`` command: ingest, ask, summarize, check, serve.

A composition root: it builds the settings, the store and the chains and hands them down.
Development commands (``eval``, ``bench``, ``loadtest``) are not part of the product: a
distribution installed beside it registers them in the ``assistant.commands`` entry-point
group (``make install`` installs the one in ``devtools/``), and they are added here.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import click

from assistant.answer.lengths import LENGTH_NAMES
from assistant.app import newsdesk_cli
from assistant.app.console import (
    ensure_ingested,
    friendly_errors,
    ingest_with_progress,
    print_sources,
    report_sync,
)
from assistant.app.web.server import exit_cleanly_on_sigterm, run_server
from assistant.config import Settings
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.app.compose import Services

log = logging.getLogger("assistant")

COMMAND_GROUP = "assistant.commands"
# Commands that a development install adds; named here only to say how to get them.
_DEV_COMMANDS = ("bench", "eval", "loadtest")


class _Commands(click.Group):
    """The product's commands, plus those registered by installed distributions."""

    def _plugins(self) -> dict[str, click.Command]:
        found = {}
        for entry in entry_points(group=COMMAND_GROUP):
            try:
                command = entry.load()
            except ImportError as exc:  # a stale development install must not break the rest
                log.warning("Command %s (%s) cannot be loaded: %s", entry.name, entry.value, exc)
                continue
            if isinstance(command, click.Command):
                found[entry.name] = command
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name) or self._plugins().get(cmd_name)
        if command is None and cmd_name in _DEV_COMMANDS:
            raise click.UsageError(
                f"'assistant {cmd_name}' is a development command and is not installed: "
                "run `make install` in the project folder (or `pip install -e devtools`)."
            )
        return command


@click.group(cls=_Commands)
@click.option("-v", "--verbose", is_flag=True, help="Log what the assistant is doing.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """A newsroom assistant: questions, answers and sources over a corpus of news articles."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = Settings()
    exit_cleanly_on_sigterm()


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
    from assistant.app.compose import build_services
    from assistant.ingest.readers.web import check_url, looks_like_url
    from assistant.ingest.sync import ingest_sources

    with friendly_errors():
        # A refused URL scheme is a mistake in the command, not a bad file: stop before
        # loading the embedding model.
        for source in sources:
            if looks_like_url(source):
                check_url(source)
        services = build_services(settings)
        chosen = list(sources) or [str(settings.corpus_dir)]
        report_sync(ingest_with_progress(services, chosen, ingest_sources))


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
@click.option(
    "--model",
    default=None,
    help="The chat model: a bundled one (qwen2.5-0.5b, the default, or qwen2.5-1.5b, "
    "slower and more thorough) or a model of Ollama or ASSISTANT_LLM_URL.",
)
@click.option(
    "--story",
    default="",
    help="Ask about one story (its id, from `assistant stories`): only its articles are searched.",
)
@click.pass_obj
def ask(
    settings: Settings,
    question: str,
    since: str,
    until: str,
    source: str,
    as_of: str,
    model: str | None,
    story: str,
) -> None:
    """Answer a question from the articles, streaming, then list the sources."""
    from assistant.app.compose import build_services, start_chat
    from assistant.app.filters import parse_filters
    from assistant.app.render import provenance
    from assistant.llm.backends import settings_for_model
    from assistant.types import Answer, Token

    with friendly_errors():
        filters = parse_filters(since, until, source, as_of)
        settings = settings_for_model(settings, model)
        services = build_services(settings)
        ensure_ingested(services)
        if story:
            from assistant.stories.lookup import scoped, story_articles

            opened = story_articles(services.store.stories.table, story)
            filters = scoped(filters, opened)
            click.echo(f"On the story: {opened.story.headline} ({opened.story.span})\n")
        chat = start_chat(settings, services)
        try:
            for event in chat.qa.stream(question, (), filters):
                if isinstance(event, Token):
                    click.echo(event.text, nl=False)
                elif isinstance(event, Answer):
                    click.echo("\n")
                    if event.second_reading == "withheld":
                        click.echo(f"Withdrawn after a second reading:\n{event.text}\n")
                    elif event.second_reading == "short":
                        click.echo(f"Answered instead by a second, short reading:\n{event.text}\n")
                    elif event.written and event.text != event.written:
                        # The streamed words stay on screen; the checked version follows.
                        click.echo(f"With citations checked:\n{event.text}\n")
                    print_sources(event)
                    click.echo(f"\n{provenance(event, chat.backend.label)}")
        finally:
            chat.close()


@main.command()
@click.argument("article", required=False)
@click.option("--topic", default="", help="Summarize what the corpus says about a topic.")
@click.option(
    "--length",
    type=click.Choice(LENGTH_NAMES),
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
    from assistant.answer.summary_check import Omitted, Restated
    from assistant.app.compose import build_services, start_chat
    from assistant.app.filters import parse_filters
    from assistant.app.render import CHECK_NOTE
    from assistant.types import Answer, Progress, Token

    with friendly_errors():
        if not topic and not article:
            raise click.UsageError("Name an article (its id or words of its title) or --topic.")
        filters = parse_filters(since, until, "")
        services = build_services(settings)
        ensure_ingested(services)
        article_id = None if topic else _find_article(services, article or "")
        chat = start_chat(settings, services)
        try:
            chain = chat.chains.summarize
            notes: list[str] = []  # what the check against the article changed
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
                elif isinstance(event, Omitted | Restated):
                    notes.append(event.note)
                elif isinstance(event, Answer):
                    click.echo("\n")
                    for note in notes:
                        click.echo(f"{CHECK_NOTE} {note}")
                    if event.cited:
                        print_sources(event)
                    elif event.passages:
                        first = event.passages[0]
                        click.echo(f"Source: {first.title} ({first.published}, {first.source})")
            click.echo(f"\nWritten by {chat.backend.label}")
        finally:
            chat.close()


def _find_article(services: Services, wanted: str) -> str:
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
    from assistant.answer.factcheck import (
        STANCE_READINGS,
        ClaimCheck,
        Claims,
        FactCheck,
        reading,
        verdict_certainty,
    )
    from assistant.answer.weighing import certainty
    from assistant.app.compose import build_services, start_chat
    from assistant.app.filters import parse_filters

    with friendly_errors():
        filters = parse_filters("", "", "", as_of)
        services = build_services(settings)
        ensure_ingested(services)
        chat = start_chat(settings, services)
        try:
            for event in chat.chains.factcheck.check(text, filters):
                if isinstance(event, Claims):
                    click.echo(f"{len(event.claims)} claim(s) to check.", err=True)
                elif isinstance(event, ClaimCheck):
                    click.echo(f"\n{event.verdict}: {event.claim}")
                    click.echo(f"    How sure: {verdict_certainty(event)}")
                    for evidence in (e for e in event.evidence if e.verified):
                        p = evidence.passage
                        side = STANCE_READINGS[evidence.stance]
                        if evidence.outweighed:
                            side += ", outweighed"
                        click.echo(
                            f"    “{evidence.quote}”\n"
                            f"    — {p.title} ({p.published or 'date unknown'}, {p.source}) "
                            f"[{side}; judge: {certainty(evidence.strength)}; verified quote]"
                        )
                    if not any(e.verified for e in event.evidence):
                        click.echo("    (no verified evidence in the articles)")
                        near = event.closest
                        if near is not None:
                            quote = f"“{near.excerpt}” " if near.verified else ""
                            click.echo(
                                f"    Closest: {quote}— {near.passage.title}: {reading(near)}"
                            )
                    if event.explanation:
                        click.echo(f"    {event.explanation}")
                elif isinstance(event, FactCheck):
                    click.echo(f"\nOverall: {event.overall}")
            click.echo(f"Checked by {chat.backend.label}")
        finally:
            chat.close()


@main.command()
@click.option("--host", default=None, help="Interface to bind (default: ASSISTANT_HOST).")
@click.option("--port", default=None, type=int, help="Port (default: ASSISTANT_PORT).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Start the web app (ingesting the corpus first if the store is empty)."""
    updates = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    run_server(settings.model_copy(update=updates))


# The news desk's commands live in a module of their own.
main.add_command(newsdesk_cli.stories)
main.add_command(newsdesk_cli.timeline)
main.add_command(newsdesk_cli.brief)
main.add_command(newsdesk_cli.coverage)

if __name__ == "__main__":
    main()


@main.command()
@click.option("--once", is_flag=True, help="Read every feed once, then exit.")
@click.pass_obj
def watch(settings: Settings, once: bool) -> None:
    """Keep the corpus current from the feeds of ASSISTANT_FEEDS, without the web app.

    Each feed is read every ASSISTANT_FEED_MINUTES; new entries are added, entries already
    stored are skipped, and a feed that fails is reported and retried later. With --once,
    the exit status is 1 if any feed failed.
    """
    from assistant.app.compose import build_services
    from assistant.config import feeds_file
    from assistant.ingest.feed_watch import FeedList, FeedStatus, FeedWatcher

    def report(status: FeedStatus) -> None:
        outcome = status.last_report if status.ok else f"failed: {status.last_error}"
        click.echo(f"{status.url}: {outcome}")

    with friendly_errors():
        feeds = FeedList(feeds_file(settings))
        if not feeds.urls():
            raise click.ClickException(
                f"No feeds to watch: list feed URLs, one a line, in {feeds.path} "
                "(or point ASSISTANT_FEEDS at such a file)."
            )
        services = build_services(settings)
        watcher = FeedWatcher(
            services.store,
            feeds,
            settings.feed_minutes,
            settings.max_file_mb,
            on_read=report,
        )
        if once:
            if not all(s.ok for s in watcher.poll_due()):
                raise SystemExit(1)
            return
        click.echo(
            f"Watching {len(feeds.urls())} feed(s) every {settings.feed_minutes:g} min; "
            "Ctrl-C stops.",
            err=True,
        )
        try:
            watcher.run()
        except KeyboardInterrupt:
            click.echo("Stopped.", err=True)
