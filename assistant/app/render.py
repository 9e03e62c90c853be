"""Answers, sources and passages as text for a person: shared by the web app and the
console commands. Article text and model output are escaped: shown as text, never as live
HTML or Markdown tricks."""

from __future__ import annotations

import html

from assistant.types import Answer, Passage

_EXCERPT_CHARS = 220


def escape(text: str) -> str:
    """Article text and model output are shown as text: no live HTML, no Markdown tricks."""
    return html.escape(text, quote=False)


def excerpt(passage: Passage) -> str:
    text = " ".join(passage.text.split())
    if len(text) > _EXCERPT_CHARS:
        text = text[:_EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
    return text


def format_sources(answer: Answer) -> str:
    """Markdown list of the passages an answer cites (or, if it cites none, of those it
    was given), each with its title, date, source and the passage itself."""
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
        lines.append(f"[{number}] **{title}** ({escape(meta)}){link}\n> {escape(excerpt(p))}")
    return "\n\n".join(lines)
