"""Shared fixtures. Tests never touch the network; the real embedding model and the real
Chroma run in temporary folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.tokens import install_offline_encoding

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
