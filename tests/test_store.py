"""The store against a real Chroma in a temporary folder and the real bundled embeddings."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

import pytest

from assistant.app.compose import Services, build_services
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.index.store import ArticleStore
from assistant.index.vectors import open_client
from assistant.ingest.sync import ingest_paths
from assistant.types import Filters
from tests.conftest import SEED_DIR


@pytest.fixture
def services(store_settings: Settings) -> Services:
    """A store in an embedded folder, then on a Chroma server: every test here runs on both."""
    return build_services(store_settings)


def write_jsonl(path: Path, records: list[dict[str, str]]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")


def record(n: int, text: str, published: str = "2022-06-1%d") -> dict[str, str]:
    return {
        "id": f"art{n}",
        "title": f"Article {n}",
        "text": text,
        "published": published % n if "%" in published else published,
        "source": "a.com" if n % 2 else "b.com",
    }


def test_seed_ingest_then_search_finds_it(services: Services) -> None:
    report = ingest_paths(services.store, [SEED_DIR], 50)
    assert (report.added, report.problems) == (1, [])
    assert services.store.count_articles() == 1
    assert services.store.count_chunks() == report.chunks_embedded >= 3
    found = services.retriever.retrieve("Who did Zelenskyy speak with?")
    assert found and found[0].title.startswith("In a significant development")
    assert found[0].published == "2024-03-25"
    assert found[0].score > 0.3
    unrelated = services.retriever.retrieve("chocolate cake recipe with butter")
    assert unrelated[0].score < 0.2  # below the relevance floor the chain uses


def test_resync_is_incremental(services: Services, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    feed = corpus / "feed.jsonl"
    write_jsonl(feed, [record(1, "Floods in the north."), record(2, "Elections in the south.")])
    (corpus / "story.txt").write_text("Bridge opens\n\nThe new bridge opened on Monday.")
    first = ingest_paths(services.store, [corpus], 50)
    assert first.added == 3 and first.chunks_embedded == 3

    again = ingest_paths(services.store, [corpus], 50)
    assert (again.unchanged, again.chunks_embedded, again.added) == (3, 0, 0)

    write_jsonl(feed, [record(1, "Floods in the north, now receding."), record(3, "Fires.")])
    changed = ingest_paths(services.store, [corpus], 50)
    assert (changed.updated, changed.added, changed.removed, changed.unchanged) == (1, 1, 1, 1)
    ids = {a.id for a in services.store.list_articles()}
    assert "art2" not in ids and {"art1", "art3"} <= ids
    assert [p.text for p in services.store.article_passages("art1")] == [
        "Floods in the north, now receding."
    ]
    assert services.store.count_chunks() == 3  # the old chunk of art1 is gone

    (corpus / "story.txt").unlink()
    removed = ingest_paths(services.store, [corpus], 50)
    assert removed.removed == 1 and services.store.count_articles() == 2


def test_unreadable_file_keeps_what_was_stored(services: Services, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    feed = corpus / "feed.jsonl"
    write_jsonl(feed, [record(1, "Floods."), record(2, "Elections.")])
    ingest_paths(services.store, [corpus], 50)
    feed.write_text('{"id": "art1", "title": "Article 1", "text": "Floods."}\n{broken\n')
    report = ingest_paths(services.store, [corpus], 50)
    assert [p.line for p in report.problems] == [2]
    assert report.removed == 0
    assert {a.id for a in services.store.list_articles()} == {"art1", "art2"}


def test_other_roots_are_left_alone(services: Services, tmp_path: Path) -> None:
    ingest_paths(services.store, [SEED_DIR], 50)
    other = tmp_path / "other.jsonl"
    write_jsonl(other, [record(1, "Floods.")])
    report = ingest_paths(services.store, [other], 50)
    assert report.removed == 0 and services.store.count_articles() == 2


def test_interrupted_ingest_is_finished_by_the_next(services: Services, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    write_jsonl(feed, [record(n, f"Story number {n}. " * 200) for n in range(1, 4)])
    cancel = threading.Event()
    services.store.embed_batch = 4

    def progress(done: int, total: int) -> None:
        if done > 0:
            cancel.set()

    first = ingest_paths(services.store, [feed], 50, progress, cancel)
    assert first.cancelled
    assert len(services.store.list_articles()) < 3  # not every article is ready yet
    second = ingest_paths(services.store, [feed], 50)
    assert not second.cancelled
    assert len(services.store.list_articles()) == 3
    chunk_ids = services.store.vectors.collection.get(include=[])["ids"]
    assert len(chunk_ids) == len(set(chunk_ids)) == services.store.count_chunks()
    per_article = sum(a.chunks for a in services.store.list_articles())
    assert per_article == services.store.count_chunks()


def test_date_and_source_filters(services: Services, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    write_jsonl(feed, [record(n, f"Storm report {n}: heavy rain and wind.") for n in range(1, 5)])
    ingest_paths(services.store, [feed], 50)
    since = services.retriever.retrieve("storm", Filters(since=date(2022, 6, 13)))
    assert {p.article_id for p in since} == {"art3", "art4"}
    window = services.retriever.retrieve(
        "storm", Filters(since=date(2022, 6, 12), until=date(2022, 6, 13), source="b.com")
    )
    assert {p.article_id for p in window} == {"art2"}


def test_store_refuses_vectors_of_another_model(
    services: Services, store_settings: Settings
) -> None:
    ingest_paths(services.store, [SEED_DIR], 50)
    client = open_client(store_settings.vectorstore_dir, store_settings.chroma_url)
    with pytest.raises(ConfigError, match=r"ASSISTANT_VECTORSTORE_DIR.*ASSISTANT_COLLECTION"):
        ArticleStore(
            client,
            services.embeddings,
            "another-model",
            services.store.chunker,
            services.store.keywords,
            name=store_settings.collection,
        )
    assert services.store.count_articles() == 1  # nothing stored was touched
