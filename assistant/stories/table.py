"""The stories table: which story each article belongs to, in SQLite beside the store.

Each article's row keeps what grouping compares (its lead's vector, its day, its names)
and what a listing shows (title, source, date), so grouping a new article reads only the
rows of nearby days, and listing stories reads one small table without touching Chroma.
The ``stories`` table is a summary of ``members``, refreshed for a story whenever one of
its articles comes or goes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCE_SEPARATOR = "\x1f"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    article_id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL DEFAULT '',
    day INTEGER,
    published TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    copy_of TEXT NOT NULL DEFAULT '',
    names TEXT NOT NULL DEFAULT '',
    vector BLOB
);
CREATE INDEX IF NOT EXISTS members_day ON members(day);
CREATE INDEX IF NOT EXISTS members_story ON members(story_id);
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY,
    headline TEXT NOT NULL,
    headline_article TEXT NOT NULL,
    first_day INTEGER NOT NULL,
    last_day INTEGER NOT NULL,
    first_published TEXT NOT NULL,
    last_published TEXT NOT NULL,
    articles INTEGER NOT NULL,
    sources TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stories_last_day ON stories(last_day);
"""


@dataclass(frozen=True)
class Member:
    """An article as grouping sees it."""

    article_id: str
    story_id: str
    day: int | None
    published: str
    source: str
    title: str
    copy_of: str  # the article it repeats (a syndicated copy), or ""
    names: frozenset[str]
    vector: np.ndarray | None


@dataclass(frozen=True)
class Story:
    id: str
    headline: str
    headline_article: str
    first_published: str
    last_published: str
    articles: int  # syndicated copies counted once
    sources: tuple[str, ...]

    @property
    def span(self) -> str:
        if self.first_published == self.last_published:
            return self.first_published
        return f"{self.first_published} – {self.last_published}"


def _vector_blob(vector: np.ndarray | None) -> bytes | None:
    # float16 halves the table; cosine similarity needs no more precision than that.
    return None if vector is None else np.asarray(vector, dtype="<f2").tobytes()


def _member(row: Sequence[object]) -> Member:
    blob = row[8]
    return Member(
        article_id=str(row[0]),
        story_id=str(row[1]),
        day=int(row[2]) if row[2] is not None else None,  # type: ignore[call-overload]
        published=str(row[3]),
        source=str(row[4]),
        title=str(row[5]),
        copy_of=str(row[6]),
        names=frozenset(n for n in str(row[7]).split(" ") if n),
        vector=np.frombuffer(blob, dtype="<f2").astype(np.float32) if blob else None,  # type: ignore[call-overload]
    )


def _story(row: Sequence[object]) -> Story:
    return Story(
        id=str(row[0]),
        headline=str(row[1]),
        headline_article=str(row[2]),
        first_published=str(row[3]),
        last_published=str(row[4]),
        articles=int(row[5]),  # type: ignore[call-overload]
        sources=tuple(s for s in str(row[6]).split(SOURCE_SEPARATOR) if s),
    )


_MEMBER_COLUMNS = "article_id, story_id, day, published, source, title, copy_of, names, vector"
_STORY_COLUMNS = (
    "story_id, headline, headline_article, first_published, last_published, articles, sources"
)


class StoryTable:
    def __init__(self, path: Path | None) -> None:
        """``path`` None keeps the table in memory (for a store without a folder)."""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        # Written by the ingest writer thread, read by request threads, one at a time.
        self._db = sqlite3.connect(
            str(path) if path else ":memory:", check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    # ---- members ------------------------------------------------------------------------

    def count_members(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM members").fetchone()[0])

    def member_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT article_id FROM members")}

    def undated_count(self) -> int:
        with self._lock:
            return int(
                self._db.execute("SELECT count(*) FROM members WHERE day IS NULL").fetchone()[0]
            )

    def published_range(self) -> tuple[str, str]:
        """The first and last publication dates of the dated articles ("" if none)."""
        with self._lock:
            row = self._db.execute(
                "SELECT min(published), max(published) FROM members WHERE day IS NOT NULL"
            ).fetchone()
        return (row[0] or "", row[1] or "")

    def member(self, article_id: str) -> Member | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM members WHERE article_id = ?", (article_id,)
            ).fetchone()
        return _member(row) if row else None

    def near(self, first_day: int, last_day: int) -> list[Member]:
        """Grouped articles with a vector published between the two days."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM members WHERE day BETWEEN ? AND ? "
                "AND vector IS NOT NULL AND story_id != ''",
                (first_day, last_day),
            ).fetchall()
        return [_member(r) for r in rows]

    def story_members(self, story_id: str) -> list[Member]:
        """The story's articles, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM members WHERE story_id = ? "
                "ORDER BY day, article_id",
                (story_id,),
            ).fetchall()
        return [_member(r) for r in rows]

    def put_member(self, member: Member) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO members ({_MEMBER_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    member.article_id,
                    member.story_id,
                    member.day,
                    member.published,
                    member.source,
                    member.title,
                    member.copy_of,
                    " ".join(sorted(member.names)),
                    _vector_blob(member.vector),
                ),
            )

    def move_story(self, from_story: str, to_story: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE members SET story_id = ? WHERE story_id = ?", (to_story, from_story)
            )
            self._db.execute("DELETE FROM stories WHERE story_id = ?", (from_story,))

    def delete_members(self, article_ids: Sequence[str]) -> set[str]:
        """Remove the articles; return the stories they were in."""
        touched: set[str] = set()
        with self._lock:
            self._db.execute("BEGIN")
            for start in range(0, len(article_ids), 500):
                batch = list(article_ids[start : start + 500])
                marks = ",".join("?" * len(batch))
                touched |= {
                    r[0]
                    for r in self._db.execute(
                        f"SELECT story_id FROM members WHERE article_id IN ({marks})", batch
                    )
                }
                self._db.execute(f"DELETE FROM members WHERE article_id IN ({marks})", batch)
            self._db.execute("COMMIT")
        return touched - {""}

    # ---- stories ------------------------------------------------------------------------

    def put_story(self, story: Story, first_day: int, last_day: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO stories (story_id, headline, headline_article, "
                "first_day, last_day, first_published, last_published, articles, sources) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    story.id,
                    story.headline,
                    story.headline_article,
                    first_day,
                    last_day,
                    story.first_published,
                    story.last_published,
                    story.articles,
                    SOURCE_SEPARATOR.join(story.sources),
                ),
            )

    def delete_story(self, story_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM stories WHERE story_id = ?", (story_id,))

    def story(self, story_id: str) -> Story | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_STORY_COLUMNS} FROM stories WHERE story_id = ?", (story_id,)
            ).fetchone()
        return _story(row) if row else None

    def stories(
        self,
        min_articles: int,
        since_day: int | None = None,
        until_day: int | None = None,
        source: str | None = None,
        limit: int | None = None,
    ) -> list[Story]:
        """Stories of at least ``min_articles`` articles, latest first; a story counts for
        a period when any of its days falls in it."""
        sql = f"SELECT {_STORY_COLUMNS} FROM stories WHERE articles >= ?"
        args: list[object] = [min_articles]
        if since_day is not None:
            sql += " AND last_day >= ?"
            args.append(since_day)
        if until_day is not None:
            sql += " AND first_day <= ?"
            args.append(until_day)
        if source:
            sql += " AND instr(? || sources || ?, ?) > 0"
            args += [
                SOURCE_SEPARATOR,
                SOURCE_SEPARATOR,
                SOURCE_SEPARATOR + source + SOURCE_SEPARATOR,
            ]
        sql += " ORDER BY last_day DESC, articles DESC, story_id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_story(r) for r in rows]

    def story_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        ids = list(article_ids)
        found: dict[str, str] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                marks = ",".join("?" * len(batch))
                found.update(
                    self._db.execute(
                        f"SELECT article_id, story_id FROM members WHERE article_id IN ({marks})",
                        batch,
                    ).fetchall()
                )
        return found

    def close(self) -> None:
        with self._lock:
            self._db.close()
