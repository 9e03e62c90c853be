"""How the fact-check judge reads two outlets' figures: ``assistant eval coverage-pairs``.

Crafted sentence pairs about one event each, reporting the same figure or different ones,
are compared as ``assistant coverage`` compares outlets (both ways, weighed), once with
the fact check's own thresholds and once with the one lift coverage uses. These pairs
chose that lift; the end-to-end tests use other events (tests/test_e2e_coverage.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from assistant.answer.stance import FACT_CHECK
from assistant.config import Settings
from assistant.stories.coverage import (
    COMPARISON_LIFT,
    JudgePassage,
    OutletSentence,
    Pair,
    compare_pair,
    comparison_judge,
)
from assistant.stories.figures import differing_figures, figures
from assistant.stories.timeline import TimelineSource
from assistant.types import Passage

SENTENCES = {
    "A": "At least 42 people were killed when the dam burst near Derna on Sunday.",
    "B": "The dam collapse near Derna on Sunday left 17 people dead, officials said.",
    "C": "Officials said the death toll from the Derna dam collapse rose to 42.",
    "D": "The storm killed 12 people across the province, police said.",
    "E": "Police said 30 people died when the storm hit the province.",
    "F": "Twelve people were killed by the storm in the province, according to police.",
    "G": "The fire at the Lagos market killed 9 traders on Tuesday.",
    "H": "Nine traders died in Tuesday's fire at the Lagos market, witnesses said.",
    "I": "At least 25 traders were killed in the Lagos market fire on Tuesday.",
    "J": "The earthquake injured 45 people in the town of Amatrice, rescuers said.",
    "K": "Rescuers in Amatrice said 45 people were injured by the earthquake.",
    "L": "Rescuers in Amatrice said 80 people were injured by the earthquake.",
}
PAIRS = ["AB", "AC", "BC", "DE", "DF", "EF", "GH", "GI", "HI", "JK", "JL", "KL"]


def _sentence(key: str, number: int) -> OutletSentence:
    text = SENTENCES[key]
    passage = Passage(key, key, 0, text, key, "2023-01-01", f"outlet-{key}", "")
    source = TimelineSource(number, key, key, "2023-01-01", f"outlet-{key}", "")
    terms = frozenset(text.lower().split())
    return OutletSentence(f"outlet-{key}", text, source, passage, terms, tuple(figures(text)))


def labelled_pairs() -> list[Pair]:
    pairs = []
    for keys in PAIRS:
        a, b = _sentence(keys[0], 1), _sentence(keys[1], 2)
        differ = tuple(differing_figures(list(a.figures), list(b.figures)))
        pairs.append(Pair(a, b, 1.0, differ))
    return pairs


def evaluate(judges: dict[str, JudgePassage]) -> dict[str, Any]:
    """For each way of judging: the readings of the pairs, and how often single
    judgements took the side their figures call for."""
    results: dict[str, Any] = {}
    for name, judge in judges.items():
        rows = []
        for pair in labelled_pairs():
            fact = compare_pair(pair, judge)
            wanted = "refutes" if pair.differ else "supports"
            rows.append(
                {
                    "pair": pair.first.source.article_id + pair.second.source.article_id,
                    "figures": "different" if pair.differ else "same",
                    "reading": fact.reading,
                    "judgements_right": sum(j.stance == wanted for j in fact.judgements),
                }
            )
        different = [r for r in rows if r["figures"] == "different"]
        same = [r for r in rows if r["figures"] == "same"]
        results[name] = {
            "different_flagged": sum(r["reading"] == "CONFLICTING" for r in different),
            "different": len(different),
            "same_agreeing": sum(r["reading"] == "AGREE" for r in same),
            "same": len(same),
            "refutations_of_different": sum(r["judgements_right"] for r in different),
            "supports_of_same": sum(r["judgements_right"] for r in same),
            "pairs": rows,
        }
    return results


def format_results(results: dict[str, Any]) -> str:
    lines = [
        "| judge thresholds | different figures flagged CONFLICTING | same figure read as "
        "agreeing | single judgements: different read as refutation | same read as support |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['different_flagged']} of {r['different']} | {r['same_agreeing']} of "
            f"{r['same']} | {r['refutations_of_different']} of {2 * r['different']} | "
            f"{r['supports_of_same']} of {2 * r['same']} |"
        )
    return "\n".join(lines)


def run_coverage_pairs(settings: Settings, as_json: bool) -> None:
    """Start the chat model, judge the pairs both ways, print the figures."""
    import json

    from assistant.app.compose import build_services, start_chat
    from assistant.app.console import friendly_errors

    with friendly_errors():
        services = build_services(settings)
        chat = start_chat(settings, services)
        try:
            chains = chat.current()

            f = FACT_CHECK
            fact_check_label = (
                f"fact check's (lifts {f.support_lift} / {f.refute_lift}, "
                f"margins {f.support_margin} / {f.refute_margin})"
            )
            judges: dict[str, Callable[[], JudgePassage]] = {
                fact_check_label: lambda: chains.factcheck.judge_passage,
                f"coverage's (both {COMPARISON_LIFT})": lambda: comparison_judge(chains.factcheck),
            }
            results = evaluate({name: make() for name, make in judges.items()})
        finally:
            chat.close()
        click.echo(json.dumps(results, indent=2) if as_json else format_results(results))
        click.echo(f"Judged by {chat.backend.label}")
