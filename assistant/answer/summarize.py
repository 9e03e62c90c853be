"""Summaries: of one whole article (map-reduce when it does not fit), or of a topic across
the corpus with a citation on every sentence."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import date

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from assistant.answer.context import cited_numbers, pack_context
from assistant.answer.key_sentences import key_sentences
from assistant.answer.length_guard import allowed_end, finished_ends
from assistant.answer.lengths import LENGTHS
from assistant.answer.model_errors import model_errors
from assistant.answer.prompts import PromptSet
from assistant.answer.summary_check import CheckNote, FactGate, date_in_words
from assistant.answer.summary_support import FaithfulnessJudge
from assistant.errors import AssistantError
from assistant.search.retriever import relevant
from assistant.tokens import count_tokens
from assistant.types import Answer, Event, Filters, Length, Passage, Progress, Retrieved, Token

# "key": the article's own most salient sentences, no model involved (as long as "brief").
KEY_SENTENCES, KEY_WORDS = 3, 50
# "brief": extract, then compress. The model rewrites the article's most salient sentences
# rather than the whole article: read whole, the small model retells the opening and adds
# background; given the key sentences, it keeps to what the article is about.
BRIEF_SENTENCES, BRIEF_WORDS = 5, 120
ALL_LEFT_OUT = (
    "Every sentence of the summary gave facts the article does not: its key sentences instead."
)
NO_TOPIC_PASSAGES = (
    "I found nothing about this topic in the articles I have. Try other words or widen "
    "the date filters."
)


def _release(part: str, gate: FactGate) -> Generator[Token | CheckNote, None, str]:
    """A finished sentence goes to the reader as it is, or, when the article does not
    state it, the note of what was done, then what is shown instead (if anything)."""
    checked = gate.check(part)
    shown = part
    if checked is not None:
        yield checked
        shown = checked.text
    if shown:
        yield Token(shown)
    return shown


def group_within_budget(passages: Sequence[Passage], budget: int) -> list[list[Passage]]:
    """Consecutive chunks grouped so each group's text fits the budget (a chunk larger than
    the budget on its own still forms a group: chunks are far smaller than any budget)."""
    groups: list[list[Passage]] = []
    used = 0
    for passage in passages:
        cost = count_tokens(passage.text)
        if groups and used + cost <= budget:
            groups[-1].append(passage)
            used += cost
        else:
            groups.append([passage])
            used = cost
    return groups


class SummarizeChain:
    def __init__(
        self,
        llm: BaseChatModel,
        article_passages: Callable[[str], list[Passage]],
        retrieve: Callable[[str, Filters | None], list[Passage]],
        prompts: PromptSet,
        article_tokens: int,
        context_tokens: int,
        min_relevance: float,
        embeddings: Embeddings | None = None,
    ) -> None:
        """``embeddings``, when given, let each sentence of an article summary be held to
        the article sentence (or two) that states it (summary_support); without them only
        its numbers and names are checked."""
        self.article_passages = article_passages
        self.embeddings = embeddings
        self.retrieve = retrieve
        # A whole article goes in one prompt when it fits this budget; else map-reduce.
        self.article_tokens = article_tokens
        self.context_tokens = context_tokens
        self.min_relevance = min_relevance
        parse = StrOutputParser()
        # One chain per length, each with its bound on output tokens.
        self.summarize_chains: dict[str, Runnable] = {
            length: prompts.summarize | llm.bind(extra_body={"max_tokens": rule.max_tokens}) | parse
            for length, rule in LENGTHS.items()
        }
        self.map_chain: Runnable = prompts.map | llm | parse
        self.topic_chain: Runnable = prompts.topic | llm | parse

    def article(self, article_id: str, length: Length = "brief") -> Iterator[Event | CheckNote]:
        """Summarize the whole article: every chunk is read, none is sampled."""
        passages = self.article_passages(article_id)
        if not passages:
            raise AssistantError(f"No article with id {article_id!r} is in the store.")
        first = passages[0]
        yield Retrieved(first.title, passages, 0)
        article = "\n\n".join(p.text for p in passages)
        if length == "key":
            chosen = " ".join(key_sentences(article, KEY_SENTENCES, KEY_WORDS))
            yield Token(chosen)
            yield Answer(chosen, passages, [])
            return
        text = article
        if length == "brief":
            text = " ".join(key_sentences(article, BRIEF_SENTENCES, BRIEF_WORDS))
        if count_tokens(text) > self.article_tokens:
            text = yield from self._map(passages)
        inputs = {
            "title": first.title,
            "published": first.published or "date unknown",
            "source": first.source or "source unknown",
            "text": text,
            "length_instruction": LENGTHS[length].instruction,
        }
        # The model is given the title, date and source too: facts from them are not new.
        # A fact the article states is not invented, even from outside the key sentences
        # the model read ("two" leaders, counted by the model, stated elsewhere).
        given = "\n".join([first.title, date_in_words(first.published), first.source, article])
        support = FaithfulnessJudge(self.embeddings) if self.embeddings is not None else None
        gate = FactGate(given, support, judged="\n".join([first.title, article]))
        kept = yield from self._checked_stream(inputs, length, gate)
        if not kept.strip():  # every sentence was left out: the article's own words instead
            yield Progress(ALL_LEFT_OUT)
            kept = " ".join(key_sentences(article, KEY_SENTENCES, KEY_WORDS))
            yield Token(kept)
        yield Answer(kept.strip(), passages, [])

    def _checked_stream(
        self, inputs: dict[str, str], length: Length, gate: FactGate
    ) -> Generator[Event | CheckNote, None, str]:
        """The model's summary, cut to the length asked for, shown sentence by sentence
        (or bullet by bullet) once each has ended and been checked against the article."""
        text, done, kept = "", 0, ""
        with model_errors():
            for piece in self.summarize_chains[length].stream(inputs):
                # Mended before any sentence end is looked for: "£1. 1" must not end one.
                text = text[:done] + gate.mend(text[done:] + piece)
                end = allowed_end(text, length)
                if end is not None:  # past the length asked for: stop reading the model
                    text = text[:end]
                    break
                for finish in finished_ends(text, length):
                    if finish > done:
                        kept += yield from _release(text[done:finish], gate)
                        done = finish
        if text[done:].strip():
            kept += yield from _release(text[done:], gate)
        return kept

    def _map(self, passages: Sequence[Passage]) -> Generator[Event, None, str]:
        """Notes on each part of a long article, in order; the notes are then summarized."""
        notes = []
        groups = group_within_budget(passages, self.article_tokens)
        for number, group in enumerate(groups, start=1):
            yield Progress(f"Reading part {number} of {len(groups)} of the article…")
            with model_errors():
                note = self.map_chain.invoke(
                    {
                        "part": f"{number} of {len(groups)}",
                        "title": group[0].title,
                        "published": group[0].published or "date unknown",
                        "text": "\n\n".join(p.text for p in group),
                    }
                )
            notes.append(note.strip())
        return "\n".join(notes)

    def topic(
        self,
        topic: str,
        length: Length = "paragraph",
        filters: Filters | None = None,
        today: date | None = None,
    ) -> Iterator[Event]:
        """What the corpus says about a topic, drawn from several articles, every sentence
        citing its passage."""
        found = relevant(self.retrieve(topic, filters), self.min_relevance)
        packed = pack_context(found, self.context_tokens)
        yield Retrieved(topic, packed.passages, len(packed.left_out))
        if not packed.passages:
            yield Token(NO_TOPIC_PASSAGES)
            yield Answer(NO_TOPIC_PASSAGES, [])
            return
        inputs = {
            "today": (today or date.today()).isoformat(),
            "context": packed.text,
            "topic": topic,
            "length_instruction": LENGTHS[length].wanted,
        }
        parts: list[str] = []
        with model_errors():
            for piece in self.topic_chain.stream(inputs):
                parts.append(piece)
                yield Token(piece)
        text = "".join(parts).strip()
        yield Answer(text, packed.passages, cited_numbers(text, len(packed.passages)))
