from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from assistant.ingest.readers.base import derive_title, parse_date
from assistant.ingest.readers.files import load_file, load_paths
from tests.conftest import SEED_DIR

MB = 1_000_000


def test_seed_article_loads_with_date_title_and_body() -> None:
    result = load_paths([SEED_DIR], 50 * MB)
    assert result.problems == []
    [article] = result.articles
    assert article.published == date(2024, 3, 25)
    assert article.title.startswith("In a significant development")
    assert len(article.title) <= 101
    assert "date 2024" not in article.body
    assert article.body.startswith("In a significant development")
    assert "Global Peace Summit" in article.body
    assert article.origin.endswith("000_aa06c77e423bdc66.txt")


def test_front_matter_fields(tmp_path: Path) -> None:
    path = tmp_path / "story.md"
    path.write_text(
        "---\ntitle: Storm hits coast\ndate: 2024-05-02\nsource: Gazette\n"
        "url: https://example.org/storm\nauthor: A. Writer\n---\nThe storm arrived at night.\n"
    )
    [article] = load_file(path, MB).articles
    assert (article.title, article.published, article.source) == (
        "Storm hits coast",
        date(2024, 5, 2),
        "Gazette",
    )
    assert article.url == "https://example.org/storm"
    assert article.author == "A. Writer"
    assert article.body == "The storm arrived at night."


def test_markdown_heading_becomes_title(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("# Council votes on budget\n\nThe council voted 5 to 2.\n")
    [article] = load_file(path, MB).articles
    assert article.title == "Council votes on budget"
    assert article.body == "The council voted 5 to 2."
    assert article.published is None


def test_jsonl_records_and_bad_lines_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    good = {
        "id": "a1",
        "title": "One",
        "text": "Body one.",
        "published_at": "2022-06-12T10:00:00Z",
        "source": "cnn.com",
        "url": "https://cnn.com/1",
    }
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"title": "No text"}),
        json.dumps({"body": "Untitled body. More.", "date": "Sun, 12 Jun 2022 10:00:00 GMT"}),
    ]
    path.write_text("\n".join(lines) + "\n")
    result = load_file(path, MB)
    assert [a.title for a in result.articles] == ["One", "Untitled body."]
    assert result.articles[0].published == date(2022, 6, 12)
    assert result.articles[1].published == date(2022, 6, 12)
    assert sorted(p.line for p in result.problems) == [2, 3]
    assert "feed.jsonl" in str(result.problems[0])
    assert str(path.resolve()) in result.failed_origins


def test_json_list_and_single_object(tmp_path: Path) -> None:
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps([{"title": "A", "body": "x"}, {"title": "B", "text": "y"}]))
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"title": "C", "text": "z", "date": "2020-01-02"}))
    result = load_paths([listing, single], MB)
    assert [a.title for a in result.articles] == ["A", "B", "C"]
    assert len({a.id for a in result.articles}) == 3
    assert result.problems == []


def test_bad_inputs_are_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    (tmp_path / "latin.txt").write_bytes("Caf\xe9 news\n\nThe caf\xe9 opened.".encode("latin-1"))
    (tmp_path / "big.txt").write_text("x" * 2000)
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "ok.txt").write_text("Fine headline\n\nFine body.")
    result = load_paths([tmp_path], max_bytes=1000)
    titles = sorted(a.title for a in result.articles)
    assert titles == ["Café news", "Fine headline"]  # latin-1 decoded with a fallback
    reasons = {Path(p.source).name: p.reason for p in result.problems}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin.txt"]
    assert "limit" in reasons["big.txt"] and "ASSISTANT_MAX_FILE_MB" in reasons["big.txt"]
    assert "unsupported" in reasons["image.png"]


def test_parse_date_forms() -> None:
    assert parse_date("2024-03-25") == date(2024, 3, 25)
    assert parse_date("2024-03-25T23:00:00+00:00") == date(2024, 3, 25)
    assert parse_date("Mon, 25 Mar 2024 10:00:00 +0000") == date(2024, 3, 25)
    assert parse_date("yesterday-ish") is None
    assert parse_date("") is None


def test_derive_title_prefers_headline_line() -> None:
    assert derive_title("Short headline\nBody text here.")[0] == "Short headline"
    long_first = "A " * 80 + "end. Second sentence."
    title, body = derive_title(long_first)
    assert title.endswith("…") and len(title) <= 101
    assert body == long_first.strip()
