"""The Stories tab's handler on a real store (real Chroma, real embeddings), and the tab's
layout built with Gradio."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest

from assistant.app.compose import build_services
from assistant.app.web.stories_tab import StoriesHandler, stories_tab
from assistant.config import Settings
from assistant.ingest.sync import ingest_paths
from tests.test_stories import write_reports


@pytest.fixture
def handler(settings: Settings, tmp_path: Path) -> StoriesHandler:
    services = build_services(settings)
    corpus = tmp_path / "news.jsonl"
    write_reports(corpus)
    ingest_paths(services.store, [corpus], 50)
    return StoriesHandler(services.store, services.retriever.retrieve, settings.min_relevance)


def test_list_open_timeline_and_brief(handler: StoriesHandler) -> None:
    choices, listing = handler.list("", "", "All sources")
    [(label, story_id)] = choices["choices"]
    assert "2 articles" in label and "| 2022-06-13 – 2022-06-14 | 2 |" in listing
    opened = handler.open(story_id)
    assert "usatoday.com · Yellowstone closes after record floods" in opened
    timeline = handler.timeline(story_id)
    assert "2022-06-13  Yellowstone National Park closed all entrances on Monday" in timeline
    text, path = handler.brief("2022-06-15", 3)
    assert text.startswith("# Briefing for 2022-06-13 to 2022-06-15")
    assert path is not None and Path(path).read_text(encoding="utf-8") == text


def test_filters_and_bad_input_are_messages(handler: StoriesHandler) -> None:
    choices, listing = handler.list("", "", "theweek.co.uk")
    assert choices["choices"] == [] and "widen them" in listing
    assert "must be a date" in handler.list("soon", "", "")[1]
    assert "a story needs at least 2 articles" in handler.open("r1")
    assert "Choose a story" in handler.open(None)
    assert "Nothing in the corpus is about" in handler.timeline(None, "lattice gauge theory")
    message, path = handler.brief("2030-01-01", 7)
    assert "No story" in message and path is None


def test_the_tab_builds(handler: StoriesHandler) -> None:
    with gr.Blocks() as page:
        stories_tab(handler, lambda: ["cnn.com"], page)
    assert any(getattr(c, "elem_id", None) == "stories-list" for c in page.blocks.values())
