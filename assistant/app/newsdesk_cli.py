"""The news desk's commands: ``assistant stories``, ``timeline`` and ``brief``. Added to the
``assistant`` group by :mod:`assistant.app.cli`."""

from __future__ import annotations

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
