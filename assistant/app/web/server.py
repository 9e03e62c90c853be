"""The web app as a process: settings in, the store, the chat model and the page built,
served until SIGTERM or Ctrl-C, and the embedded model server stopped on the way out.
``python app.py`` and ``assistant serve`` both come here."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from assistant.app.console import ensure_ingested, friendly_errors
from assistant.config import Settings, is_loopback, parse_auth, parse_logins

if TYPE_CHECKING:
    from assistant.app.api.replies import NewsroomApi
    from assistant.app.compose import ChatRuntime, Services
    from assistant.app.model_choice import ModelChoice
    from assistant.ingest.feed_watch import FeedWatcher

log = logging.getLogger(__name__)


# SIGTERM must end the app, and the model server it started, within 5 s.
_EXIT_DEADLINE = 3.5
_terminating = threading.Event()


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM would end the process without running `finally` blocks or exit hooks,
    leaving an embedded model server behind: turn it into a normal exit, with a deadline."""
    if threading.current_thread() is threading.main_thread():  # signals are main-thread only
        signal.signal(signal.SIGTERM, _on_sigterm)
        # Registered before any model server's own hook, so it runs after them.
        atexit.unregister(_end_after_sigterm)
        atexit.register(_end_after_sigterm)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # The normal exit stops the model server in a `finally` block. After it the interpreter
    # waits for every other thread (one streaming an answer, Gradio's queue) and then tears
    # down native libraries, which took 10 s and more: a watchdog ends the process at the
    # deadline whatever still runs, and the exit hooks end it without the teardown.
    if not _terminating.is_set():
        _terminating.set()
        threading.Thread(target=_exit_at_deadline, name="exit-deadline", daemon=True).start()
    sys.exit(0)


def _exit_now() -> None:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _end_after_sigterm() -> None:
    if _terminating.is_set():
        _exit_now()


def _exit_at_deadline() -> None:
    time.sleep(_EXIT_DEADLINE)
    from assistant.llm.local_server import kill_running_servers

    log.warning("Still running %.1f s after SIGTERM; exiting now.", _EXIT_DEADLINE)
    kill_running_servers()
    _exit_now()


def run_server(settings: Settings) -> None:
    # Gradio reads this at import: no usage reports leave the machine.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    exit_cleanly_on_sigterm()  # also when started from app.py, without the command group
    from assistant.app.compose import build_services, start_chat
    from assistant.app.model_choice import ModelChoice
    from assistant.llm.bundled import BUNDLED_MODELS

    with friendly_errors():
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
            ensure_ingested(services)
        except BaseException:
            chat.close()
            raise
    models: ModelChoice | None = None
    app: WebApp | None = None
    try:
        models = ModelChoice(
            settings, chat, lambda chosen: start_chat(chosen, services), list(BUNDLED_MODELS)
        )
        app = build_app(services, chat, models)
        click.echo(f"Serving on http://{settings.host}:{settings.port}", err=True)
        launch(app, settings)
        app.demo.block_thread()
    finally:
        if app is not None:
            app.watcher.stop()
        if models is not None:
            models.close()
        chat.close()


@dataclass
class WebApp:
    """The page, the API beside it, and the feed watcher that keeps the corpus current."""

    demo: Any
    api: NewsroomApi
    watcher: FeedWatcher

    def close(self) -> None:
        self.watcher.stop()
        self.demo.close()


def build_app(services: Services, chat: ChatRuntime, models: ModelChoice | None = None) -> WebApp:
    """The page and the API, both over the same handlers."""
    from assistant.app.api.replies import NewsroomApi
    from assistant.app.conversations import FILE_NAME as CONVERSATIONS_FILE
    from assistant.app.conversations import ConversationStore
    from assistant.app.web.chat import ChatHandler
    from assistant.app.web.feeds_panel import FeedsHandler
    from assistant.app.web.history import ConversationKeeper
    from assistant.app.web.page import build_ui
    from assistant.app.web.stories_tab import StoriesHandler
    from assistant.app.web.tools import CorpusHandler, FactCheckHandler, SummaryHandler
    from assistant.config import feeds_file
    from assistant.ingest.feed_watch import FeedList, FeedWatcher
    from assistant.stories.coverage import comparison_judge

    settings = services.settings

    def header() -> str:
        count = services.store.count_articles()
        return (
            f"### Newsroom assistant\n{count} article{'s' if count != 1 else ''} "
            f"in the corpus · model: **{chat.backend.label}**"
        )

    def sources() -> list[str]:
        return sorted({a.source for a in services.store.list_articles() if a.source})

    stories = StoriesHandler(
        services.store,
        services.retriever.retrieve,
        settings.min_relevance,
        lambda: comparison_judge(chat.current().factcheck),
    )
    handler = ChatHandler(chat.current_qa, lambda: chat.backend.label, models, stories.scope)
    summaries = SummaryHandler(lambda: chat.current().summarize, services.store.list_articles)
    factchecks = FactCheckHandler(lambda: chat.current().factcheck)
    corpus = CorpusHandler(services.store, settings.corpus_dir, settings.max_file_mb)
    kept = ConversationKeeper(
        ConversationStore(settings.vectorstore_dir / CONVERSATIONS_FILE), handler
    )
    watcher = FeedWatcher(
        services.store,
        FeedList(feeds_file(settings)),
        settings.feed_minutes,
        settings.max_file_mb,
    )
    demo = build_ui(
        handler,
        header,
        sources,
        summaries,
        factchecks,
        corpus,
        stories,
        conversations=kept,
        feeds=FeedsHandler(watcher),
    )
    return WebApp(demo, NewsroomApi(handler, summaries, factchecks), watcher)


def launch(app: WebApp, settings: Settings) -> None:
    """Serve the page, and the API on the same app and port, and start reading the feeds;
    without blocking."""
    from assistant.app.api.login import ApiLogin
    from assistant.app.api.routes import mount_api

    logins = parse_logins(settings.auth)
    app.demo.queue(default_concurrency_limit=4).launch(
        server_name=settings.host,
        server_port=settings.port,
        show_error=False,
        auth=logins or None,
        prevent_thread_lock=True,
    )
    mount_api(app.demo.server_app, app.api, ApiLogin(logins, settings.api_key))
    app.watcher.start()
