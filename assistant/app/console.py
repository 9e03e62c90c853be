"""What the console commands share: turning domain errors into messages, a progress bar,
ingesting with it, and printing sources. Used by ``assistant.app.cli``, by the web server's
start-up and by the development commands."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.app.compose import Services
    from assistant.ingest.sync import SyncReport
    from assistant.types import Answer


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Domain errors become ``click.ClickException`` here and nowhere else."""
    try:
        yield
    except AssistantError as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
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


def report_sync(report: SyncReport) -> None:
    for problem in report.problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(report.summary())


def ingest_with_progress(
    services: Services,
    paths: Sequence[str | Path],
    ingest: Callable[..., SyncReport] | None = None,
) -> SyncReport:
    from assistant.ingest.sync import ingest_paths

    run: Callable[..., SyncReport] = ingest or ingest_paths
    cancel = threading.Event()
    with progress_bar("Embedding") as progress:
        try:
            return run(services.store, list(paths), services.settings.max_file_mb, progress, cancel)
        except KeyboardInterrupt:
            # The store marks articles ready one by one; what is not done is redone later.
            click.echo("Cancelled: the store is consistent; run ingest again to finish.")
            raise SystemExit(130) from None


def ensure_ingested(services: Services) -> None:
    """A new store is filled from the corpus folder before the first question."""
    if services.store.count_articles() == 0:
        click.echo(f"The store is empty: ingesting {services.settings.corpus_dir} …", err=True)
        report_sync(ingest_with_progress(services, [services.settings.corpus_dir]))


def print_sources(answer: Answer) -> None:
    from assistant.app.render import excerpt

    numbers = answer.cited or list(range(1, len(answer.passages) + 1))
    if numbers:
        click.echo("Sources:" if answer.cited else "Sources (given, none cited):")
    for number in numbers:
        p = answer.passages[number - 1]
        meta = ", ".join(x for x in (p.published, p.source, p.url) if x)
        click.echo(f"[{number}] {p.title} ({meta})\n    “{excerpt(p)}”")
