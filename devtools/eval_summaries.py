"""``assistant eval summaries``: article summaries against human references.

The data folder holds ``articles.jsonl`` (``id``, ``text``, ``references``: human
summaries). Each article is summarized whole by the summarize chain, as ``assistant
summarize ID`` does, and scored by:

- ROUGE-L F1 (the ``rouge-score`` package, Porter stemming), the best over the article's
  references, then the mean over articles;
- faithfulness without a model judge: the share of summary sentences supported by the
  article, each by one article sentence or two adjacent ones (``FaithfulnessJudge``);
- facts: the share of summaries whose every number and name occurs in the article.

The human references are judged the same way, to show how strict the judge is, and a lead
baseline (the article's first sentences, as many words as the references) puts ROUGE-L in
scale.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from assistant.answer.summary_check import CheckNote, Omitted, Restated
from assistant.answer.summary_facts import (
    Facts,
    SourceFacts,
    split_sentences,
)
from assistant.answer.summary_support import METHOD, FaithfulnessJudge, SentenceSupport
from assistant.errors import ConfigError
from assistant.index.store import ArticleStore
from assistant.ingest.sync import SyncReport, ingest_paths
from assistant.types import Answer, Event, Length, Progress, Token

# One rule for the halves of every benchmark: the one the claims use.
from devtools.eval_claims import Split, in_split
from devtools.eval_io import read_jsonl


class ArticleSummarizer(Protocol):
    """What is measured: a SummarizeChain, or something that hands each article to one."""

    def article(self, article_id: str, length: Length = "brief") -> Iterator[Event | CheckNote]: ...


@dataclass(frozen=True)
class ReferenceArticle:
    id: str
    text: str
    references: tuple[str, ...]


def load_articles(
    path: Path, limit: int | None = None, split: Split | None = None
) -> list[ReferenceArticle]:
    """The articles of ``split`` (both halves when None), the first ``limit`` of them."""
    articles: list[ReferenceArticle] = []
    for lineno, record in read_jsonl(path, "articles with reference summaries"):
        if limit is not None and len(articles) >= limit:
            break
        if isinstance(record, dict) and not in_split(str(record.get("id")), split):
            continue
        try:
            references = tuple(str(r) for r in record["references"] if str(r).strip())
            if not references:
                raise ValueError("no reference summary")
            articles.append(ReferenceArticle(str(record["id"]), str(record["text"]), references))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}, line {lineno}: not an article record ({exc})") from exc
    return articles


def ingest_articles(
    store: ArticleStore,
    data_dir: Path,
    max_file_mb: float,
    progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """The articles go into the store under their own ids (the loader derives titles)."""
    path = data_dir / "articles.jsonl"
    if not path.is_file():
        raise ConfigError(f"{path} is missing: the data folder needs articles.jsonl.")
    return ingest_paths(store, [path], max_file_mb, progress)


# ---- ROUGE-L ------------------------------------------------------------------------


class RougeL:
    """ROUGE-L F1 (``rouge-score``, Porter stemming) of a text against its best reference."""

    def __init__(self) -> None:
        from rouge_score import rouge_scorer

        self._scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)

    def f1(self, summary: str, references: Sequence[str]) -> float:
        if not references:
            raise ValueError("ROUGE-L needs at least one reference")
        return max(self._scorer.score(ref, summary)["rougeL"].fmeasure for ref in references)


def lead(text: str, n_words: int) -> str:
    """The article's first sentences, up to about ``n_words`` words."""
    chosen: list[str] = []
    count = 0
    for sentence in split_sentences(text):
        if count >= n_words:
            break
        chosen.append(sentence)
        count += len(sentence.split())
    return " ".join(chosen)


# ---- running ------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryOutcome:
    id: str
    seconds: float
    summary: str = ""
    rouge_l: float = 0.0
    words: int = 0
    sentences: list[SentenceSupport] = field(default_factory=list)
    # Numbers and names of the summary that occur nowhere in the article.
    unknown_facts: str = ""
    # Sentences the product's check left out, and the same figures without the checks.
    left_out: list[str] = field(default_factory=list)
    unchecked_rouge_l: float = 0.0
    unchecked_supported: int = 0
    unchecked_sentences: int = 0
    unchecked_facts_in_article: bool = True
    error: str = ""
    # Sentences the article does not clearly state, given in its own words or left out.
    restated: list[str] = field(default_factory=list)

    @property
    def supported(self) -> int:
        return sum(s.supported for s in self.sentences)


def unknown_facts(summary: str, article: str) -> str:
    """The numbers and names of a summary that the article nowhere states."""
    source = SourceFacts(article)
    missing = [source.missing(sentence) for sentence in split_sentences(summary)]
    return str(
        Facts(
            frozenset().union(*(m.numbers for m in missing)),
            frozenset().union(*(m.names for m in missing)),
        )
    )


@dataclass(frozen=True)
class Summary:
    text: str  # what the reader is given
    unchecked: str  # the model's summary as it wrote it, before the check changed any
    left_out: list[str]  # for a number or name the article does not state
    restated: list[str] = field(default_factory=list)  # not clearly stated by the article


def summarize_one(chain: ArticleSummarizer, article_id: str, length: Length) -> Summary:
    answer = None
    unchecked: list[str] = []
    left_out: list[str] = []
    restated: list[str] = []
    model_writing = True
    replacement = False  # the next token is the article's words for a restated sentence
    for event in chain.article(article_id, length):
        if isinstance(event, Answer):
            answer = event
        elif isinstance(event, Token) and model_writing and not replacement:
            unchecked.append(event.text)
        elif isinstance(event, Token):
            replacement = False
        elif isinstance(event, Omitted):
            unchecked.append(f" {event.sentence}")
            left_out.append(event.sentence)
            replacement = bool(event.text)
        elif isinstance(event, Restated):
            unchecked.append(f" {event.sentence}")
            restated.append(event.sentence)
            replacement = bool(event.text)
        elif isinstance(event, Progress) and (left_out or restated):
            model_writing = False  # what follows stands in for a summary wholly left out
    if answer is None:
        raise RuntimeError("the chain gave no answer")
    return Summary(answer.text, "".join(unchecked).strip(), left_out, restated)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def progress_line(number: int, total: int, outcome: SummaryOutcome) -> str:
    head = f"[{number}/{total}] article {outcome.id}:"
    if outcome.error:
        return f"{head} ERROR {outcome.error} ({outcome.seconds:.1f} s)"
    return (
        f"{head} ROUGE-L {outcome.rouge_l:.3f}, {outcome.supported}/{len(outcome.sentences)} "
        f"sentences supported, {outcome.words} words, {len(outcome.left_out)} left out, "
        f"{len(outcome.restated)} restated "
        f"(unchecked: ROUGE-L {outcome.unchecked_rouge_l:.3f}, "
        f"{outcome.unchecked_supported}/{outcome.unchecked_sentences} supported), "
        f"{outcome.seconds:.1f} s"
    )


def evaluate_summaries(
    chain: ArticleSummarizer,
    articles: Sequence[ReferenceArticle],
    judge: FaithfulnessJudge,
    length: Length = "brief",
    progress: Callable[[str], None] | None = None,
    rouge: RougeL | None = None,
) -> dict[str, Any]:
    """Summarize each article (already in the chain's store under its id) and score it."""
    rouge = rouge or RougeL()
    outcomes = []
    for number, article in enumerate(articles, start=1):
        start = time.perf_counter()
        try:
            result = summarize_one(chain, article.id, length)
        except Exception as exc:  # one bad article must not end a long run
            outcome = SummaryOutcome(
                article.id, time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}"
            )
        else:
            seconds = time.perf_counter() - start
            summary = result.text
            unchecked = judge.judge(result.unchecked, article.text)
            outcome = SummaryOutcome(
                article.id,
                seconds,
                summary,
                rouge.f1(summary, article.references),
                len(summary.split()),
                judge.judge(summary, article.text),
                unknown_facts(summary, article.text),
                result.left_out,
                rouge.f1(result.unchecked, article.references),
                sum(s.supported for s in unchecked),
                len(unchecked),
                not unknown_facts(result.unchecked, article.text),
                restated=result.restated,
            )
        outcomes.append(outcome)
        if progress is not None:
            progress(progress_line(number, len(articles), outcome))
    return score_summaries(outcomes, articles, judge, rouge)


def score_summaries(
    outcomes: Sequence[SummaryOutcome],
    articles: Sequence[ReferenceArticle],
    judge: FaithfulnessJudge,
    rouge: RougeL,
) -> dict[str, Any]:
    done = [o for o in outcomes if not o.error]
    sentences = [s for o in done for s in o.sentences]
    by_id = {a.id: a for a in articles}
    # The references judged like the summaries: a faithful human summary the judge rejects
    # shows how strict the judge is.
    reference_support = [
        s.supported
        for o in done
        for ref in by_id[o.id].references
        for s in judge.judge(ref, by_id[o.id].text)
    ]
    lead_scores = []
    for o in done:
        article = by_id[o.id]
        n_words = round(sum(len(r.split()) for r in article.references) / len(article.references))
        lead_scores.append(rouge.f1(lead(article.text, n_words), article.references))
    seconds = [o.seconds for o in outcomes]
    return {
        "articles": len(outcomes),
        "scored": len(done),
        "errors": len(outcomes) - len(done),
        "rouge_l": _mean([o.rouge_l for o in done]),
        "lead_rouge_l": _mean(lead_scores),
        "faithfulness": (sum(s.supported for s in sentences) / len(sentences))
        if sentences
        else None,
        "summary_sentences": len(sentences),
        "summaries_fully_supported": _mean(
            [float(o.supported == len(o.sentences)) for o in done if o.sentences]
        ),
        "reference_faithfulness": _mean([float(s) for s in reference_support]),
        "summaries_facts_in_article": _mean([float(not o.unknown_facts) for o in done]),
        "sentences_left_out": sum(len(o.left_out) for o in done),
        "sentences_restated": sum(len(o.restated) for o in done),
        "unchecked": {
            "rouge_l": _mean([o.unchecked_rouge_l for o in done]),
            "faithfulness": _ratio(
                sum(o.unchecked_supported for o in done),
                sum(o.unchecked_sentences for o in done),
            ),
            "summary_sentences": sum(o.unchecked_sentences for o in done),
            "summaries_facts_in_article": _mean(
                [float(o.unchecked_facts_in_article) for o in done]
            ),
        },
        "faithfulness_method": METHOD,
        "mean_words": _mean([float(o.words) for o in done]),
        "seconds_per_article": _mean(seconds) or 0.0,
        "seconds_total": sum(seconds),
        "outcomes": [asdict(o) for o in outcomes],
    }


def _figure(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_summaries(results: dict[str, Any]) -> str:
    unchecked = results["unchecked"]
    return "\n".join(
        [
            f"{results['scored']} of {results['articles']} articles summarized, "
            f"{results['errors']} error(s); {results['seconds_per_article']:.1f} s per article",
            "",
            f"ROUGE-L F1 (best reference, mean): {_figure(results['rouge_l'])} "
            f"(lead baseline, first sentences: {_figure(results['lead_rouge_l'])})",
            f"Faithfulness: {_figure(results['faithfulness'])} of "
            f"{results['summary_sentences']} summary sentences supported; "
            f"{_figure(results['summaries_fully_supported'])} of summaries wholly supported "
            f"(human references: {_figure(results['reference_faithfulness'])})",
            f"  method: {results['faithfulness_method']}",
            f"Every number and name found in the article: "
            f"{_figure(results['summaries_facts_in_article'])} of summaries",
            f"Left out by the check of names and numbers: {results['sentences_left_out']} "
            f"sentence(s); given in the article's own words, or left out, as not clearly "
            f"stated by it (the same rule as the faithfulness figure, so that figure counts "
            f"them supported): {results.get('sentences_restated', 0)} sentence(s)",
            f"The model's summaries as written, without either check: ROUGE-L "
            f"{_figure(unchecked['rouge_l'])}, "
            f"{_figure(unchecked['faithfulness'])} of {unchecked['summary_sentences']} "
            f"sentences supported, every number and name in the article in "
            f"{_figure(unchecked['summaries_facts_in_article'])} of summaries",
            f"Mean summary length: {_figure(results['mean_words'], 1)} words",
        ]
    )
