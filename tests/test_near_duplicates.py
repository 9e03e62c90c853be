"""One wire story printed by several outlets is linked to the first copy stored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.app.compose import build_services
from assistant.config import Settings
from assistant.index.store import ArticleStore
from assistant.ingest.duplicates import (
    DUPLICATE_JACCARD,
    DuplicateFinder,
    decode,
    encode,
    signature,
    similarity,
)
from assistant.ingest.sync import ingest_paths
from tests.samples import STORY_PARAGRAPHS

WIRE = " ".join(STORY_PARAGRAPHS)
# How outlets really reprint it: a dateline, a trimmed phrase, a credit line added.
REPRINT = "HARBOURTOWN (Wire) - " + WIRE.replace(" from a coastguard boat", "") + " (Wire)"
OTHER = (
    "The council met on Thursday to discuss the storm that flooded the harbour district. "
    "Residents asked for compensation for damaged homes and shops, and the mayor promised "
    "a fund by the end of the month, to be paid out before the summer."
)


def test_signatures_estimate_similarity() -> None:
    assert similarity(signature(WIRE), signature(WIRE)) == 1.0
    assert similarity(signature(WIRE), signature(REPRINT)) >= DUPLICATE_JACCARD
    assert similarity(signature(WIRE), signature(OTHER)) < 0.3
    sig = signature(WIRE)
    assert np.array_equal(decode(encode(sig)), sig)
    assert decode("not hex") is None and decode("abcd") is None
    assert signature("") is not None and signature("short text").shape == sig.shape


def test_finder_links_copies_to_the_original() -> None:
    finder = DuplicateFinder([("old", encode(signature(WIRE)), ""), ("bad", "zz", "")])
    assert finder.add("old", signature(WIRE + " Corrected.")) == ""  # an edit, not a copy
    assert finder.add("copy", signature(REPRINT)) == "old"
    assert finder.add("other", signature(OTHER)) == ""
    assert finder.add("copy-of-copy", signature(REPRINT)) == "old"  # the root, not "copy"


@pytest.fixture
def store(settings: Settings) -> ArticleStore:
    return build_services(settings).store


def test_ingest_marks_reprints_as_duplicates(store: ArticleStore, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        {"id": "gazette", "title": "Storm floods harbour", "text": WIRE, "source": "gazette"},
        {"id": "herald", "title": "Harbour under water", "text": REPRINT, "source": "herald"},
        {"id": "council", "title": "Council meets", "text": OTHER, "source": "gazette"},
    ]
    (corpus / "day1.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    report = ingest_paths(store, [corpus], 1)
    assert report.near_duplicates == 1
    assert "1 near-duplicate(s)" in report.summary()
    links = {a.id: a.duplicate_of for a in store.list_articles()}
    assert links == {"gazette": "", "herald": "gazette", "council": ""}

    # The next day a third outlet prints it too; it links to the first copy stored.
    third = {"id": "post", "title": "Storm", "text": REPRINT + " More soon.", "source": "post"}
    (corpus / "day2.jsonl").write_text(json.dumps(third) + "\n")
    again = ingest_paths(store, [corpus], 1)
    assert (again.added, again.unchanged, again.near_duplicates) == (1, 3, 1)
    assert {a.id: a.duplicate_of for a in store.list_articles()}["post"] == "gazette"
