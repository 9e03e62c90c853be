"""Shared fixtures. Tests never touch the network; the real embedding model and the real
Chroma run in temporary folders."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.app.compose import ChatRuntime, Services, build_services, start_chat
from assistant.config import PROJECT_ROOT, Settings
from assistant.ingest.sync import ingest_paths
from assistant.tokens import install_offline_encoding
from devtools.chroma_server import ChromaServer

SEED_DIR = PROJECT_ROOT / "seeds"

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache")
    install_offline_encoding(path)
    return path


@pytest.fixture
def settings(tmp_path: Path, cache_dir: Path) -> Settings:
    """Settings isolated from the developer's environment and .env file."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        vectorstore_dir=tmp_path / "store",
        cache_dir=cache_dir,
        corpus_dir=SEED_DIR,
        llm_url=None,
        chroma_url=None,
        embeddings_url=None,
    )


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A real Chroma server (``chroma run``) on a free loopback port, for the session."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data").start()
    yield server
    server.stop()


@pytest.fixture(params=["folder", "server"])
def store_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The settings of a store in an embedded folder, then on the Chroma server (a
    collection of its own per test)."""
    if request.param == "folder":
        return settings
    server: ChromaServer = request.getfixturevalue("chroma_server")
    return settings.model_copy(
        update={"chroma_url": server.url, "collection": f"t{uuid.uuid4().hex[:12]}"}
    )


@pytest.fixture(scope="session")
def seed_runtime(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Services, ChatRuntime]]:
    """The seed article in a real store, answered by the real embedded model server at the
    product's defaults (temperature 0.1): one server for every end-to-end module over it."""
    folder = tmp_path_factory.mktemp("e2e-seed")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        vectorstore_dir=folder / "store",
        corpus_dir=SEED_DIR,
        llm_url=None,
        ollama_url="http://127.0.0.1:9/v1",  # nothing answers: the embedded server starts
    )
    assert settings.temperature == 0.1  # what the app runs at
    services = build_services(settings)
    ingest_paths(services.store, [SEED_DIR], settings.max_file_mb)
    chat = start_chat(settings, services)
    yield services, chat
    chat.close()
