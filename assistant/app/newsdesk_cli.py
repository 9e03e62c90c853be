"""The news desk's commands: ``assistant stories``, ``timeline``, ``brief`` and
``coverage``. Added to the ``assistant`` group by :mod:`assistant.app.cli`."""

from __future__ import annotations

import time
from pathlib import Path

import click

from assistant.app.console import ensure_ingested, friendly_errors
from assistant.config import Settings

_DATE_HELP = "(YYYY-MM-DD)"


def story_line(story: object) -> str:
    from assistant.stories.table import Story

    assert isinstance(story, Story)
    outlets = ", ".join(story.sources)
    return (
        f"{story.id}  {story.span}  {story.articles} articles, {len(story.sources)} "
        f"outlet(s) ({outlets})\n    {story.headline}"
    )


@click.command()
@click.argument("story_id", required=False)
@click.option("--since", default="", help=f"Stories with an article on or after {_DATE_HELP}.")
@click.option("--until", default="", help=f"Stories with an article on or before {_DATE_HELP}.")
@click.option("--source", default="", help="Stories this outlet reported.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.pass_obj
def stories(
    settings: Settings, story_id: str | None, since: str, until: str, source: str, limit: int
) -> None:
    """List the latest stories (articles about one event), or show one story's articles."""
    from assistant.app.compose import build_services
    from assistant.app.filters import parse_filters
    from assistant.stories.lookup import latest_stories, no_stories_message, open_story

    with friendly_errors():
        filters = parse_filters(since, until, source)
        services = build_services(settings)
        ensure_ingested(services)
        table = services.store.stories.table
        if story_id:
            opened = open_story(table, story_id)
            click.echo(story_line(opened.story))
            for m in opened.members:
                copy = f"  (copy of {m.copy_of})" if m.copy_of else ""
                click.echo(f"  {m.published}  {m.source:<16} {m.title}  [{m.article_id}]{copy}")
            return
        found = latest_stories(table, filters, limit)
        if not found:
            click.echo(no_stories_message(table, filters))
        for story in found:
            click.echo(story_line(story))


@click.command()
@click.argument("subject")
@click.option("--since", default="", help=f"For a topic: articles on or after {_DATE_HELP}.")
@click.option("--until", default="", help=f"For a topic: articles on or before {_DATE_HELP}.")
@click.option("--as-of", default="", help=f"For a topic: as on this day {_DATE_HELP}.")
@click.pass_obj
def timeline(settings: Settings, subject: str, since: str, until: str, as_of: str) -> None:
    """The dated events of a story (its id) or of a topic (any words), in order, one line
    each with its citation."""
    from assistant.app.compose import build_services
    from assistant.app.filters import parse_filters
    from assistant.stories.lookup import open_story
    from assistant.stories.timeline import story_timeline, timeline_lines, topic_timeline

    with friendly_errors():
        filters = parse_filters(since, until, "", as_of)
        services = build_services(settings)
        ensure_ingested(services)
        store = services.store
        table = store.stories.table
        if table.story(subject.strip()) or table.member(subject.strip()):
            built = story_timeline(open_story(table, subject), store.article_passages)
        else:
            built = topic_timeline(
                subject,
                services.retriever.retrieve,
                store.article_passages,
                settings.min_relevance,
                filters,
            )
        click.echo(f"Timeline: {built.heading}\n")
        if not built.events:
            click.echo("The articles found give no event in a full sentence.")
        for line in timeline_lines(built):
            click.echo(line)


@click.command()
@click.option(
    "--as-of", default="", help=f"The last day of the period {_DATE_HELP}; default today."
)
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--markdown",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also save the briefing as Markdown to this file.",
)
@click.pass_obj
def brief(settings: Settings, as_of: str, days: int, limit: int, markdown: Path | None) -> None:
    """The top stories of the days up to a date, ranked by articles and outlets, one cited
    sentence each."""
    from datetime import date

    from assistant.app.compose import build_services
    from assistant.app.filters import parse_filters
    from assistant.stories.briefing import briefing_lines, briefing_markdown, build_briefing

    with friendly_errors():
        day = parse_filters("", "", "", as_of).as_of or date.today()
        services = build_services(settings)
        ensure_ingested(services)
        store = services.store
        built = build_briefing(store.stories.table, store.article_passages, day, days, limit)
        for line in briefing_lines(built):
            click.echo(line)
        if markdown is not None:
            markdown.write_text(briefing_markdown(built), encoding="utf-8")
            click.echo(f"\nSaved: {markdown}")


@click.command()
@click.argument("story_id")
@click.option(
    "--pairs",
    type=click.IntRange(min=1),
    default=None,
    help="Pairs of sentences from different outlets put to the judge (default 6).",
)
@click.pass_obj
def coverage(settings: Settings, story_id: str, pairs: int | None) -> None:
    """How the outlets of a story (its id, or an article's) cover it: what each reports,
    where they agree, and where they conflict, with both quotes."""
    from assistant.app.compose import build_services, start_chat
    from assistant.stories.coverage import (
        MAX_COMPARED,
        comparison_judge,
        comparison_lines,
        coverage_steps,
        report_lines,
        require_outlets,
    )
    from assistant.stories.lookup import open_story

    with friendly_errors():
        services = build_services(settings)
        ensure_ingested(services)
        opened = open_story(services.store.stories.table, story_id)
        require_outlets(opened)  # before the model is started
        chat = start_chat(settings, services)
        try:
            chains = chat.current()
            judge = comparison_judge(chains.factcheck)
            started = time.perf_counter()
            steps = coverage_steps(
                opened, services.store.article_passages, judge, pairs or MAX_COMPARED
            )
            # The reports at once; the comparisons once every pair is judged.
            for line in report_lines(next(steps)):
                click.echo(line)
            *_, built = steps
            elapsed = time.perf_counter() - started
        finally:
            chat.close()
        for line in comparison_lines(built):
            click.echo(line)
        click.echo(f"Judged by {chat.backend.label} in {elapsed:.1f} s")
