"""Bring the stories table in step with the catalog: articles stored before stories were
kept (or while a sync was stopped) are grouped from their stored leads, in date order, and
articles no longer stored are dropped. Grouping at ingest keeps the two in step, so this
runs only when their counts differ."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from assistant.stories.grouping import ArticleLead, StoryGrouper

if TYPE_CHECKING:
    from assistant.index.catalog import Catalog
    from assistant.index.vectors import ChunkVectors

log = logging.getLogger(__name__)


def catch_up(grouper: StoryGrouper, catalog: Catalog, vectors: ChunkVectors) -> int:
    """Group the ready articles the table lacks; return how many were grouped."""
    entries = catalog.entries()
    members = grouper.table.member_ids()
    grouper.remove(sorted(members - set(entries)))
    ready = {i: m for i, m in entries.items() if m.get("state") == "ready"}
    missing = sorted(set(ready) - members, key=lambda i: (str(ready[i].get("published")), i))
    if not missing:
        return 0
    log.warning("Grouping %d stored articles into stories", len(missing))
    leads: dict[str, tuple[str, Any]] = {
        str(meta.get("article_id")): (text, vector)
        for meta, text, vector in vectors.lead_chunks(missing)
    }
    for article_id in missing:
        meta = ready[article_id]
        text, vector = leads.get(article_id, ("", None))
        published = str(meta.get("published", ""))
        grouper.add(
            ArticleLead(
                article_id=article_id,
                title=str(meta.get("title", "")),
                published=date.fromisoformat(published) if published else None,
                source=str(meta.get("source", "")),
                lead=text,
                vector=vector,
                duplicate_of=str(meta.get("duplicate_of", "")),
            )
        )
    return len(missing)
