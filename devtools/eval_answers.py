"""``assistant eval answers``: are the answers right, cited and quick, end to end?

The data folder is a news-qa folder: ``corpus.jsonl`` (articles) and ``questions.jsonl``
(``id``, ``question``, ``date`` asked, ``choices``, ``answer``: the index of the right
choice, ``gold_ids``: the articles that answer it). Each question goes through the very
``QAChain.stream`` the app uses, as of the day it was asked. Beside it, two reference rows
on the same questions tell losses in retrieval from losses in reading:

- closed book: the model alone, asked the question with no passages;
- gold context: the same chain, reading the gold articles' passages most similar to the
  question, packed in the same budget.

Scoring (``eval_answer_scoring``) needs no model. One question that fails is counted as
wrong, never fatal.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from assistant.answer.attribution import attribute, support
from assistant.answer.context import CITATION
from assistant.answer.qa import QAChain
from assistant.errors import AssistantError, ConfigError
from assistant.index.store import ArticleStore
from assistant.search.retriever import Retriever, relevant
from assistant.types import Answer, Event, Filters, Passage, Retrieved, Token
from devtools.eval_answer_scoring import Outcome, named_choices, outcome
from devtools.eval_io import read_jsonl
from devtools.eval_retrieval import retrieved_articles
from devtools.stats import percentile

Row = Literal["pipeline", "closed book", "gold context"]
ROWS: tuple[Row, ...] = ("pipeline", "closed book", "gold context")
Split = Literal["odd", "even"]

_CLOSED_BOOK = ChatPromptTemplate.from_messages(
    [
        ("system", "You answer questions about the news in one short sentence."),
        ("human", "Today is {today}.\nQuestion: {question}"),
    ]
)


@dataclass(frozen=True)
class NewsQuestion:
    id: str
    text: str
    asked: date | None
    choices: tuple[str, ...]
    answer: int  # index into choices
    gold: frozenset[str]

    @property
    def number(self) -> int:
        """The number ending the id ("20220617_3" is 3): the odd / even split."""
        digits = re.search(r"(\d+)$", self.id)
        return int(digits.group(1)) if digits else 0

    def with_options(self) -> str:
        """The question as a reader who lists the options would type it."""
        options = "; ".join(f"({chr(65 + i)}) {c}" for i, c in enumerate(self.choices))
        return f"{self.text}\nOptions: {options}"


def load_news_questions(
    path: Path, limit: int | None = None, split: Split | None = None
) -> list[NewsQuestion]:
    questions: list[NewsQuestion] = []
    for lineno, record in read_jsonl(path, "questions"):
        try:
            choices = tuple(str(c) for c in record["choices"])
            answer = int(record["answer"])
            if not 0 <= answer < len(choices):
                raise ValueError(f"answer {answer} is not the index of one of the choices")
            asked = date.fromisoformat(record["date"]) if record.get("date") else None
            question = NewsQuestion(
                str(record["id"]),
                str(record["question"]),
                asked,
                choices,
                answer,
                frozenset(str(g) for g in record["gold_ids"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"{path}, line {lineno}: not a question record with id, question, date, "
                f"choices, answer and gold_ids ({exc})"
            ) from exc
        if split is None or question.number % 2 == (1 if split == "odd" else 0):
            questions.append(question)
    return questions[:limit] if limit is not None else questions


def gold_retriever(
    store: ArticleStore, embeddings: Embeddings, gold: frozenset[str]
) -> Callable[[str, Filters | None], list[Passage]]:
    """The gold articles' passages, most similar to the question first."""

    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        ids = [p.chunk_id for article in sorted(gold) for p in store.article_passages(article)]
        scored = store.passages_by_id(ids, embeddings.embed_query(query))
        return sorted(scored, key=lambda p: p.score, reverse=True)

    return retrieve


def closed_book_stream(llm: BaseChatModel, question: str, today: date) -> Iterator[Event]:
    """The model alone: the question and the date, no passages."""
    chain = _CLOSED_BOOK | llm | StrOutputParser()
    parts = []
    for piece in chain.stream({"today": today.isoformat(), "question": question}):
        parts.append(piece)
        yield Token(piece)
    text = "".join(parts).strip()
    yield Answer(text, [], [], None, text)


@dataclass
class QuestionResult:
    id: str
    row: Row
    outcome: Outcome
    named: list[int]
    gold: int
    answer: str = ""  # as shown
    written: str = ""  # as the model wrote it
    passages: list[str] = field(default_factory=list)  # article ids, in prompt order
    gold_in_prompt: bool = False
    first_token_s: float | None = None
    total_s: float = 0.0
    written_in_range: bool = True
    shown_in_range: bool = True
    sentences: int = 0  # sentences that need a source
    written_cited: int = 0  # of those, carrying a number the model wrote
    written_supported: int = 0  # of the cited, supported by a passage the model cited
    shown_cited: int = 0  # carrying a citation once checked
    shown_not_found: int = 0  # marked as not found in the sources
    error: str = ""


def _in_range(text: str, available: int) -> bool:
    return all(
        1 <= int(n) <= available
        for match in CITATION.finditer(text)
        for n in re.split(r"\s*[,;]\s*", match.group(1))
    )


def citation_figures(result: QuestionResult, answer: Answer) -> None:
    """Counts of the answer's sentences and citations, as written and as shown."""
    passages = answer.passages
    result.written_in_range = _in_range(answer.written, len(passages))
    result.shown_in_range = _in_range(answer.text, len(passages))
    attribution = answer.attribution or attribute(answer.written, passages)
    for sentence in attribution.sentences:
        if not sentence.needs_source:
            continue
        result.sentences += 1
        written = [n for n in sentence.written if 1 <= n <= len(passages)]
        if sentence.written:
            result.written_cited += 1
        if any(support(sentence.text, n, passages[n - 1]) for n in written):
            result.written_supported += 1
        result.shown_cited += bool(sentence.sources)
        result.shown_not_found += sentence.unsupported


def run_one(
    events: Iterator[Event], question: NewsQuestion, row: Row, by_letter: bool
) -> QuestionResult:
    result = QuestionResult(question.id, row, "wrong", [], question.answer)
    start = time.perf_counter()
    try:
        for event in events:
            if isinstance(event, Retrieved):
                result.passages = [p.article_id for p in event.passages]
                result.gold_in_prompt = any(a in question.gold for a in result.passages)
            elif isinstance(event, Token) and result.first_token_s is None:
                result.first_token_s = time.perf_counter() - start
            elif isinstance(event, Answer):
                result.total_s = time.perf_counter() - start
                result.answer, result.written = event.text, event.written or event.text
                result.named = named_choices(result.written, question.choices, by_letter)
                result.outcome = outcome(
                    result.written, question.choices, question.answer, by_letter
                )
                if event.passages:  # without passages (closed book) nothing can be cited
                    citation_figures(result, event)
    except AssistantError as exc:
        result.error = str(exc)
    except Exception as exc:  # one failure is counted, never fatal to the run
        result.error = f"{type(exc).__name__}: {exc}"
    if not result.total_s:
        result.total_s = time.perf_counter() - start
    return result


def _percentile(values: Sequence[float], q: float) -> float | None:
    # None rather than NaN: the figure goes into JSON, where NaN is not valid.
    return percentile(values, q) if values else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarize_row(results: Sequence[QuestionResult]) -> dict[str, Any]:
    n = len(results)
    first = [r.first_token_s for r in results if r.first_token_s is not None]
    total = [r.total_s for r in results if not r.error]
    sentences = sum(r.sentences for r in results)
    written_cited = sum(r.written_cited for r in results)
    return {
        "questions": n,
        "right": _share(sum(r.outcome == "right" for r in results), n),
        "wrong": _share(sum(r.outcome == "wrong" for r in results), n),
        "abstained": _share(sum(r.outcome == "abstained" for r in results), n),
        "errors": sum(bool(r.error) for r in results),
        "gold_in_prompt": _share(sum(r.gold_in_prompt for r in results), n),
        "written_in_range": _share(sum(r.written_in_range for r in results), n),
        "shown_in_range": _share(sum(r.shown_in_range for r in results), n),
        "sentences": sentences,
        "written_cited": _share(written_cited, sentences),
        "written_supported": _share(sum(r.written_supported for r in results), written_cited),
        "shown_cited": _share(sum(r.shown_cited for r in results), sentences),
        "shown_not_found": _share(sum(r.shown_not_found for r in results), sentences),
        "first_token_p50_s": _percentile(first, 50),
        "first_token_p95_s": _percentile(first, 95),
        "total_p50_s": _percentile(total, 50),
        "total_p95_s": _percentile(total, 95),
    }


def retrieval_hits(
    store: ArticleStore,
    embeddings: Embeddings,
    min_relevance: float,
    questions: Sequence[NewsQuestion],
) -> dict[str, float]:
    """Hit@4 and Hit@10 of the gold articles among the articles of the passages the app's
    retrieval returns (ten of them), above the relevance floor."""
    retriever = Retriever(store, embeddings, top_k=10)
    hits = {4: 0, 10: 0}
    for q in questions:
        found = relevant(retriever.retrieve(q.text, Filters(as_of=q.asked)), min_relevance)
        ranked = retrieved_articles(found)
        for k in hits:
            hits[k] += any(a in q.gold for a in ranked[:k])
    n = len(questions) or 1
    return {"hit@4": hits[4] / n, "hit@10": hits[10] / n}


def evaluate_answers(
    qa: Callable[[], QAChain],
    llm: Callable[[], BaseChatModel],
    store: ArticleStore,
    embeddings: Embeddings,
    questions: Sequence[NewsQuestion],
    rows: Sequence[Row] = ROWS,
    with_options: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Each question through each row; ``qa`` and ``llm`` give the current chain and
    model (a dead embedded server is restarted between questions)."""
    per_row: dict[Row, list[QuestionResult]] = {row: [] for row in rows}
    for i, q in enumerate(questions, start=1):
        text = q.with_options() if with_options else q.text
        asked = q.asked or date.today()
        for row in rows:
            if row == "pipeline":
                events = qa().stream(text, (), Filters(as_of=asked), today=asked)
            elif row == "gold context":
                gold = qa().over(gold_retriever(store, embeddings, q.gold), min_relevance=-1.0)
                events = gold.stream(text, (), Filters(as_of=asked), today=asked)
            else:
                events = closed_book_stream(llm(), text, asked)
            result = run_one(events, q, row, by_letter=with_options)
            per_row[row].append(result)
            first = f"{result.first_token_s:.1f}" if result.first_token_s is not None else "-"
            progress(
                f"[{i}/{len(questions)}] {q.id} {row}: {result.outcome}"
                f"{' (gold in prompt)' if result.gold_in_prompt else ''} "
                f"first token {first} s, {result.total_s:.1f} s"
                + (f" ERROR {result.error}" if result.error else "")
                + f" | {' '.join(result.written.split())[:160]}"
            )
    return {
        "questions": len(questions),
        "options_in_question": with_options,
        "rows": {row: summarize_row(results) for row, results in per_row.items()},
        "answers": [asdict(r) for results in per_row.values() for r in results],
    }


def _figure(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_answers(results: dict[str, Any]) -> str:
    lines = [
        f"{results['questions']} questions"
        + (" (options in the question)" if results["options_in_question"] else "")
        + (f", model {results['model']}" if results.get("model") else ""),
    ]
    if "retrieval" in results:
        r = results["retrieval"]
        lines.append(f"retrieval: Hit@4 {r['hit@4']:.3f}, Hit@10 {r['hit@10']:.3f}")
    header = (
        f"{'':14}{'right':>7}{'wrong':>7}{'abst.':>7}{'gold in':>9}"
        f"{'1st tok p50/p95':>17}{'total p50/p95':>16}{'errors':>8}"
    )
    lines.append(header)
    for row, s in results["rows"].items():
        lines.append(
            f"{row:14}{_figure(s['right']):>7}{_figure(s['wrong']):>7}"
            f"{_figure(s['abstained']):>7}{_figure(s['gold_in_prompt']):>9}"
            f"{_figure(s['first_token_p50_s'], 1):>10}/{_figure(s['first_token_p95_s'], 1):<6}"
            f"{_figure(s['total_p50_s'], 1):>9}/{_figure(s['total_p95_s'], 1):<6}"
            f"{s['errors']:>8}"
        )
    lines.append("citations (as the model wrote them -> as shown):")
    for row, s in results["rows"].items():
        if not s["sentences"]:
            continue
        lines.append(
            f"  {row}: answers with every [n] in range {_figure(s['written_in_range'])} -> "
            f"{_figure(s['shown_in_range'])}; sentences cited {_figure(s['written_cited'])} "
            f"-> {_figure(s['shown_cited'])}; cited sentences supported by a cited passage "
            f"{_figure(s['written_supported'])}; sentences marked not found "
            f"{_figure(s['shown_not_found'])} (of {s['sentences']})"
        )
    return "\n".join(lines)
