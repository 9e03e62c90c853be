"""Summaries with a fake chat model: whole articles, map-reduce, topics, and the tab
handlers."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.factcheck import FactCheckChain
from assistant.answer.key_sentences import key_sentences
from assistant.answer.length_guard import allowed_end
from assistant.answer.prompts import load_prompts
from assistant.answer.summarize import (
    BRIEF_SENTENCES,
    BRIEF_WORDS,
    SummarizeChain,
    group_within_budget,
)
from assistant.answer.summary_check import Omitted, Restated
from assistant.app.render import CHECK_NOTE
from assistant.app.web.tools import FactCheckHandler, SummaryHandler, article_label
from assistant.config import PROJECT_ROOT, Settings
from assistant.index.catalog import ArticleInfo
from assistant.index.embeddings import make_embeddings
from assistant.tokens import count_tokens
from assistant.types import Answer, Filters, Passage, Progress, Retrieved, Token
from tests.fakes.stance_model import SUPPORTS, StanceModel

PROMPTS = load_prompts(PROJECT_ROOT / "prompts")


def passages(count: int, words: int = 150) -> list[Passage]:
    return [
        Passage(
            f"c{i}",
            "long",
            i,
            f"Part {i}: " + "news " * words,
            "Long story",
            "2024-05-01",
            "wire",
            "",
            0.5,
        )
        for i in range(count)
    ]


class Recording(FakeListChatModel):
    prompts: list[str]

    def _call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
        self.prompts.append(messages[-1].content)
        return super()._call(messages, *args, **kwargs)

    def _stream(self, messages: Any, *args: Any, **kwargs: Any) -> Any:
        self.prompts.append(messages[-1].content)
        return super()._stream(messages, *args, **kwargs)


def make(
    responses: list[str], article: list[Passage], budget: int, embeddings: Any = None
) -> tuple[SummarizeChain, Recording]:
    llm = Recording(responses=responses, prompts=[])

    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        return article

    chain = SummarizeChain(
        llm, lambda _id: article, retrieve, PROMPTS, budget, 800, 0.2, embeddings=embeddings
    )
    return chain, llm


@pytest.fixture(scope="module")
def embeddings(cache_dir: Any) -> Any:
    """The bundled MiniLM, which the support check reads meaning with."""
    return make_embeddings(
        Settings(_env_file=None, cache_dir=cache_dir, embeddings_url=None)  # type: ignore[call-arg]
    )


def test_short_article_is_summarized_whole_in_one_prompt(cache_dir: Any) -> None:
    article = passages(3, 20)
    chain, llm = make(["A short summary."], article, 1800)
    events = list(chain.article("long", "paragraph"))
    assert isinstance(events[0], Retrieved)
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.text == "A short summary."
    assert len(llm.prompts) == 1
    assert all(f"Part {i}:" in llm.prompts[0] for i in range(3))  # every chunk, not top-k


def test_a_brief_summary_rewrites_the_key_sentences_only(cache_dir: Any) -> None:
    """Extract, then compress: the model reads the article's most salient sentences; its
    summary is checked against the whole article."""
    body = (
        "The city council approved a new tram line on Monday. The tram line will cost 48 "
        "million euros and open in 2027. Mayor Ana Ruiz said the tram vote was a turning point "
        "for the city. The council approved the tram budget with nine votes to two. Work on "
        "the tram line starts in May, the council said. Two council members said the tram "
        "line costs too much. Shops along the tram route asked the council for help. The tram "
        "will carry 40,000 people a day. A delegation from Lisbon once visited the harbour."
    )
    chosen = key_sentences(body, BRIEF_SENTENCES, BRIEF_WORDS)
    assert not any("Lisbon" in sentence for sentence in chosen)
    article = [Passage("c0", "tram", 0, body, "Tram line approved", "2024-05-01", "wire", "")]
    kept = "The council approved a tram line costing 48 million euros. Lisbon sent a delegation."
    chain, llm = make([f"{kept} Officials from Porto came."], article, 1800)
    answer = list(chain.article("tram", "brief"))[-1]
    prompt = llm.prompts[0]
    assert all(sentence in prompt for sentence in chosen)
    assert "Lisbon" not in prompt and "2 to 3 sentences" in prompt
    # Lisbon is in the article, Porto is not: only the sentence naming Porto is left out.
    assert isinstance(answer, Answer) and answer.text == kept


def test_long_article_is_map_reduced_within_the_budget(cache_dir: Any) -> None:
    article = passages(6, 150)  # about 900 tokens in all
    budget = 400
    groups = group_within_budget(article, budget)
    assert len(groups) >= 3
    assert all(sum(count_tokens(p.text) for p in g) <= budget for g in groups)
    assert [p.index for g in groups for p in g] == list(range(6))  # order kept, none lost
    notes = [f"- note {i}" for i in range(len(groups))]
    chain, llm = make([*notes, "The final summary."], article, budget)
    events = list(chain.article("long", "bullets"))
    assert sum(isinstance(e, Progress) for e in events) == len(groups)
    assert events[-1].text == "The final summary."  # type: ignore[union-attr]
    final_prompt = llm.prompts[-1]
    assert all(note in final_prompt for note in notes)  # the reduce step reads every note
    assert "Part 0:" not in final_prompt


def test_topic_summary_cites_passages(cache_dir: Any) -> None:
    article = passages(2, 20)
    chain, _ = make(["Part one says news [1]. Part two agrees [2]."], article, 1800)
    answer = list(chain.topic("news"))[-1]
    assert isinstance(answer, Answer) and answer.cited == [1, 2]


def test_summary_tab_handler_streams_and_names_the_source(cache_dir: Any) -> None:
    article = passages(2, 20)
    chain, _ = make(["A <b>summary</b> of it."], article, 1800)
    info = ArticleInfo("long", "Long story", "2024-05-01", "wire", "", 2, "x")
    handler = SummaryHandler(lambda: chain, lambda: [info])
    assert handler.choices() == [(article_label(info), "long")]
    outputs = list(handler.summarize("long", "", "brief"))
    assert "&lt;b&gt;summary&lt;/b&gt;" in outputs[-1]
    assert "**Source**: Long story (2024-05-01 · wire), all 2 passages" in outputs[-1]
    assert list(handler.summarize(None, "", "brief")) == [
        "Choose an article from the list, or type a topic."
    ]
    assert "must be a date" in list(handler.summarize(None, "news", "brief", "soon"))[-1]


def test_factcheck_tab_handler_marks_verified_quotes(cache_dir: Any) -> None:
    article = passages(1, 20)

    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        return article

    model = StanceModel(answers={"Claim: It is news": SUPPORTS})
    chain = FactCheckChain(model, retrieve, PROMPTS, 0.2)
    output = list(FactCheckHandler(lambda: chain).check("It is news."))[-1]
    assert output.startswith("### Overall: ✅ SUPPORTED")
    assert f"“{article[0].text.strip()}”" in output
    assert "supports the claim · ✓ verified quote" in output
    assert "Long story (2024-05-01 · wire)" in output


def test_length_guard_finds_the_end_of_the_last_allowed_sentence() -> None:
    four = "The U.S. envoy met Mr. Smith on Jan. 5. They talked. Talks went on! A fourth one."
    end = allowed_end(four, "brief")
    assert end is not None and four[:end] == (
        "The U.S. envoy met Mr. Smith on Jan. 5. They talked. Talks went on!"
    )
    assert allowed_end("One. Two. Three.", "brief") is None  # not past the limit yet
    assert allowed_end('He said "yes." Then left. And so. More', "brief") == len(
        'He said "yes." Then left. And so.'
    )
    bullets = "".join(f"- point {n}\n" for n in range(1, 9))
    cut = allowed_end(bullets, "bullets")
    assert cut is not None and bullets[:cut].splitlines()[-1] == "- point 6"
    assert allowed_end("- a\n- b\n", "bullets") is None
    for text, kept in [
        ("It passed. Voting ended. It began at 9 a.m. on Monday. More.", "on Monday."),
        ("Shares fell. Markets slid. Apple Inc. fell 3%, e.g. in Asia. Next.", "in Asia."),
        ("1. First point here.\n2. Second one.\n3. Third one.\n4. Fourth.", "Third one."),
    ]:
        end = allowed_end(text, "brief")
        assert end is not None and text[:end].endswith(kept), (text, end)
    # A stop is not an end until the next sentence visibly begins.
    assert allowed_end("One. Two. Three. ", "brief") is None
    assert allowed_end("One. Two. Three. four", "brief") is None


def test_an_earlier_line_ending_in_a_one_letter_word_does_not_stop_the_cut() -> None:
    # "B." and "U.S." at the end of a line are read as abbreviations; the stops after them
    # still count.
    for first_line in ("They fell back on plan B.", "Aid came from the U.S."):
        text = f"{first_line}\nThe vote passed. Talks went on. Markets rose. A fifth one."
        end = allowed_end(text, "brief")
        assert end is not None and text[:end].endswith("Markets rose."), (text, end)


def test_a_summary_that_runs_long_is_cut_while_it_streams(cache_dir: Any) -> None:
    article = passages(1, 20)
    ordinals = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
    rambling = " ".join(f"The {n} sentence says something." for n in ordinals)
    chain, _ = make([rambling], article, 1800)
    events = list(chain.article("long", "brief"))
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert answer.text == (
        "The first sentence says something. The second sentence says something. "
        "The third sentence says something."
    )
    assert streamed.strip() == answer.text  # nothing shown that was then taken back
    paragraph = list(make([rambling], article, 1800)[0].article("long", "paragraph"))[-1]
    assert isinstance(paragraph, Answer) and paragraph.text.count(" sentence says") == 6


@pytest.mark.parametrize(
    ("length", "reply", "kept"),
    [
        # Letters, not numbers: a number the article lacks would be left out.
        ("bullets", "".join(f"- point {n} here\n" for n in "abcdefgh"), 6),
        ("brief", " ".join(f"Sentence {n} is here." for n in "ABCDEFGH"), 3),
    ],
)
def test_nothing_streamed_is_taken_back_by_the_length_cut(
    cache_dir: Any, length: str, reply: str, kept: int
) -> None:
    chain, _ = make([reply], passages(1, 20), 1800)  # streams character by character
    events = list(chain.article("long", length))  # type: ignore[arg-type]
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert answer.text.count("here") == kept
    assert streamed.rstrip() == answer.text  # the stream is the answer, nothing more


def test_factcheck_tab_shows_why_nothing_settled_the_claim(cache_dir: Any) -> None:
    planned = Passage(
        "c1",
        "a1",
        0,
        "Spain and Ukraine agreed to speed up the preparation of a security agreement.",
        "Talks in Madrid",
        "2024-03-25",
        "wire",
        "",
        0.6,
    )
    unrelated = Passage(
        "c2", "a2", 0, "The weather was mild all week.", "Weather", "", "wire", "", 0.5
    )

    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        return [planned, unrelated]

    model = StanceModel(answers={"Claim: Spain and Ukraine signed": SUPPORTS})
    chain = FactCheckChain(model, retrieve, PROMPTS, 0.2)
    output = list(
        FactCheckHandler(lambda: chain).check("Spain and Ukraine signed a security agreement.")
    )[-1]
    assert "NOT ENOUGH INFO" in output and "No passage in the articles settles" in output
    assert f"“{planned.text}”" in output
    assert "closest, but it speaks of a plan or preparation" in output
    assert "- Passage 1 (Talks in Madrid, 2024-03-25): does not settle the claim" in output
    assert "- Passage 2 (Weather, no date): does not settle the claim (it shares too few" in output


# ---- the check of names and numbers against the article --------------------------------


def one_chunk_article(article_id: str, text: str, title: str, published: str) -> list[Passage]:
    """An article short enough to be one chunk, from the wire."""
    return [Passage(f"{article_id}-0", article_id, 0, text, title, published, "wire", "", 0.5)]


BUDGET_ARTICLE = one_chunk_article(
    "budget",
    "The city council approved a new budget on Tuesday after a long debate. The budget "
    "gives 12 million dollars to repair the old harbour bridge, which was closed in March. "
    "Mayor Ana Lopez said the bridge would reopen to traffic next spring.",
    "Council passes budget",
    "2024-05-01",
)
# The article's sentence on the bridge: shown where summaries below get the bridge wrong.
BUDGET_BRIDGE = (
    "The budget gives 12 million dollars to repair the old harbour bridge, which was closed "
    "in March."
)


def test_a_summary_sentence_with_an_invented_number_is_left_out_and_the_reader_told(
    cache_dir: Any,
) -> None:
    summary = (
        "The city council approved a new budget on Tuesday. It gives 40 million dollars to "
        "repair the harbour bridge. Mayor John Smith expects it to reopen next spring."
    )
    chain, _ = make([summary], BUDGET_ARTICLE, 1800)
    events = list(chain.article("budget", "brief"))
    omitted = [e for e in events if isinstance(e, Omitted)]
    assert [str(o.facts) for o in omitted] == ["40", "john, smith"]
    assert "40 million" in omitted[0].note and "does not state" in omitted[0].note
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert answer.text == "The city council approved a new budget on Tuesday."
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert streamed.strip() == answer.text  # the left-out sentences were never shown
    # The Summarize tab shows the summary, then what was left out and why.
    handler = SummaryHandler(lambda: make([summary], BUDGET_ARTICLE, 1800)[0], lambda: [])
    shown = list(handler.summarize("budget", "", "brief"))[-1]
    assert shown.startswith("The city council approved a new budget on Tuesday.")
    assert f"{CHECK_NOTE} Left out a sentence that gives 40" in shown and "john, smith" in shown
    assert "⚠️" not in shown  # the check at work, not a failure


def test_a_sentence_with_an_invented_fact_gives_way_to_the_articles_closest_words(
    cache_dir: Any, embeddings: Any
) -> None:
    # With the support judge, the sentence the model changed is shown as the article has it.
    summary = (
        "The city council approved a new budget on Tuesday. It gives 40 million dollars to "
        "repair the harbour bridge. Mayor John Smith expects it to reopen next spring."
    )
    chain, _ = make([summary], BUDGET_ARTICLE, 1800, embeddings)
    events = list(chain.article("budget", "brief"))
    omitted = [e for e in events if isinstance(e, Omitted)]
    assert [str(o.facts) for o in omitted] == ["40", "john, smith"]
    mayor = "Mayor Ana Lopez said the bridge would reopen to traffic next spring."
    assert [o.text.strip() for o in omitted] == [BUDGET_BRIDGE, mayor]
    assert "article's own words" in omitted[0].note and "40 million" in omitted[0].note
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert (
        answer.text == f"The city council approved a new budget on Tuesday. {BUDGET_BRIDGE} {mayor}"
    )
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert streamed.strip() == answer.text and "40" not in streamed and "Smith" not in streamed


SHORTFALL_ARTICLE = one_chunk_article(
    "care",
    "Councils in England face a £1.1bn shortfall this year, directors warned. Funding "
    "for social care has fallen by £4.6bn since 2010. 31 councils replied to the survey.",
    "Care funding gap",
    "2015-03-25",
)


def test_a_decimal_the_model_breaks_with_a_space_is_made_whole_where_the_article_has_it(
    cache_dir: Any,
) -> None:
    # The bundled model, copying "£1.1bn", at times writes "£1. 1bn": read as it comes,
    # "£1." would end a sentence and "1bn shortfall…" be left out as a number the article
    # lacks. "2010. 31" stays apart: the article has no 2010.31.
    summary = (
        "Councils face a £1. 1bn shortfall this year. Care funding fell by £4. 6bn since "
        "2010. 31 councils replied."
    )
    chain, _ = make([summary], SHORTFALL_ARTICLE, 1800)
    events = list(chain.article("care", "brief"))
    assert not any(isinstance(e, Omitted) for e in events)
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert answer.text == (
        "Councils face a £1.1bn shortfall this year. Care funding fell by £4.6bn since 2010. "
        "31 councils replied."
    )
    assert "".join(e.text for e in events if isinstance(e, Token)).strip() == answer.text


def test_a_faithful_summary_keeps_every_sentence(cache_dir: Any) -> None:
    # The date, title and source the model is given count as the article's.
    summary = (
        "- On May 1, 2024, the council approved the budget (wire).\n"
        "- Twelve million dollars go to the harbour bridge, closed since March.\n"
        "- Mayor Lopez expects it to reopen next spring.\n"
    )
    chain, _ = make([summary], BUDGET_ARTICLE, 1800)
    events = list(chain.article("budget", "bullets"))
    assert not any(isinstance(e, Omitted) for e in events)
    assert events[-1].text == summary.strip()  # type: ignore[union-attr]


def test_a_sentence_the_article_does_not_state_gives_way_to_the_articles_words(
    cache_dir: Any, embeddings: Any
) -> None:
    # No sentence of the article says that the bridge will bring tourists back: the second
    # sentence gives way to the article's closest ones (the council's vote and the bridge's
    # repair), less the one the first sentence already rests on. The third's closest are
    # both shown already, so it is left out rather than showing them twice.
    summary = (
        "The city council approved a new budget on Tuesday. The council says the bridge "
        "will bring tourists back to the harbour. The council approved the budget because "
        "tourists love the bridge.\n"
    )
    chain, _ = make([summary], BUDGET_ARTICLE, 1800, embeddings)
    events = list(chain.article("budget", "brief"))
    restated = [e for e in events if isinstance(e, Restated)]
    assert [r.sentence for r in restated] == [
        "The council says the bridge will bring tourists back to the harbour.",
        "The council approved the budget because tourists love the bridge.",
    ]
    assert restated[0].text.strip() == BUDGET_BRIDGE and restated[1].text == ""
    assert "article's own words" in restated[0].note and "Left out" in restated[1].note
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert answer.text == f"The city council approved a new budget on Tuesday. {BUDGET_BRIDGE}"
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert streamed.strip() == answer.text  # what was replaced was never shown
    # The Summarize tab says what was changed and why.
    handler = SummaryHandler(
        lambda: make([summary], BUDGET_ARTICLE, 1800, embeddings)[0], lambda: []
    )
    shown = list(handler.summarize("budget", "", "brief"))[-1]
    assert shown.startswith(answer.text)
    assert f"{CHECK_NOTE} Gave the article's own words in place of a sentence" in shown


def test_a_faithful_paraphrase_passes_the_support_check(cache_dir: Any, embeddings: Any) -> None:
    summary = (
        "- On Tuesday the city council approved a new budget.\n"
        "- It gives 12 million dollars to repair the old harbour bridge.\n"
        "- Mayor Ana Lopez said the bridge would reopen next spring.\n"
    )
    chain, _ = make([summary], BUDGET_ARTICLE, 1800, embeddings)
    events = list(chain.article("budget", "bullets"))
    assert not any(isinstance(e, Omitted | Restated) for e in events)
    assert events[-1].text == summary.strip()  # type: ignore[union-attr]


def test_when_every_sentence_is_left_out_the_key_sentences_stand_in(cache_dir: Any) -> None:
    chain, _ = make(["The mayor of Paris cut 40 jobs."], BUDGET_ARTICLE, 1800)
    events = list(chain.article("budget", "brief"))
    assert sum(isinstance(e, Omitted) for e in events) == 1
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.text.startswith("The city council approved")
    assert "Paris" not in answer.text


def test_key_sentences_are_the_articles_own_words_without_the_model(cache_dir: Any) -> None:
    chain, llm = make([], BUDGET_ARTICLE, 1800)
    answer = list(chain.article("budget", "key"))[-1]
    assert isinstance(answer, Answer) and llm.prompts == []
    assert answer.text and answer.text in BUDGET_ARTICLE[0].text.replace("\n", " ")
