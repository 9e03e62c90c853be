"""The real app in a subprocess, and Debian's Chromium driven by Playwright.

Playwright's own browser downloads are never used: the tests launch /usr/bin/chromium. Without
it the browser tests are skipped on a developer's machine, and fail in CI (CI=true), where
``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from assistant.config import PROJECT_ROOT
from assistant.llm.local_server import free_port
from devtools.loadtest import AppProcess, launch_app, wait_until_up
from tests.conftest import SEED_DIR

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEED_FILE = SEED_DIR / "000_aa06c77e423bdc66.txt"
SCREENSHOTS = PROJECT_ROOT / "test-output" / "browser"  # git-ignored
START_TIMEOUT = 240.0  # ingesting the corpus and starting the embedded model server

XSS_ARTICLE = """\
---
title: Zorblatt festival draws record crowds
date: 2024-03-20
source: Test Wire
---
Banners reading <script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=2">
hung at the zorblatt festival in Quellmoor, which drew a record crowd of 12,000 visitors on
Tuesday, its organisers said. The zorblatt festival celebrates the local tradition of carving
turnips into lanterns. Next year's zorblatt festival is planned for April.
"""

OTHER_ARTICLE = """\
---
title: City council approves new tram line
date: 2024-03-18
source: Test Wire
---
The city council of Quellmoor approved a new tram line on Monday. The line will link the
railway station with the university campus and is due to open in 2026, the mayor said.
"""


def require_chromium() -> None:
    """Skip without Chromium, except in CI, where its absence is a failure."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; CI must install it (see .ci/run)", pytrace=False)
    pytest.skip(message)


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED_FILE, folder / SEED_FILE.name)
    (folder / "zorblatt.txt").write_text(XSS_ARTICLE, encoding="utf-8")
    (folder / "tram.txt").write_text(OTHER_ARTICLE, encoding="utf-8")
    return folder


# The app's subprocess handling is the load test's: one way to start and stop it.
AppServer = AppProcess


def start_app(folder: Path, extra_env: dict[str, str] | None = None) -> AppServer:
    """``python -m assistant.app.cli serve`` on a free port over a temporary store and corpus,
    with the product's other defaults (temperature 0.1 among them); returns once the page
    answers (200, or 401 behind a login)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_PORT=str(free_port()),
        ASSISTANT_HOST="127.0.0.1",
        ASSISTANT_VECTORSTORE_DIR=str(folder / "store"),
        ASSISTANT_CORPUS_DIR=str(write_corpus(folder / "corpus")),
        # Nothing answers here, so the app starts its embedded model server.
        ASSISTANT_OLLAMA_URL="http://127.0.0.1:9/v1",
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    env.update(extra_env or {})
    # Run in the temporary folder, not the project root, so a developer's .env is not read.
    app = launch_app(folder, env)
    wait_until_up(app, START_TIMEOUT)
    return app


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require_chromium()
    app = start_app(tmp_path_factory.mktemp("browser-app"))
    yield app
    app.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


_LEAVING_PAGE = re.compile(r"AbortError: signal is aborted|Connection errored out")


@dataclass
class Tab:
    """A page of its own, the errors its console reported, and a screenshot helper."""

    page: Page
    name: str
    errors: list[str] = field(default_factory=list)
    shots: int = 0

    def shoot(self, step: str) -> Path:
        """Save test-output/browser/<test>-<n>-<step>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = SCREENSHOTS / f"{self.name}-{self.shots:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_no_console_errors(self) -> None:
        assert self.errors == [], "the browser console reported errors:\n" + "\n".join(self.errors)

    def reload(self) -> None:
        """Reload the page. Leaving a page aborts its open event stream, which Gradio logs
        as errors; those are expected, anything the page reported before is not."""
        self.assert_no_console_errors()
        self.page.reload()
        self.errors[:] = [e for e in self.errors if not _LEAVING_PAGE.search(e)]


@pytest.fixture
def tab(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    opened = Tab(page, request.node.name)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            opened.errors.append(f"console: {message.text} ({message.location})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.errors.append(f"page error: {error}"))
    yield opened
    context.close()
