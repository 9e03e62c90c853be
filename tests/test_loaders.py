"""HTML pages, PDFs and RSS / Atom feeds, on realistic files the tests write themselves."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from assistant.ingest.readers.files import load_file, load_paths
from assistant.ingest.readers.formats import MAX_HTML_BYTES
from assistant.ingest.readers.html import fragment_to_text
from assistant.ingest.readers.pdf import page_of
from tests.samples import STORY_PARAGRAPHS, atom_feed, make_pdf, news_page, rss_feed

MB = 1_000_000


# ---- HTML ---------------------------------------------------------------------------------


def test_news_page_gives_text_title_byline_and_date(tmp_path: Path) -> None:
    path = tmp_path / "storm.html"
    path.write_text(news_page())
    result = load_file(path, MB)
    assert result.problems == []
    [article] = result.articles
    assert article.title == "Storm floods harbour district"
    assert article.author == "Ann Writer"
    assert article.published == date(2024, 5, 2)
    assert article.source == "The Coastal Gazette"
    assert article.body.split("\n\n") == STORY_PARAGRAPHS
    for boilerplate in ("Subscribe", "Most read", "Cookie", "Copyright", "Share on", "dataLayer"):
        assert boilerplate not in article.body


def test_date_from_json_ld_alone(tmp_path: Path) -> None:
    page = news_page(published="2023-11-07").replace(
        '<meta property="article:published_time" content="2023-11-07">', ""
    )
    assert "article:published_time" not in page
    path = tmp_path / "ld.htm"
    path.write_text(page)
    [article] = load_file(path, MB).articles
    assert article.published == date(2023, 11, 7)


def test_page_in_a_legacy_charset(tmp_path: Path) -> None:
    page = news_page(paragraphs=[p.replace("euros", "€ or café money") for p in STORY_PARAGRAPHS])
    page = page.replace('<meta charset="utf-8">', '<meta charset="windows-1252">')
    path = tmp_path / "legacy.html"
    path.write_bytes(page.encode("cp1252"))
    [article] = load_file(path, MB).articles
    assert "€ or café money" in article.body


def test_page_without_article_text_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "menu.html"
    path.write_text("<html><head><title>App</title></head><body><script>go()</script></body>")
    result = load_file(path, MB)
    assert result.articles == []
    assert "no article text" in result.problems[0].reason


def test_deeply_nested_html_finishes_quickly(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    path.write_text("<html><body>" + "<div>" * 10_000 + "deep" + "</div>" * 10_000 + "</body>")
    started = time.perf_counter()
    result = load_file(path, 10 * MB)
    assert time.perf_counter() - started < 10
    assert result.problems  # nothing readable inside, and said so rather than crashing


def test_multi_megabyte_page_is_read_in_bounded_time(tmp_path: Path) -> None:
    paragraphs = [
        f"Paragraph {n}: the committee heard evidence from witness number {n} about the "
        f"contract awarded in {1990 + n % 30} and the payments made afterwards."
        for n in range(25_000)
    ]
    page = news_page(paragraphs=paragraphs)
    assert 3 * MB < len(page) < MAX_HTML_BYTES
    path = tmp_path / "long.html"
    path.write_text(page)
    started = time.perf_counter()
    result = load_file(path, 10 * MB)
    assert time.perf_counter() - started < 30
    [article] = result.articles
    assert "witness number 19999" in article.body


def test_page_over_the_html_cap_is_refused_with_the_limit_named(tmp_path: Path) -> None:
    path = tmp_path / "huge.html"
    path.write_text(news_page(paragraphs=["x" * 1000] * 6000))
    result = load_file(path, 100 * MB)
    assert result.articles == []
    assert "5 MB limit for HTML" in result.problems[0].reason


def test_fragment_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    text = fragment_to_text("<p>One <b>bold</b> word.</p><script>x()</script><p>Two&amp;</p>")
    assert text == "One bold word.\n\nTwo&"


# ---- PDF ----------------------------------------------------------------------------------


def test_pdf_keeps_page_markers_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(
        make_pdf(
            [
                ["Council approves budget", "The council voted 5 to 2 on Monday."],
                ["Schools get 12 million euros for repairs."],
                [],  # a blank page: no marker, numbering of later pages unchanged
                ["Roads are resurfaced next spring."],
            ],
            title="Budget vote",
            author="City Desk",
            created="D:20240325120000Z",
        )
    )
    result = load_file(path, MB)
    assert result.problems == []
    [article] = result.articles
    assert (article.title, article.author, article.published) == (
        "Budget vote",
        "City Desk",
        date(2024, 3, 25),
    )
    assert article.body.startswith("[page 1]\nCouncil approves budget")
    assert "[page 2]\nSchools get 12 million" in article.body
    assert "[page 3]" not in article.body
    assert "[page 4]\nRoads are resurfaced" in article.body
    assert page_of("Schools get 12 million", article.body) == 2
    assert page_of("Roads are resurfaced", article.body) == 4
    assert page_of("not in it", article.body) is None


def test_pdf_title_falls_back_to_first_line(tmp_path: Path) -> None:
    path = tmp_path / "untitled.pdf"
    path.write_bytes(make_pdf([["Harbour wall to be rebuilt", "Engineers said on Friday."]]))
    [article] = load_file(path, MB).articles
    assert article.title == "Harbour wall to be rebuilt"
    assert article.published is None


def test_pdf_without_text_layer_asks_for_ocr(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[], []]))
    result = load_file(path, MB)
    assert result.articles == []
    assert "no text layer" in result.problems[0].reason
    assert "OCR it first" in result.problems[0].reason


def test_truncated_pdf_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(make_pdf([["Some text on a page here."]])[:200])
    result = load_file(path, MB)
    assert result.articles == [] and len(result.problems) == 1


# ---- feeds --------------------------------------------------------------------------------

ITEMS = [
    {
        "title": "Storm floods harbour",
        "link": "https://gazette.example/storm",
        "guid": "gazette-1001",
        "date": "Thu, 02 May 2024 08:00:00 GMT",
        "description": "<p>The storm <b>flooded</b> the harbour.</p><p>Shelters opened.</p>",
    },
    {
        "title": "Budget approved",
        "link": "https://gazette.example/budget",
        "guid": "gazette-1002",
        "date": "Fri, 03 May 2024 09:30:00 +0200",
        "description": "The council approved the budget &amp; the school plan.",
    },
]


def test_rss_entries_become_articles(tmp_path: Path) -> None:
    path = tmp_path / "world.rss"
    path.write_text(rss_feed(ITEMS))
    result = load_file(path, MB)
    assert result.problems == []
    storm, budget = result.articles
    assert (storm.title, storm.published, storm.url) == (
        "Storm floods harbour",
        date(2024, 5, 2),
        "https://gazette.example/storm",
    )
    assert storm.body == "The storm flooded the harbour.\n\nShelters opened."
    assert budget.body == "The council approved the budget & the school plan."
    assert storm.source == "Gazette World News"
    assert storm.id != budget.id


def test_atom_entries_use_content_and_author(tmp_path: Path) -> None:
    path = tmp_path / "wire.atom"
    entry = {
        "id": "urn:wire:77",
        "title": "Ceasefire talks resume",
        "link": "https://wire.example/77",
        "updated": "2024-05-03T10:00:00Z",
        "author": "Wire Desk",
        "content": "<p>Talks resumed in Geneva on Friday.</p>",
    }
    path.write_text(atom_feed([entry]))
    [article] = load_file(path, MB).articles
    assert article.body == "Talks resumed in Geneva on Friday."
    assert (article.author, article.published) == ("Wire Desk", date(2024, 5, 3))


def test_entry_ids_do_not_depend_on_file_or_position(tmp_path: Path) -> None:
    first, second = tmp_path / "a.rss", tmp_path / "b.xml"
    first.write_text(rss_feed(ITEMS))
    second.write_text(rss_feed(list(reversed(ITEMS))))
    ids_a = {a.id for a in load_file(first, MB).articles}
    ids_b = {a.id for a in load_file(second, MB).articles}
    assert ids_a == ids_b


def test_feed_with_broken_entries_keeps_the_good_ones(tmp_path: Path) -> None:
    broken = [
        ITEMS[0],
        {"title": "No text at all", "guid": "gazette-1003"},
        {"title": "Bad date", "guid": "gazette-1004", "date": "the day after", "description": "x"},
        ITEMS[1],
    ]
    path = tmp_path / "mixed.xml"
    path.write_text(rss_feed(broken))
    result = load_file(path, MB)
    assert [a.title for a in result.articles] == ["Storm floods harbour", "Budget approved"]
    reasons = sorted(p.reason for p in result.problems)
    assert reasons[0].startswith("entry 2") and "no text" in reasons[0]
    assert reasons[1].startswith("entry 3") and "date" in reasons[1]


def test_xml_that_is_not_a_feed_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "config.xml"
    path.write_text('<?xml version="1.0"?><settings><a>1</a></settings>')
    result = load_file(path, MB)
    assert result.articles == []
    assert "not a readable RSS or Atom feed" in result.problems[0].reason


def test_folder_with_every_format(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(news_page())
    (tmp_path / "doc.pdf").write_bytes(make_pdf([["A page of text for the folder test."]]))
    (tmp_path / "feed.rss").write_text(rss_feed(ITEMS))
    (tmp_path / "note.md").write_text("# Note\n\nA note.")
    result = load_paths([tmp_path], MB)
    assert result.problems == []
    assert len(result.articles) == 5
