from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.chunking import Chunker, chunk_id
from assistant.ingest.readers.files import load_paths
from assistant.tokens import TokenBudget, count_tokens, install_offline_encoding
from assistant.types import Article
from tests.conftest import SEED_DIR


def test_offline_encoding_counts_tokens(cache_dir: Path) -> None:
    target = install_offline_encoding(cache_dir)
    assert target.stat().st_size > 1_000_000
    assert count_tokens("hello world") == 2
    assert count_tokens("") == 0


def test_budget_leaves_out_whole_pieces(cache_dir: Path) -> None:
    budget = TokenBudget(5)
    assert budget.try_add("one two three")  # 3 tokens
    assert not budget.try_add("four five six")  # would make 6: left out, not cut
    assert budget.used == 3
    assert budget.try_add("seven")
    assert budget.remaining == 1


def test_chunks_respect_the_token_size_and_cover_the_text(cache_dir: Path) -> None:
    [seed] = load_paths([SEED_DIR], 10**7).articles
    chunker = Chunker(120, 20)
    chunks = chunker.split(seed)
    assert len(chunks) >= 4
    assert all(count_tokens(c.text) <= 120 for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    # every sentence of the article is in some chunk
    for sentence in ["Sánchez have committed", "Global Peace Summit in Switzerland", "unity."]:
        assert any(sentence in c.text for c in chunks)


def test_chunk_ids_are_stable_and_content_derived(cache_dir: Path) -> None:
    article = Article(id="a", title="t", body="Para one.\n\nPara two. " * 50)
    first = Chunker(64, 8).split(article)
    again = Chunker(64, 8).split(article)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    changed = Chunker(64, 8).split(Article(id="a", title="t", body="Other.\n\n" + article.body))
    assert first[-1].id != changed[0].id
    assert chunk_id("a", 0, "x") != chunk_id("b", 0, "x")


def test_overlap_must_be_smaller_than_size() -> None:
    with pytest.raises(ValueError):
        Chunker(50, 50)
