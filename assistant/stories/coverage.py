"""Coverage of a story across outlets: what each outlet reports, the facts on which they
agree, and those on which they disagree.

Each outlet's report is its articles' most salient sentences, word for word. Agreement and
disagreement are found with the fact-check judge (:mod:`assistant.answer.factcheck`) over
pairs of sentences from different outlets: each sentence of a pair is put to the judge as
a claim, with the other as its evidence, both ways, and the two stances are weighed as a
fact check weighs its passages (:mod:`assistant.answer.weighing`). Only pairs that speak
of the same thing are asked about: sentences sharing the judge's share of content words,
and first those giving different figures for the same kind of quantity ("42 killed" and
"17 dead"). A pair is shown as CONFLICTING only when the judge refutes it and the figures
differ, and as agreeing only when the judge supports it; both quotes are checked against
the stored text of their articles.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

from assistant.answer.excerpts import Excerpt, evidence_excerpt
from assistant.answer.factcheck import FactCheckChain, Judgement
from assistant.answer.key_sentences import key_sentences
from assistant.answer.quotes import quote_in
from assistant.answer.stance import NO_MARGIN, REFUTE_LIFT, Thresholds
from assistant.answer.weighing import weigh
from assistant.errors import AssistantError
from assistant.index.keywords import query_terms
from assistant.stories.figures import Figure, differing_figures, figures
from assistant.stories.lookup import OpenStory
from assistant.stories.timeline import PassagesOf, TimelineSource, article_sentences
from assistant.types import Passage

# Pairs of sentences put to the judge for one story; each costs two judgements (about
# 0.5 s each for the bundled model on 2 cores), so a coverage shows within seconds.
MAX_COMPARED = 6
# Sentences (and words) of each outlet's report.
REPORT_SENTENCES = 3
REPORT_WORDS = 90
MIN_WORDS = 6
# The lift both answers need when outlets are compared. A fact check asks whether
# evidence settles a claim, and support needs less lift than refutation there; comparing
# two outlets asks which way one's sentence moves the judge on the other's, so both
# answers need the same lift (the fact check's lift for a refutation). On the crafted
# pairs of `assistant eval coverage-pairs` (events other than the tests'), the bundled
# 0.5B model flagged 7 of 8 pairs of different figures with this, 1 of 8 with the fact
# check's thresholds; 3 of 4 pairs of the same figure agreed with either. The lift alone
# decides: the fact check's margins were chosen on claims, not on pairs of reports.
COMPARISON_LIFT = REFUTE_LIFT
COMPARISON = Thresholds(COMPARISON_LIFT, COMPARISON_LIFT, NO_MARGIN, NO_MARGIN)

# The share of each other's content words two outlets' sentences need to be compared
# (and the judge to be asked): the fact check's gate when the lift above was chosen.
PAIR_OVERLAP = 0.4

JudgePassage = Callable[[str, Passage, Excerpt | None], Judgement]
Reading = Literal["AGREE", "CONFLICTING", "NOT SETTLED"]
UNNAMED_OUTLET = "(outlet not named)"


@dataclass(frozen=True)
class OutletSentence:
    outlet: str
    text: str
    source: TimelineSource  # the article it is from
    passage: Passage  # the stored passage holding it, word for word
    terms: frozenset[str]
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class OutletReport:
    outlet: str
    articles: int
    sentences: list[OutletSentence]  # its most salient, in reading order


@dataclass(frozen=True)
class Pair:
    """Two sentences of different outlets that speak of the same thing."""

    first: OutletSentence
    second: OutletSentence
    overlap: float  # the smaller share of either's content words in the other
    differ: tuple[tuple[str, str, str], ...]  # (kind, first's value, second's value)


@dataclass(frozen=True)
class ComparedFact:
    pair: Pair
    reading: Reading
    judgements: tuple[Judgement, Judgement]  # first judged on second, second on first
    verified: bool  # both sentences found word for word in their stored articles


@dataclass(frozen=True)
class Coverage:
    headline: str
    span: str
    outlets: list[OutletReport]
    facts: list[ComparedFact]
    sources: list[TimelineSource]
    notes: list[str] = field(default_factory=list)
    pending: int = 0  # pairs still being judged

    @property
    def agreed(self) -> list[ComparedFact]:
        return [f for f in self.facts if f.reading == "AGREE"]

    @property
    def disagreed(self) -> list[ComparedFact]:
        return [f for f in self.facts if f.reading == "CONFLICTING"]


# One comparing chain per fact-check chain, so the judge's bias is asked once per model.
_COMPARING: weakref.WeakKeyDictionary[FactCheckChain, FactCheckChain] = weakref.WeakKeyDictionary()


def comparison_judge(factcheck: FactCheckChain) -> JudgePassage:
    """The fact check's judging of one passage (same model, prompt, and rules for quotes
    and plans), with one lift for both answers, as comparing outlets needs."""
    chain = _COMPARING.get(factcheck)
    if chain is None:
        chain = copy.copy(factcheck)
        chain.judge = factcheck.judge.with_thresholds(COMPARISON)
        chain.min_overlap = PAIR_OVERLAP
        _COMPARING[factcheck] = chain
    return chain.judge_passage


def _is_prose(sentence: str) -> bool:
    return len(sentence.split()) >= MIN_WORDS and sentence.rstrip("\"”’')]").endswith(
        (".", "!", "?")
    )


def _outlet_sentences(
    outlet: str, source: TimelineSource, passages: Sequence[Passage]
) -> list[OutletSentence]:
    found = []
    for sentence in article_sentences(passages):
        holder = next((p for p in passages if quote_in(sentence, p.text)), None)
        if holder is None or not _is_prose(sentence):
            continue  # what cannot be quoted from the stored text is never shown
        terms = frozenset(query_terms(sentence))
        found.append(
            OutletSentence(outlet, sentence, source, holder, terms, tuple(figures(sentence)))
        )
    return found


def read_outlets(
    opened: OpenStory, passages_of: PassagesOf
) -> tuple[dict[str, list[OutletSentence]], list[TimelineSource]]:
    """Every quotable sentence of the story's articles, by outlet (syndicated copies left
    out: they repeat their original), and the articles as numbered sources."""
    by_outlet: dict[str, list[OutletSentence]] = {}
    sources: list[TimelineSource] = []
    for member in opened.originals:
        passages = passages_of(member.article_id)
        if not passages:
            continue
        outlet = member.source or UNNAMED_OUTLET
        source = TimelineSource(
            len(sources) + 1,
            member.article_id,
            member.title,
            member.published,
            member.source,
            passages[0].url,
        )
        sources.append(source)
        by_outlet.setdefault(outlet, []).extend(_outlet_sentences(outlet, source, passages))
    return by_outlet, sources


def outlet_report(outlet: str, sentences: list[OutletSentence]) -> OutletReport:
    """An outlet's most salient sentences across its articles."""
    chosen = set(
        key_sentences("\n".join(s.text for s in sentences), REPORT_SENTENCES, REPORT_WORDS)
    )
    picked = list({s.text: s for s in sentences if s.text in chosen}.values())
    picked = picked or sentences[:1]
    articles = len({s.source.number for s in sentences})
    return OutletReport(outlet, articles, picked)


def _share(wanted: frozenset[str], other: frozenset[str]) -> float:
    return len(wanted & other) / (len(wanted) or 1)


def candidate_pairs(
    by_outlet: dict[str, list[OutletSentence]], min_overlap: float = PAIR_OVERLAP
) -> list[Pair]:
    """Pairs of sentences of different outlets, each holding at least ``min_overlap`` of
    the other's content words (what the judge needs to be asked at all): first those with
    different figures for the same kind of quantity, then by the words they share."""
    pairs = []
    for first_outlet, second_outlet in combinations(by_outlet, 2):
        for a in by_outlet[first_outlet]:
            for b in by_outlet[second_outlet]:
                overlap = min(_share(a.terms, b.terms), _share(b.terms, a.terms))
                if overlap >= min_overlap:
                    differ = tuple(differing_figures(list(a.figures), list(b.figures)))
                    pairs.append(Pair(a, b, overlap, differ))
    return sorted(pairs, key=lambda p: (not p.differ, -p.overlap))


def choose_pairs(pairs: Sequence[Pair], limit: int = MAX_COMPARED) -> list[Pair]:
    """The best pairs, each sentence compared once with each other outlet."""
    used: set[tuple[str, str]] = set()
    chosen = []
    for pair in pairs:
        keys = {(pair.first.text, pair.second.outlet), (pair.second.text, pair.first.outlet)}
        if keys & used:
            continue
        used |= keys
        chosen.append(pair)
        if len(chosen) == limit:
            break
    return chosen


def reading_of(pair: Pair, judgements: Sequence[Judgement]) -> Reading:
    """What the judge's two readings of a pair make of it, weighed as a fact check weighs
    its passages. Different figures the judge refutes conflict; anything it supports,
    with no figure differing, agrees; the rest is not settled."""
    sided = [(j.stance, j.strength) for j in judgements if j.stance != "unclear" and j.verified]
    verdict = weigh(sided)
    if verdict == "REFUTED" and pair.differ:
        return "CONFLICTING"
    if verdict == "SUPPORTED" and not pair.differ:
        return "AGREE"
    return "NOT SETTLED"


def compare_pair(pair: Pair, judge: JudgePassage) -> ComparedFact:
    a, b = pair.first, pair.second
    forward = judge(a.text, b.passage, evidence_excerpt(a.text, b.text))
    backward = judge(b.text, a.passage, evidence_excerpt(b.text, a.text))
    verified = quote_in(a.text, a.passage.text) and quote_in(b.text, b.passage.text)
    reading = reading_of(pair, (forward, backward)) if verified else "NOT SETTLED"
    return ComparedFact(pair, reading, (forward, backward), verified)


def require_outlets(opened: OpenStory) -> None:
    """A story whose articles (syndicated copies aside) come from one outlet has no
    coverage to compare: say so, before any model is started."""
    outlets = list(dict.fromkeys(m.source or UNNAMED_OUTLET for m in opened.originals))
    if len(outlets) >= 2:
        return
    story = opened.story
    copies = len(opened.members) - len(opened.originals)
    also = f"; {copies} syndicated copy/copies repeat its articles" if copies else ""
    raise AssistantError(
        f"Story {story.id} ({story.headline!r}) has articles from one outlet only "
        f"({', '.join(outlets)}{also}): coverage compares two outlets or more. Choose a "
        "story listing two outlets or more (assistant stories)."
    )


def coverage_steps(
    opened: OpenStory,
    passages_of: PassagesOf,
    judge: JudgePassage,
    limit: int = MAX_COMPARED,
) -> Iterator[Coverage]:
    """The coverage of a story of two outlets or more: first each outlet's report, with
    the pairs still to judge as ``pending``, then again after each pair is judged (each
    takes two judgements, so a reader sees the reports at once)."""
    require_outlets(opened)
    by_outlet, sources = read_outlets(opened, passages_of)
    story = opened.story
    if len(by_outlet) < 2:
        raise AssistantError(
            f"Story {story.id} ({story.headline!r}): only one outlet's articles have stored "
            "text, and coverage compares two outlets or more. Ingest the articles again."
        )
    reports = [outlet_report(outlet, found) for outlet, found in by_outlet.items()]
    pairs = choose_pairs(candidate_pairs(by_outlet), limit)
    facts: list[ComparedFact] = []
    yield Coverage(story.headline, story.span, reports, [], sources, pending=len(pairs))
    for done, pair in enumerate(pairs, start=1):
        facts.append(compare_pair(pair, judge))
        if done < len(pairs):
            yield Coverage(
                story.headline, story.span, reports, list(facts), sources, pending=len(pairs) - done
            )
    unsettled = sum(f.reading == "NOT SETTLED" for f in facts)
    note = (
        f"{len(facts)} pair(s) of sentences from different outlets compared by the "
        f"fact-check judge; {unsettled} not settled."
        if facts
        else "No two outlets' sentences share enough words to be compared."
    )
    yield Coverage(story.headline, story.span, reports, facts, sources, [note])


def build_coverage(
    opened: OpenStory,
    passages_of: PassagesOf,
    judge: JudgePassage,
    limit: int = MAX_COMPARED,
) -> Coverage:
    """The whole coverage of a story, once every pair is judged."""
    *_, last = coverage_steps(opened, passages_of, judge, limit)
    return last


def _quoted(sentence: OutletSentence) -> str:
    return f'{sentence.outlet} [{sentence.source.number}]: "{sentence.text}"'


def _figures_apart(pair: Pair) -> str:
    return "; ".join(f"{kind}: {mine} vs {theirs}" for kind, mine, theirs in pair.differ)


def coverage_lines(coverage: Coverage) -> Iterator[str]:
    """The coverage as plain text: each outlet's report, the agreements, the conflicts,
    then the sources."""
    yield from report_lines(coverage)
    yield from comparison_lines(coverage)


def report_lines(coverage: Coverage) -> Iterator[str]:
    """The heading and what each outlet reports."""
    yield f"Coverage: {coverage.headline} ({coverage.span}; {len(coverage.outlets)} outlets)"
    yield ""
    yield "What each outlet reports"
    for report in coverage.outlets:
        yield f"  {report.outlet} ({report.articles} article(s)):"
        for sentence in report.sentences:
            yield f"    - {sentence.text} [{sentence.source.number}]"
    yield ""


def comparison_lines(coverage: Coverage) -> Iterator[str]:
    """The agreements, the conflicts, then the sources."""
    yield f"Where they agree ({len(coverage.agreed)})"
    for fact in coverage.agreed:
        yield f"  AGREE  {_quoted(fact.pair.first)}"
        yield f"         {_quoted(fact.pair.second)}"
    yield ""
    yield f"Where they disagree ({len(coverage.disagreed)})"
    if not coverage.disagreed:
        yield "  No conflict found among the sentences compared."
    for fact in coverage.disagreed:
        yield f"  CONFLICTING ({_figures_apart(fact.pair)})"
        yield f"    {_quoted(fact.pair.first)}"
        yield f"    {_quoted(fact.pair.second)}"
    yield ""
    yield from coverage.notes
    yield ""
    for source in coverage.sources:
        yield source.cite()
