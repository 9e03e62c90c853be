"""``assistant eval summaries``: ROUGE-L, the faithfulness judge on a made-up article, and the
wiring with a fake chat model over a store in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.summary_facts import content_words
from assistant.answer.summary_support import METHOD, FaithfulnessJudge
from assistant.app.compose import Services, build_chains, build_services
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.index.embeddings import make_embeddings
from devtools.eval_claims import in_split
from devtools.eval_summaries import (
    ReferenceArticle,
    RougeL,
    evaluate_summaries,
    format_summaries,
    ingest_articles,
    lead,
    load_articles,
    split_sentences,
    unknown_facts,
)

ARTICLE = (
    "The city council approved a new budget on Tuesday after a long debate.\n\n"
    "The budget gives 12 million dollars to repair the old harbour bridge, which was "
    "closed in March because of cracks in its supports.\n\n"
    "Mayor Ana Lopez said the bridge would reopen to traffic next spring. Opposition "
    "members voted against the plan, saying it raised property taxes."
)
REFERENCE = (
    "The council passed a budget that pays 12 million dollars to fix the harbour bridge, "
    "closed since March. The mayor expects it to reopen next spring."
)
SUMMARY = (
    "The city council approved a new budget on Tuesday. "
    "It gives money to repair the harbour bridge, which would reopen next spring. "
    "The mayor also announced a new football stadium for the city."
)


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> FaithfulnessJudge:
    from assistant.tokens import install_offline_encoding

    cache = tmp_path_factory.mktemp("judge-cache")
    install_offline_encoding(cache)
    settings = Settings(_env_file=None, cache_dir=cache, embeddings_url=None)  # type: ignore[call-arg]
    return FaithfulnessJudge(make_embeddings(settings))


def test_rouge_l_takes_the_best_reference() -> None:
    rouge = RougeL()
    assert rouge.f1("the bridge will reopen", ["the bridge will reopen"]) == 1.0
    assert rouge.f1("the bridge will reopen", ["cats sleep"]) == 0.0
    one = rouge.f1("the bridge reopens in spring", ["the bridge reopens", "nothing alike here"])
    both = rouge.f1("the bridge reopens in spring", ["nothing alike here", "the bridge reopens"])
    assert one == both == pytest.approx(2 * 1 * 0.6 / 1.6)  # P 3/5, R 3/3
    assert rouge.f1("The bridges reopened", ["the bridge reopens"]) == 1.0  # Porter stems
    with pytest.raises(ValueError):
        rouge.f1("x", [])


def test_sentences_and_content_words() -> None:
    assert split_sentences("One here. Two there!\n- Bullet three\n* four.\n\n") == [
        "One here.",
        "Two there!",
        "Bullet three",
        "four.",
    ]
    assert split_sentences(' He said "yes." Then left.') == ['He said "yes."', "Then left."]
    assert content_words("The Mayor said it was late, and the bridge’s repair began") == [
        "mayor",
        "late",
        "bridge",
        "repair",
        "began",
    ]
    assert lead(ARTICLE, 10).startswith("The city council") and lead(ARTICLE, 10).endswith(
        "debate."
    )


def test_faithfulness_judge_on_a_made_up_article(judge: FaithfulnessJudge) -> None:
    judged = judge.judge(SUMMARY, ARTICLE)
    assert [j.supported for j in judged] == [True, True, False]
    copied, paraphrase, invented = judged
    assert copied.cosine > 0.9 and copied.overlap == 1.0
    assert "harbour bridge" in paraphrase.closest
    assert invented.overlap < 0.7
    assert judge.judge("", ARTICLE) == []
    assert "adjacent" in METHOD and "70%" in METHOD


# Each changes one fact of the article while keeping most of its words.
UNFAITHFUL = [
    "Opposition members approved the budget.",  # roles reversed
    "Mayor Ana Lopez voted against the plan.",  # the mayor given the opposition's deed
    "The city closed the bridge to raise property taxes.",  # an invented cause
    "The council closed the bridge because of property taxes.",  # another
    "The budget gives 40 million dollars to repair the harbour bridge.",  # wrong number
    "The harbour bridge was closed in May because of cracks in its supports.",  # wrong month
    "Mayor John Smith said the bridge would reopen to traffic next spring.",  # wrong name
    "The city council approved a new budget on Friday after a long debate.",  # wrong day
]
FAITHFUL = [
    "The city council approved a new budget on Tuesday.",
    "The budget gives 12 million dollars to repair the harbour bridge.",
    "The bridge, closed in March because of cracks, gets 12 million dollars from the budget.",
    "Mayor Ana Lopez expects the harbour bridge to reopen to traffic next spring.",
    "Opposition members voted against the plan because it raised property taxes.",
    "The budget was approved on Tuesday after a long debate.",
]


@pytest.mark.parametrize("sentence", UNFAITHFUL)
def test_faithfulness_judge_fails_a_sentence_that_changes_a_fact(
    judge: FaithfulnessJudge, sentence: str
) -> None:
    [result] = judge.judge(sentence, ARTICLE)
    assert not result.supported, result


@pytest.mark.parametrize("sentence", FAITHFUL)
def test_faithfulness_judge_passes_a_faithful_paraphrase(
    judge: FaithfulnessJudge, sentence: str
) -> None:
    [result] = judge.judge(sentence, ARTICLE)
    assert result.supported, result


def test_the_judge_names_the_facts_its_closest_sentence_lacks(judge: FaithfulnessJudge) -> None:
    [result] = judge.judge("The budget gives 40 million dollars to repair the bridge.", ARTICLE)
    assert result.missing == "40" and "12 million" in result.closest


def test_faithfulness_judge_cosine_can_support_a_paraphrase(judge: FaithfulnessJudge) -> None:
    # Other words, same meaning: only the embedding sees it.
    lenient = FaithfulnessJudge(judge.embeddings, cosine_threshold=0.6)
    [result] = lenient.judge("The town council passed the new budget.", ARTICLE)
    assert result.overlap < 0.7 and result.cosine >= 0.6 and result.supported
    [strict] = judge.judge("The town council passed the new budget.", ARTICLE)
    assert not strict.supported


def test_a_summary_with_an_invented_number_or_name_is_caught() -> None:
    assert unknown_facts("The bridge got 12 million dollars.", ARTICLE) == ""
    assert unknown_facts("The bridge got 40 million dollars.", ARTICLE) == "40"
    assert unknown_facts("Mayor Ana Lopez and Governor Kim Park spoke.", ARTICLE) == (
        "governor, kim, park"
    )


def test_loading_articles(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": "T.", "references": ["r1", " ", "r2"]})
        + "\n\n"
        + json.dumps({"id": "b", "text": "U.", "references": ["r"]})
        + "\n"
    )
    articles = load_articles(path)
    assert articles[0] == ReferenceArticle("a", "T.", ("r1", "r2"))
    assert len(load_articles(path, limit=1)) == 1
    path.write_text(json.dumps({"id": "a", "text": "T.", "references": []}) + "\n")
    with pytest.raises(ConfigError, match="line 1"):
        load_articles(path)


def test_the_two_splits_part_the_articles(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    ids = [f"article-{n}" for n in range(40)]
    path.write_text(
        "".join(json.dumps({"id": i, "text": "T.", "references": ["r"]}) + "\n" for i in ids)
    )
    odd = [a.id for a in load_articles(path, split="odd")]
    even = [a.id for a in load_articles(path, split="even")]
    assert sorted(odd + even) == sorted(ids) and not set(odd) & set(even)
    assert 10 <= len(odd) <= 30  # a checksum, not the order: both halves are sizeable
    assert [a.id for a in load_articles(path, limit=3, split="odd")] == odd[:3]


# ---- wiring with a fake chat model ----------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "summaries"
    folder.mkdir()
    records: list[dict[str, Any]] = [
        {"id": "budget", "text": ARTICLE, "references": [REFERENCE, "A budget passed."]},
    ]
    (folder / "articles.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return folder


@pytest.fixture
def services(settings: Settings, data: Path) -> Services:
    services = build_services(settings)
    assert ingest_articles(services.store, data, settings.max_file_mb).added == 1
    return services


def test_evaluate_summaries_with_a_fake_model(services: Services, data: Path) -> None:
    chains = build_chains(FakeListChatModel(responses=[SUMMARY]), services.settings, services)
    articles = load_articles(data / "articles.jsonl")
    missing = ReferenceArticle("nowhere", "Not stored.", ("x",))
    lines: list[str] = []
    results = evaluate_summaries(
        chains.summarize,
        [*articles, missing],
        FaithfulnessJudge(services.store.embeddings),
        progress=lines.append,
    )
    assert (results["articles"], results["scored"], results["errors"]) == (2, 1, 1)
    assert "ERROR AssistantError" in lines[1] and lines[0].startswith("[1/2] article budget:")
    # The stadium is nowhere in the article, and the article's sentence closest to it
    # (the mayor's) is the one the second sentence rests on: the chain leaves it out. What
    # the model wrote is scored too, as "unchecked".
    shown = SUMMARY.replace(" The mayor also announced a new football stadium for the city.", "")
    outcome = results["outcomes"][0]
    assert outcome["summary"] == shown
    assert outcome["restated"] == ["The mayor also announced a new football stadium for the city."]
    assert results["sentences_restated"] == 1 and results["sentences_left_out"] == 0
    expected = RougeL().f1(shown, articles[0].references)
    assert results["rouge_l"] == pytest.approx(expected) and 0 < expected < 1
    assert results["faithfulness"] == 1.0 and results["summaries_fully_supported"] == 1.0
    assert results["unchecked"]["faithfulness"] == pytest.approx(2 / 3)
    assert results["unchecked"]["rouge_l"] == pytest.approx(
        RougeL().f1(SUMMARY, articles[0].references)
    )
    assert results["summary_sentences"] == 2 and results["unchecked"]["summary_sentences"] == 3
    assert results["mean_words"] == len(shown.split())
    assert results["reference_faithfulness"] is not None
    assert 0 < results["lead_rouge_l"] < 1
    text = format_summaries(results)
    assert "ROUGE-L" in text and "method:" in text and "1 error(s)" in text
    assert "left out, as not clearly stated by it" in text


def test_eval_summaries_command(
    data: Path, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.app.compose
    from assistant.app.cli import main
    from assistant.llm.backends import Backend

    def fake_start_chat(
        settings: Settings, services: Services
    ) -> assistant.app.compose.ChatRuntime:
        chains = build_chains(FakeListChatModel(responses=[SUMMARY]), settings, services)
        return assistant.app.compose.ChatRuntime(
            Backend("configured", "http://fake", "fake"), chains
        )

    monkeypatch.setattr(assistant.app.compose, "start_chat", fake_start_chat)
    output = tmp_path / "results.json"
    result = CliRunner().invoke(
        main,
        ["eval", "summaries", "--data", str(data), "--json", "--output", str(output)],
        env={"ASSISTANT_CACHE_DIR": str(cache_dir), "ASSISTANT_LLM_URL": ""},
    )
    assert result.exit_code == 0, result.output
    assert "[1/1] article budget:" in result.output and "Faithfulness" in result.output
    figures = json.loads(output.read_text())
    assert figures["length"] == "brief" and figures["errors"] == 0
    assert figures["split"] == "all"
    only = CliRunner().invoke(
        main,
        ["eval", "summaries", "--data", str(data), "--split", "even"],
        env={"ASSISTANT_CACHE_DIR": str(cache_dir), "ASSISTANT_LLM_URL": ""},
    )
    expected = 1 if in_split("budget", "even") else 0
    assert only.exit_code == 0, only.output
    assert f"{expected} of {expected} articles summarized" in only.output
    assert figures["unchecked"]["faithfulness"] == pytest.approx(2 / 3)
