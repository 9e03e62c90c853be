"""End to end on a Chroma server: the same question as ``test_e2e``, answered by the real
embedded model (the session's server, not a second one) over a store on a real
``chroma run`` server, cites the seed article."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest

from assistant.app.compose import ChatRuntime, Services, build_chains, build_services
from assistant.config import Settings
from assistant.ingest.sync import ingest_paths
from assistant.types import Answer
from devtools.chroma_server import ChromaServer
from tests.test_e2e import OTHER_ARTICLES, assert_sanchez_cited_to_the_seed, write_corpus

pytestmark = pytest.mark.e2e


def test_answer_over_a_store_on_the_chroma_server(
    seed_runtime: tuple[Services, ChatRuntime],
    chroma_server: ChromaServer,
    settings: Settings,
    tmp_path: Path,
) -> None:
    _, chat = seed_runtime
    on_server = settings.model_copy(
        update={"chroma_url": chroma_server.url, "collection": f"e2e{uuid.uuid4().hex[:8]}"}
    )
    services = build_services(on_server)
    corpus = write_corpus(tmp_path / "corpus")
    ingest_paths(services.store, [corpus], on_server.max_file_mb)
    assert services.store.count_articles() == 1 + len(OTHER_ARTICLES)
    chains = build_chains(chat.chains.llm, on_server, services)

    events = list(chains.qa.stream("Who did Zelenskyy speak with?", today=date(2024, 3, 26)))
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert_sanchez_cited_to_the_seed(answer, services)
