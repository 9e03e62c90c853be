"""Answers, sources and passages as text for a person: shared by the web app and the
console commands. Article text and model output are escaped: shown as text, never as live
HTML or Markdown tricks."""

from __future__ import annotations

import html

from assistant.types import NOT_FOUND, Answer, Passage

_EXCERPT_CHARS = 220
# Marks what the summary check against the article changed; ⚠️ is kept for failures.
CHECK_NOTE = "🔎"


def escape(text: str) -> str:
    """Article text and model output are shown as text: no live HTML, no Markdown tricks."""
    return html.escape(text, quote=False)


def excerpt(passage: Passage) -> str:
    text = " ".join(passage.text.split())
    if len(text) > _EXCERPT_CHARS:
        text = text[:_EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
    return text


def supporting_quotes(answer: Answer, number: int) -> list[str]:
    """What passage ``number`` says in support of the answer: the sentences the answer's
    sentences were matched to, else the start of the passage."""
    quotes = answer.attribution.quotes(number) if answer.attribution else []
    return quotes or [excerpt(answer.passages[number - 1])]


def provenance(answer: Answer, model_label: str) -> str:
    """Who settled the answer, and how it was checked: the footer under every answer."""
    if not answer.by_model:
        return "Picked from the passages; no model was asked"
    if answer.second_reading is None:
        return f"Answered by {model_label}"
    if answer.second_reading == "agreed":
        return f"Answered by {model_label}; a second, short reading of the passages agreed"
    if answer.second_reading == "short":
        return (
            f"Answered by {model_label} in a second, short reading of the passages, shown "
            "because the quoted passage sentence names it; the first reading did not"
        )
    return (
        f"Answered by {model_label}; a second, short reading differed, so the answer was withheld"
    )


def format_answer(answer: Answer) -> str:
    """The answer as shown: citations checked, unsupported sentences marked."""
    if answer.attribution is None:
        return escape(answer.text)
    return answer.attribution.render(escape, marker=f"_{NOT_FOUND}_")


def format_sources(answer: Answer) -> str:
    """Markdown list of the passages an answer cites (or, if it cites none, of those it
    was given), each with its title, date, source and the words that support the answer."""
    if not answer.passages:
        return ""
    numbers = answer.cited or list(range(1, len(answer.passages) + 1))
    heading = "**Sources**" if answer.cited else "**Sources** (passages given; none cited)"
    lines = [heading]
    for number in numbers:
        p = answer.passages[number - 1]
        meta = " · ".join(x for x in (p.published, p.source) if x)
        title = escape(p.title) or "Untitled"
        link = f" · [link]({p.url})" if p.url.startswith(("http://", "https://")) else ""
        quotes = "\n".join(f"> “{escape(q)}”" for q in supporting_quotes(answer, number))
        lines.append(f"[{number}] **{title}** ({escape(meta)}){link}\n{quotes}")
    return "\n\n".join(lines)
