"""The keyword side of hybrid search: BM25 over the chunks with SQLite's FTS5.

FTS5 keeps an inverted index on disk and updates it row by row, so the index beside Chroma
is maintained at ingest (chunks added and deleted in the same steps as their vectors) and a
query only reads it: nothing is rebuilt per question. Ranking is FTS5's ``bm25()``.

Each replica of the app keeps its own index. The ``articles`` table records which version
(the catalog's content hash) of each article the index holds, so a replica catches up with
what another one ingested article by article (:meth:`ArticleStore.catch_up`), never by a
rebuild.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# A word in the headline says more about what a chunk is about than one in its text.
TITLE_WEIGHT = 2.0
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words so common in questions that matching them only adds noise and time.
STOPWORDS = frozenset(
    """
    a about after again against all also am an and any are as at be because been before
    being between both but by can could did do does doing during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me
    more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your yours week weeks recently recent this last year month today
    yesterday according said says new
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    article_id: str
    score: float  # higher is better


def query_terms(text: str) -> list[str]:
    seen: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word not in STOPWORDS and word not in seen and (len(word) > 1 or word.isdigit()):
            seen.append(word)
    return seen


class KeywordIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        # Used from the ingest writer thread and from request threads, one at a time.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5("
            "text, title, chunk_id UNINDEXED, article_id UNINDEXED, day UNINDEXED, "
            "source UNINDEXED, tokenize='porter unicode61 remove_diacritics 2')"
        )
        # The version of each article held here ('' while not known to be complete).
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS articles (article_id TEXT PRIMARY KEY, hash TEXT)"
        )
        # Where each chunk sits in the FTS table: FTS5 cannot index its UNINDEXED columns,
        # and finding a chunk or an article by scanning them costs O(chunks) per lookup.
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS chunk_rows "
            "(chunk_id TEXT PRIMARY KEY, article_id TEXT, fts_row INTEGER)"
        )
        self._db.execute(
            "CREATE INDEX IF NOT EXISTS chunk_rows_by_article ON chunk_rows (article_id)"
        )

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def consistent(self) -> bool:
        """Whether every indexed chunk can be found by id (an index of an older layout
        cannot, and is rebuilt)."""
        with self._lock:
            fts = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            mapped = self._db.execute("SELECT count(*) FROM chunk_rows").fetchone()[0]
        return bool(fts == mapped)

    def add(self, rows: Iterable[tuple[str, str, str, str, int | None, str]]) -> None:
        """Rows of (chunk_id, article_id, title, text, day, source); replaces same ids."""
        self.replace_articles([], list(rows), {})

    def replace_articles(
        self,
        article_ids: Sequence[str],
        rows: Sequence[tuple[str, str, str, str, int | None, str]],
        versions: dict[str, str],
    ) -> None:
        """In one transaction: the chunks of ``article_ids`` dropped, ``rows`` put in (same
        chunk ids replaced), and the articles' versions recorded."""
        with self._lock:
            self._db.execute("BEGIN")
            self._delete(article_ids)
            self._db.executemany(
                "DELETE FROM chunks WHERE rowid IN "
                "(SELECT fts_row FROM chunk_rows WHERE chunk_id = ?)",
                [(r[0],) for r in rows],
            )
            for row in rows:
                cursor = self._db.execute(
                    "INSERT INTO chunks (chunk_id, article_id, title, text, day, source) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    row,
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO chunk_rows (chunk_id, article_id, fts_row) "
                    "VALUES (?, ?, ?)",
                    (row[0], row[1], cursor.lastrowid),
                )
            self._db.executemany(
                "INSERT OR IGNORE INTO articles (article_id, hash) VALUES (?, '')",
                [(aid,) for aid in {r[1] for r in rows}],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO articles (article_id, hash) VALUES (?, ?)",
                list(versions.items()),
            )
            self._db.execute("COMMIT")

    def _delete(self, article_ids: Sequence[str]) -> None:
        for start in range(0, len(article_ids), 500):
            batch = list(article_ids[start : start + 500])
            marks = ",".join("?" * len(batch))
            self._db.execute(
                "DELETE FROM chunks WHERE rowid IN (SELECT fts_row FROM chunk_rows "
                f"WHERE article_id IN ({marks}))",
                batch,
            )
            self._db.execute(f"DELETE FROM chunk_rows WHERE article_id IN ({marks})", batch)
            self._db.execute(f"DELETE FROM articles WHERE article_id IN ({marks})", batch)

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._delete(article_ids)
            self._db.execute("COMMIT")

    def mark_versions(self, versions: dict[str, str]) -> None:
        """Record that the index holds these versions (article id -> catalog hash)."""
        self.replace_articles([], [], versions)

    def versions(self) -> dict[str, str]:
        """Article id -> the version held here ('' when not known to be complete)."""
        with self._lock:
            return dict(self._db.execute("SELECT article_id, hash FROM articles").fetchall())

    def clear(self) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM chunks")
            self._db.execute("DELETE FROM chunk_rows")
            self._db.execute("DELETE FROM articles")
            self._db.execute("COMMIT")

    def search(
        self,
        text: str,
        k: int,
        since_day: int | None = None,
        until_day: int | None = None,
        source: str | None = None,
        article_ids: Sequence[str] | None = None,
    ) -> list[KeywordHit]:
        terms = query_terms(text)
        if not terms or (article_ids is not None and not article_ids):
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        sql = (
            f"SELECT chunk_id, article_id, -bm25(chunks, 1.0, {TITLE_WEIGHT}) AS score FROM chunks "
            "WHERE chunks MATCH ?"
        )
        args: list[object] = [match]
        if since_day is not None:
            sql += " AND day >= ?"
            args.append(since_day)
        if until_day is not None:
            sql += " AND day <= ?"
            args.append(until_day)
        if source:
            sql += " AND source = ?"
            args.append(source)
        if article_ids is not None:
            sql += f" AND article_id IN ({','.join('?' * len(article_ids))})"
            args.extend(article_ids)
        sql += f" ORDER BY bm25(chunks, 1.0, {TITLE_WEIGHT}) LIMIT ?"
        args.append(k)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [KeywordHit(r[0], r[1], float(r[2])) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
