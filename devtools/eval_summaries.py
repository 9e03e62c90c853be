"""``assistant eval summaries``: article summaries against human references.

The data folder holds ``articles.jsonl`` (``id``, ``text``, ``references``: human
summaries). Each article is summarized whole by the summarize chain, as ``assistant
summarize ID`` does, and scored by:

- ROUGE-L F1 (the ``rouge-score`` package, Porter stemming), the best over the article's
  references, then the mean over articles;
- faithfulness without a model judge: the share of summary sentences supported by the
  article, a sentence being supported when its best cosine similarity to an article sentence
  (the bundled MiniLM) reaches ``COSINE_THRESHOLD``, or when at least ``OVERLAP_THRESHOLD`` of
  its content words (lowercased, stopwords left out) occur in the article.

The human references are judged the same way, to show how strict the judge is, and a lead
baseline (the article's first sentences, as many words as the references) puts ROUGE-L in
scale.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError
from assistant.index.keywords import STOPWORDS
from assistant.index.store import ArticleStore
from assistant.ingest.sync import SyncReport, ingest_paths
from assistant.text import sentences
from assistant.types import Answer, Event, Length
from devtools.eval_io import read_jsonl

COSINE_THRESHOLD = 0.75
OVERLAP_THRESHOLD = 0.8
METHOD = (
    f"a summary sentence is supported when its best cosine similarity (MiniLM) to an "
    f"article sentence is >= {COSINE_THRESHOLD} or >= {OVERLAP_THRESHOLD:.0%} of its content "
    "words (lowercased, stopwords removed) occur in the article"
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


class ArticleSummarizer(Protocol):
    """What is measured: a SummarizeChain, or something that hands each article to one."""

    def article(self, article_id: str, length: Length = "brief") -> Iterator[Event]: ...


@dataclass(frozen=True)
class ReferenceArticle:
    id: str
    text: str
    references: tuple[str, ...]


def load_articles(path: Path, limit: int | None = None) -> list[ReferenceArticle]:
    articles: list[ReferenceArticle] = []
    for lineno, record in read_jsonl(path, "articles with reference summaries"):
        if limit is not None and len(articles) >= limit:
            break
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


# ---- text ---------------------------------------------------------------------------


def split_sentences(text: str) -> list[str]:
    """Sentences, bullet points and lines; bullet marks removed."""
    unbulleted = "\n".join(_BULLET.sub("", line) for line in text.splitlines())
    return [s for s in sentences(unbulleted) if _WORD.search(s)]


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


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


# ---- faithfulness -------------------------------------------------------------------


@dataclass(frozen=True)
class SentenceSupport:
    sentence: str
    supported: bool
    cosine: float  # best similarity to an article sentence
    overlap: float  # share of the content words found in the article
    closest: str  # the most similar article sentence


def embed_texts(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """Unit-length rows; the bundled MiniLM's array path when there is one."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    embed_array = getattr(embeddings, "embed_array", None)
    if callable(embed_array):
        return np.asarray(embed_array(texts), dtype=np.float32)
    rows = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    return rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12, None)


class FaithfulnessJudge:
    """Is each sentence of a summary backed by the article? No language model involved."""

    def __init__(
        self,
        embeddings: Embeddings,
        cosine_threshold: float = COSINE_THRESHOLD,
        overlap_threshold: float = OVERLAP_THRESHOLD,
    ) -> None:
        self.embeddings = embeddings
        self.cosine_threshold = cosine_threshold
        self.overlap_threshold = overlap_threshold

    def judge(self, summary: str, article: str) -> list[SentenceSupport]:
        sentences = split_sentences(summary)
        source = split_sentences(article)
        if not sentences:
            return []
        vectors = embed_texts(self.embeddings, sentences + source)
        similarity = (
            vectors[: len(sentences)] @ vectors[len(sentences) :].T
            if source
            else np.zeros((len(sentences), 0))
        )
        vocabulary = set(words(article))
        judged = []
        for row, sentence in enumerate(sentences):
            best = int(similarity[row].argmax()) if source else -1
            cosine = float(similarity[row, best]) if source else 0.0
            wanted = content_words(sentence)
            # A sentence of stopwords alone says nothing the words could check.
            overlap = sum(w in vocabulary for w in wanted) / len(wanted) if wanted else 0.0
            judged.append(
                SentenceSupport(
                    sentence,
                    cosine >= self.cosine_threshold or overlap >= self.overlap_threshold,
                    cosine,
                    overlap,
                    source[best] if source else "",
                )
            )
        return judged


# ---- running ------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryOutcome:
    id: str
    seconds: float
    summary: str = ""
    rouge_l: float = 0.0
    words: int = 0
    sentences: list[SentenceSupport] = field(default_factory=list)
    error: str = ""

    @property
    def supported(self) -> int:
        return sum(s.supported for s in self.sentences)


def summarize_one(chain: ArticleSummarizer, article_id: str, length: Length) -> str:
    answer = None
    for event in chain.article(article_id, length):
        if isinstance(event, Answer):
            answer = event
    if answer is None:
        raise RuntimeError("the chain gave no answer")
    return answer.text


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def progress_line(number: int, total: int, outcome: SummaryOutcome) -> str:
    head = f"[{number}/{total}] article {outcome.id}:"
    if outcome.error:
        return f"{head} ERROR {outcome.error} ({outcome.seconds:.1f} s)"
    return (
        f"{head} ROUGE-L {outcome.rouge_l:.3f}, {outcome.supported}/{len(outcome.sentences)} "
        f"sentences supported, {outcome.words} words, {outcome.seconds:.1f} s"
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
            summary = summarize_one(chain, article.id, length)
        except Exception as exc:  # one bad article must not end a long run
            outcome = SummaryOutcome(
                article.id, time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}"
            )
        else:
            seconds = time.perf_counter() - start
            outcome = SummaryOutcome(
                article.id,
                seconds,
                summary,
                rouge.f1(summary, article.references),
                len(summary.split()),
                judge.judge(summary, article.text),
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
        "faithfulness_method": METHOD,
        "mean_words": _mean([float(o.words) for o in done]),
        "seconds_per_article": _mean(seconds) or 0.0,
        "seconds_total": sum(seconds),
        "outcomes": [asdict(o) for o in outcomes],
    }


def _figure(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_summaries(results: dict[str, Any]) -> str:
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
            f"Mean summary length: {_figure(results['mean_words'], 1)} words",
        ]
    )
