"""The numbers and names of a sentence, and which of them a source does not state."""

from __future__ import annotations

from assistant.answer.key_sentences import key_sentences
from assistant.answer.summary_check import FactGate
from assistant.answer.summary_facts import SourceFacts, numbers, sentence_facts

SOURCE = (
    "Nick Scholfield will ride Spring Heeled in the Grand National on April 11.\n\n"
    "Scholfield has ridden in six Nationals and finished third in 2013 on Teaforthree.\n\n"
    "The race is worth £1,000,000, and 40 horses run."
)


def test_numbers_are_compared_as_digits() -> None:
    assert numbers("It cost £1,000,000 in 2013, up 3.5% on six years before.") == {
        "1000000",
        "2013",
        "3.5",
        "6",
    }
    assert numbers("One of them left.") == set()  # "one" is mostly a pronoun


def test_a_name_at_the_start_of_a_sentence_counts_only_when_the_source_uses_it() -> None:
    known = SourceFacts(SOURCE).known_names
    assert {"scholfield", "heeled", "teaforthree"} <= known
    assert sentence_facts("Scholfield rides on Saturday.", known).names == {
        "scholfield",
        "saturday",
    }
    # An ordinary word that happens to open the sentence is not taken for a name.
    assert sentence_facts("Trainers said he rides.", known).names == set()


def test_source_facts_name_what_the_source_lacks() -> None:
    source = SourceFacts(SOURCE)
    assert not source.missing("Scholfield, who finished third in 2013, rides Spring Heeled.")
    assert not source.missing("Six Nationals so far; forty horses run.")  # words as digits
    missing = source.missing("Scholfield rode in 7 Nationals for trainer Paul Nicholls.")
    assert missing.numbers == {"7"} and missing.names == {"paul", "nicholls"}
    assert str(missing) == "7, nicholls, paul"


def test_key_sentences_skip_short_lines_and_repeats_and_keep_the_articles_order() -> None:
    article = (
        "Nick Scholfield is lined up to ride Spring Heeled in the Grand National.\n\n"
        "By a racing reporter\n\n"
        "Champion Trainer Weighs Up Options Before The Big Race At Aintree\n\n"
        "Nick Scholfield has been lined up to ride Spring Heeled in the Grand National.\n\n"
        "The champion trainer said it was unfair to tie Scholfield down to Sam Winner.\n\n"
        "Scholfield will travel to Ireland to sit on Spring Heeled on Friday.\n\n"
        "Weather on the course is expected to be mild with light winds all week."
    )
    chosen = key_sentences(article, 3, 50)
    assert chosen[0].startswith("Nick Scholfield is lined up")  # the lead comes first
    assert not any(s.startswith("By a racing") for s in chosen)  # a byline, too short
    assert not any(s.startswith("Champion Trainer") for s in chosen)  # a heading: no stop
    assert not any(s.startswith("Nick Scholfield has been") for s in chosen)  # a repeat
    assert sum(len(s.split()) for s in chosen) <= 50 and 1 < len(chosen) <= 3
    assert chosen == sorted(chosen, key=article.index)


def test_the_gate_mends_only_the_decimals_the_article_states() -> None:
    gate = FactGate("A £1.1bn gap; 2.5 million people; since 2010. 31 replied.")
    assert gate.mend("a £1. 1bn gap for 2. 5 million") == "a £1.1bn gap for 2.5 million"
    assert gate.mend("in 2010. 31 replied") == "in 2010. 31 replied"
    assert gate.mend("cut by 3. 2 points") == "cut by 3. 2 points"  # no 3.2 in the article
