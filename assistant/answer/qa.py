"""Question answering over the corpus: condense, retrieve, pack, answer, check, cite.

Built from LCEL pieces (prompt | model | parser); the steps are driven by a generator so the
caller gets the sources before the answer starts and the answer token by token.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from assistant.answer.attribution import abstains, attribute
from assistant.answer.condense_context import condense_passages
from assistant.answer.context import CITATION, pack_context
from assistant.answer.model_errors import model_errors
from assistant.answer.options import answer_from_options, listed_options
from assistant.answer.prompts import PromptSet
from assistant.answer.second_reading import (
    UNSETTLED,
    asks_for_one_fact,
    backed_short_answer,
    readings_agree,
    short_answer,
    tells_more_than,
)
from assistant.search.retriever import relevant
from assistant.types import (
    Answer,
    Attribution,
    CitedSentence,
    Event,
    Filters,
    Passage,
    Retrieved,
    SecondReading,
    Token,
    Turn,
)

log = logging.getLogger(__name__)
# What the <passage …> tag around each article costs (title, date, source).
_PASSAGE_TAG_TOKENS = 40

NOTHING_FOUND = (
    "I found nothing about this in the articles I have, so I can't answer it from them. "
    "Try other words, widen the date or source filters, or add articles on the subject."
)
EMPTY_ANSWER = "The model gave no answer this time. Ask again, or put the question another way."
_HISTORY_TURNS = 3
_SHORT_ANSWER_TOKENS = 24
_HISTORY_ANSWER_CHARS = 400


def format_history(history: Sequence[Turn]) -> str:
    lines = []
    for question, answer in history[-_HISTORY_TURNS:]:
        short = answer.strip()
        if len(short) > _HISTORY_ANSWER_CHARS:
            short = short[:_HISTORY_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
        lines += [f"User: {question.strip()}", f"Assistant: {short}"]
    return "\n".join(lines)


def _clean_standalone(rewritten: str, original: str) -> str:
    """Small models sometimes answer instead of rewriting, or add a preamble. Keep their
    rewrite only when it looks like one question on one line."""
    line = rewritten.strip().splitlines()[0].strip().strip('"') if rewritten.strip() else ""
    for prefix in ("Standalone question:", "Question:"):
        if line.lower().startswith(prefix.lower()):
            line = line[len(prefix) :].strip()
    if not line or len(line) > 4 * len(original) + 200:
        return original
    return line


class QAChain:
    def __init__(
        self,
        llm: BaseChatModel,
        retrieve: Callable[[str, Filters | None], list[Passage]],
        prompts: PromptSet,
        context_tokens: int,
        min_relevance: float,
        article_tokens: int = 0,
        second_reading: bool = True,
    ) -> None:
        self.retrieve = retrieve
        self.context_tokens = context_tokens
        self.min_relevance = min_relevance
        self.article_tokens = article_tokens  # 0: whole passages
        self.condense_chain: Runnable = prompts.condense | llm | StrOutputParser()
        self.answer_chain: Runnable = prompts.qa | llm | StrOutputParser()
        self.check_chain: Runnable | None = (
            prompts.check
            | llm.bind(extra_body={"max_tokens": _SHORT_ANSWER_TOKENS})
            | StrOutputParser()
            if second_reading
            else None
        )

    def standalone_question(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        with model_errors():
            rewritten = self.condense_chain.invoke(
                {"history": format_history(history), "question": question}
            )
        standalone = _clean_standalone(rewritten, question)
        log.info("Follow-up %r rewritten as %r", question, standalone)
        return standalone

    def over(
        self, retrieve: Callable[[str, Filters | None], list[Passage]], min_relevance: float
    ) -> QAChain:
        """The same chain reading other passages whole, in rank order (the evaluation's
        gold-context row: the gold article's best passages, as many as the budget holds)."""
        other = copy.copy(self)
        other.retrieve, other.min_relevance, other.article_tokens = retrieve, min_relevance, 0
        return other

    def _second_reading(
        self,
        inputs: dict[str, str],
        text: str,
        question: str,
        passages: list[Passage],
        wrote_nothing: bool,
    ) -> tuple[SecondReading | None, Attribution | None]:
        """Read the passages again for the answer alone: what that made of the full answer
        and, when the full answer is not to be shown, what is shown instead."""
        assert self.check_chain is not None
        with model_errors():
            short = short_answer(self.check_chain.invoke(inputs))
        log.info("Second reading: %r", short)
        if short and not tells_more_than(short, question):
            # A short reading that only repeats the question ("Vladimir Zelenskyy", asked
            # who Zelenskyy spoke with) checks nothing, and cannot stand as the answer.
            return None, None
        if not wrote_nothing and readings_agree(text, short):
            return "agreed", None
        if backed := backed_short_answer(short, question, passages):
            return "short", backed
        if wrote_nothing:
            return None, None
        # One that finds no answer in the passages ("not stated") disagrees with any.
        return "withheld", Attribution([CitedSentence(UNSETTLED, (), (), needs_source=False)])

    def _allowance(self, found: Sequence[Passage]) -> int:
        """Tokens of sentences for each article: the budget shared among the articles found,
        never less than the setting. Few articles found leaves room for more of each."""
        articles = len({p.article_id for p in found}) or 1
        return max(self.article_tokens, self.context_tokens // articles - _PASSAGE_TAG_TOKENS)

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        today: date | None = None,
    ) -> Iterator[Event]:
        """Answer as on ``filters.as_of`` if set, else ``today``, else the actual day: a
        reader of live news means the days before the question ("this week"), and nothing
        published later is used."""
        filters = filters or Filters()
        reference = filters.as_of or today or date.today()
        filters = replace(filters, as_of=reference)
        standalone = self.standalone_question(question, history)
        # Search with the original words too: a poor rewrite must not lose the question.
        query = standalone if standalone == question else f"{standalone}\n{question}"
        found = relevant(self.retrieve(query, filters), self.min_relevance)
        if self.article_tokens:
            found = condense_passages(found, standalone, self._allowance(found))
        packed = pack_context(found, self.context_tokens)
        listed = listed_options(question)
        check = self.check_chain is not None and listed is None and asks_for_one_fact(standalone)
        yield Retrieved(standalone, packed.passages, len(packed.left_out), checked_whole=check)
        if not packed.passages:
            yield Token(NOTHING_FOUND)
            yield Answer(NOTHING_FOUND, [])
            return
        if listed is not None:
            # A choice among listed options is settled by the passages, not the model.
            picked = answer_from_options(listed, packed.passages)
            text = picked.render()
            yield Token(text)
            yield Answer(text, packed.passages, picked.cited, picked, text, by_model=False)
            return
        inputs = {
            "today": reference.isoformat(),
            "context": packed.text,
            "question": standalone,
        }
        parts: list[str] = []
        with model_errors():
            for piece in self.answer_chain.stream(inputs):
                parts.append(piece)
                yield Token(piece)
        text = "".join(parts).strip()
        # Small models occasionally stop at once, or write only citation marks ("[1] [2]
        # [3]"); either would look like an answer over its sources.
        wrote_nothing = not re.search(r"\w", CITATION.sub(" ", text))
        reading: SecondReading | None = None
        if check and (wrote_nothing or not abstains(text)):
            reading, instead = self._second_reading(
                inputs, text, standalone, packed.passages, wrote_nothing
            )
            if instead is not None:
                # The full reading is not shown, so it is not the answer's words either.
                shown = instead.render()
                yield Answer(
                    shown, packed.passages, instead.cited, instead, shown, second_reading=reading
                )
                return
        if wrote_nothing:
            yield Token(EMPTY_ANSWER)
            yield Answer(EMPTY_ANSWER, packed.passages, [])
            return
        attribution = attribute(text, packed.passages)
        yield Answer(
            attribution.render(),
            packed.passages,
            attribution.cited,
            attribution,
            text,
            second_reading=reading,
        )
