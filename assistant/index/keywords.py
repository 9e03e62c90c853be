"""The keyword side of hybrid search: BM25 over the chunks with SQLite's FTS5.

FTS5 keeps an inverted index on disk and updates it row by row, so the index beside Chroma
is maintained at ingest (chunks added and deleted in the same steps as their vectors) and a
query only reads it: nothing is rebuilt per question. Ranking is FTS5's ``bm25()``.

A chunk's row id in the FTS table is its publication day times ``ROWS_PER_DAY`` plus a
counter, so a date window is a row id range, which FTS5 honours inside its posting lists:
a search "up to" or "within" some dates reads only the matches of those dates, and never
looks a row up to read its date. The cost of the remaining ranking is bounded too (see
:meth:`KeywordIndex.search`), so a search costs about the same whatever the archive's size.

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
# FTS5's BM25 rank of a chunk (lower is better), the headline weighted above the text.
BM25_RANK = f"bm25(chunks, 1.0, {TITLE_WEIGHT})"
# Row ids: day (YYYYMMDD, 0 when unknown) * ROWS_PER_DAY + a counter within the day.
ROWS_PER_DAY = 10**9
# The layout of the row ids above (PRAGMA user_version); an index of another layout is
# rebuilt from Chroma by the store.
LAYOUT = 2
# How many matching chunks a search ranks at most, about: the query's rarest words are
# matched first while their matches add up to no more than this, and the others only add
# to the score of those chunks (see ``search``). Past it the cost stops growing with the
# archive; below it the ranking is the full BM25 ranking.
CANDIDATE_BUDGET = 8000
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


def match_any(terms: Sequence[str]) -> str:
    """An FTS5 query matching any of ``terms``, each quoted so it is read as a word."""
    return " OR ".join(f'"{t}"' for t in terms)


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
        # The next free row id of a day is found from here.
        self._db.execute("CREATE INDEX IF NOT EXISTS chunk_rows_by_row ON chunk_rows (fts_row)")
        if self._db.execute("SELECT count(*) FROM chunk_rows").fetchone()[0] == 0:
            self._db.execute(f"PRAGMA user_version = {LAYOUT}")

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def consistent(self) -> bool:
        """Whether every indexed chunk can be found by id and sits at a row id of its day
        (an index of an older layout cannot, and is rebuilt)."""
        with self._lock:
            fts = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            mapped = self._db.execute("SELECT count(*) FROM chunk_rows").fetchone()[0]
            layout = self._db.execute("PRAGMA user_version").fetchone()[0]
        return bool(fts == mapped and layout == LAYOUT)

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
            next_rows: dict[int, int] = {}
            for row in rows:
                fts_row = self._next_row(row[4] or 0, next_rows)
                self._db.execute(
                    "INSERT INTO chunks (rowid, chunk_id, article_id, title, text, day, source) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (fts_row, *row),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO chunk_rows (chunk_id, article_id, fts_row) "
                    "VALUES (?, ?, ?)",
                    (row[0], row[1], fts_row),
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

    def _next_row(self, day: int, next_rows: dict[int, int]) -> int:
        """A free row id among those of ``day`` (remembered in ``next_rows`` for a batch)."""
        if day not in next_rows:
            start = day * ROWS_PER_DAY
            last = self._db.execute(
                "SELECT max(fts_row) FROM chunk_rows WHERE fts_row >= ? AND fts_row < ?",
                (start, start + ROWS_PER_DAY),
            ).fetchone()[0]
            next_rows[day] = start if last is None else last + 1
        row = next_rows[day]
        if row >= (day + 1) * ROWS_PER_DAY:
            raise ValueError(f"more than {ROWS_PER_DAY} chunks published on day {day}")
        next_rows[day] = row + 1
        return row

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
            self._db.execute(f"PRAGMA user_version = {LAYOUT}")
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
        """The ``k`` chunks that match ``text`` best by BM25, within the dates and filters.

        FTS5 scores every chunk that holds any query word, so a word found in a third of
        the archive would make every search cost a third of the archive. Instead, the
        query's words are counted (each count stops at the budget) and the rarest ones,
        whose matches add up to at most ``CANDIDATE_BUDGET``, pick the candidates. The
        other words still count in the score: the candidates that hold some of them are
        scored by a query with every word, the others by the rare words alone, which is
        the same BM25 score (a word a chunk lacks adds nothing). So a chunk is missed only
        when it holds none of the rare words, only common ones, which carry the least
        weight. When even the rarest word passes the budget, or the rare words find fewer
        than ``k`` chunks, the newest matches within the budget are ranked too (a news
        archive is asked about its recent part first).
        """
        terms = query_terms(text)
        if not terms or (article_ids is not None and not article_ids):
            return []
        low = (max(since_day or 0, 1) if (since_day or until_day) else 0) * ROWS_PER_DAY
        high = ((until_day + 1) * ROWS_PER_DAY - 1) if until_day is not None else 2**63 - 1
        where = ""
        args: list[object] = []
        if source:
            where += " AND source = ?"
            args.append(source)
        if article_ids is not None:
            where += f" AND article_id IN ({','.join('?' * len(article_ids))})"
            args.extend(article_ids)
        filters = (where, args)
        with self._lock:
            rare, common = self._split_terms(terms, low, high)
            if not rare:
                low = self._newest_matches_start(terms, low, high)
                rare, common = terms, []
            queries = [match_any(rare)]
            if common:
                queries = [f"({match_any(rare)}) AND ({match_any(common)})"]
                queries.append(f"({match_any(rare)}) NOT ({match_any(common)})")
            found = {r[0]: r for match in queries for r in self._rank(match, low, high, filters, k)}
            if common and len(found) < k:
                # Too few chunks hold a rare word: the newest ones with only common words
                # fill the list, as when no word is rare.
                newest = self._newest_matches_start(terms, low, high)
                for r in self._rank(match_any(terms), newest, high, filters, k):
                    found.setdefault(r[0], r)
        # Of chunks scored alike (syndicated copies), the newest comes first.
        ranked = sorted(found.values(), key=lambda r: (-r[2], -r[3]))[:k]
        return [KeywordHit(r[0], r[1], float(r[2])) for r in ranked]

    def _rank(
        self, match: str, low: int, high: int, filters: tuple[str, list[object]], k: int
    ) -> list[tuple[str, str, float, int]]:
        """The ``k`` best of the chunks matching ``match`` with row ids in [low, high]:
        (chunk id, article id, BM25 score, row id)."""
        where, args = filters
        return self._db.execute(
            f"SELECT chunk_id, article_id, -{BM25_RANK}, rowid FROM chunks WHERE chunks MATCH ? "
            f"AND rowid BETWEEN ? AND ?{where} ORDER BY {BM25_RANK}, rowid DESC LIMIT ?",
            [match, low, high, *args, k],
        ).fetchall()

    def _split_terms(self, terms: list[str], low: int, high: int) -> tuple[list[str], list[str]]:
        """(the rarest terms whose matches add up to at most the budget, the others)."""
        counts = {
            term: self._db.execute(
                "SELECT count(*) FROM (SELECT 1 FROM chunks WHERE chunks MATCH ? "
                "AND rowid BETWEEN ? AND ? LIMIT ?)",
                (match_any([term]), low, high, CANDIDATE_BUDGET + 1),
            ).fetchone()[0]
            for term in terms
        }
        rare: list[str] = []
        total = 0
        for term in sorted(terms, key=lambda t: counts[t]):
            total += counts[term]
            if total > CANDIDATE_BUDGET:
                break
            rare.append(term)
        return rare, [t for t in terms if t not in rare]

    def _newest_matches_start(self, terms: list[str], low: int, high: int) -> int:
        """The row id from which the newest ``CANDIDATE_BUDGET`` matches of ``terms`` lie
        (FTS5 walks its posting lists in row id order, so this reads only those)."""
        row = self._db.execute(
            "SELECT rowid FROM chunks WHERE chunks MATCH ? AND rowid BETWEEN ? AND ? "
            "ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            (match_any(terms), low, high, CANDIDATE_BUDGET - 1),
        ).fetchone()
        return low if row is None else max(low, int(row[0]))

    def close(self) -> None:
        with self._lock:
            self._db.close()
