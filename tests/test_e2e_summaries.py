"""End to end at the product's defaults: the seed article summarized by the real embedded
model at the default temperature, several times, since sampling varies the wording. Each
point must be kept at least as often as the README says."""

from __future__ import annotations

import pytest

from assistant.answer.summary_check import Omitted
from assistant.answer.summary_facts import SourceFacts, split_sentences
from assistant.app.compose import ChatRuntime, Services
from assistant.types import Answer

pytestmark = pytest.mark.e2e

RUNS = 3
# Of RUNS bullet summaries, how many must name each point: what the README says was measured
# at this temperature (the agreement was named in 12 of 13 summaries, air defence missed
# in earlier runs). The place of the peace summit (Switzerland) was left out in every run
# measured, so it is not promised.
AT_LEAST = {
    "zelenskyy": RUNS,
    "sánchez": RUNS,
    "bilateral security agreement": RUNS - 1,
    "air defen": RUNS - 1,
}


@pytest.fixture(scope="module")
def runtime(seed_runtime: tuple[Services, ChatRuntime]) -> tuple[Services, ChatRuntime]:
    return seed_runtime


def test_bullet_summaries_of_the_seed_keep_its_main_points(
    runtime: tuple[Services, ChatRuntime],
) -> None:
    services, chat = runtime
    [article] = services.store.list_articles()
    text = "\n\n".join(p.text for p in services.store.article_passages(article.id))
    source = SourceFacts(text)
    summaries = []
    for _ in range(RUNS):
        events = list(chat.current().summarize.article(article.id, "bullets"))
        answer = events[-1]
        assert isinstance(answer, Answer) and answer.text
        # What the reader is shown names no number or name the article lacks...
        assert not any(source.missing(s) for s in split_sentences(answer.text)), answer.text
        # ...and what was left out for that is said.
        assert all(o.note and o.facts for o in events if isinstance(o, Omitted))
        summaries.append(answer.text.lower())
    kept = {needle: sum(needle in s for s in summaries) for needle in AT_LEAST}
    assert all(kept[n] >= AT_LEAST[n] for n in AT_LEAST), (kept, summaries)


def test_key_sentences_of_the_seed_are_its_own_words(
    runtime: tuple[Services, ChatRuntime],
) -> None:
    services, chat = runtime
    [article] = services.store.list_articles()
    text = " ".join(p.text for p in services.store.article_passages(article.id))
    answer = list(chat.current().summarize.article(article.id, "key"))[-1]
    assert isinstance(answer, Answer)
    sentences = split_sentences(answer.text)
    assert 1 <= len(sentences) <= 3
    assert all(s in text for s in sentences)
    assert "zelenskyy" in answer.text.lower() and "bilateral security agreement" in answer.text
