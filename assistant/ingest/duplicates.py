"""Near-duplicate articles: one wire story printed by several outlets.

Each article gets a MinHash signature of its word 5-grams; the share of equal signature
positions estimates the Jaccard similarity of two articles' 5-gram sets. Outlets edit wire
copy lightly (a headline, a line added or cut), which keeps that similarity high, while two
different stories on the same event share few 5-grams. The signature is stored as text
because Chroma metadata holds only scalars.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from assistant.text import shingles
from assistant.types import Article

SHINGLE_WORDS = 5
SIGNATURE_SIZE = 64  # estimate error about ±0.06 at Jaccard 0.8: enough to tell copies apart
DUPLICATE_JACCARD = 0.8
# Fixed seeds: a signature must mean the same thing in every process and release.
_RNG = np.random.default_rng(20240325)
_MASKS = _RNG.integers(0, 2**63, size=SIGNATURE_SIZE, dtype=np.uint64) * np.uint64(2)
_MULTIPLIERS = _RNG.integers(0, 2**62, size=SIGNATURE_SIZE, dtype=np.uint64) * np.uint64(2) + 1


def _shingle_hashes(text: str) -> np.ndarray:
    grams = shingles(text, SHINGLE_WORDS)
    digests = [hashlib.blake2b(g.encode(), digest_size=8).digest() for g in grams]
    return np.frombuffer(b"".join(digests), dtype="<u8") if digests else np.zeros(0, np.uint64)


def signature(text: str) -> np.ndarray:
    """MinHash signature (SIGNATURE_SIZE 32-bit values) of the text's word 5-grams."""
    hashes = _shingle_hashes(text)
    if hashes.size == 0:
        return np.zeros(SIGNATURE_SIZE, dtype=np.uint32)
    # One multiply-shift hash per position; numpy's uint64 arithmetic wraps, as intended.
    with np.errstate(over="ignore"):
        mixed = (hashes[None, :] ^ _MASKS[:, None]) * _MULTIPLIERS[:, None]
    return (mixed.min(axis=1) >> np.uint64(32)).astype(np.uint32)


def encode(sig: np.ndarray) -> str:
    return sig.astype(">u4").tobytes().hex()


def decode(text: str) -> np.ndarray | None:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    if len(raw) != 4 * SIGNATURE_SIZE:
        return None
    return np.frombuffer(raw, dtype=">u4").astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two articles' 5-gram sets."""
    return float(np.mean(a == b))


class DuplicateFinder:
    """Finds, for each new article, the first known article it nearly repeats."""

    def __init__(self, known: Iterable[tuple[str, str, str]]) -> None:
        """``known``: (article id, encoded signature, the id it duplicates or "")."""
        self._ids: list[str] = []
        self._roots: list[str] = []
        rows: list[np.ndarray] = []
        for article_id, encoded, duplicate_of in known:
            sig = decode(encoded)
            if sig is not None:
                self._ids.append(article_id)
                self._roots.append(duplicate_of or article_id)
                rows.append(sig)
        # Grown by doubling: a first ingest adds thousands of articles one by one.
        self._count = len(rows)
        self._matrix = np.zeros((max(16, 2 * len(rows)), SIGNATURE_SIZE), np.uint32)
        if rows:
            self._matrix[: len(rows)] = np.vstack(rows)

    def add(self, article_id: str, sig: np.ndarray) -> str:
        """Record the article; return the id of the first article it repeats, or ""."""
        found = ""
        scores = (self._matrix[: self._count] == sig[None, :]).mean(axis=1)
        for index in np.flatnonzero(scores >= DUPLICATE_JACCARD):
            if self._ids[index] != article_id:  # an edited article is not its own copy
                found = self._roots[index]  # the original, not a copy of it
                break
        if self._count == self._matrix.shape[0]:
            self._matrix = np.vstack([self._matrix, np.zeros_like(self._matrix)])
        self._matrix[self._count] = sig
        self._count += 1
        self._ids.append(article_id)
        self._roots.append(found or article_id)
        return found


def find_near_duplicates(
    changed: Sequence[Article], catalog: dict[str, dict[str, Any]]
) -> dict[str, tuple[str, str]]:
    """Signature and ``duplicate_of`` per changed article: stored articles come first, then
    the changed ones in load order, so a repeat links to the copy that arrived first."""
    changed_ids = {a.id for a in changed}
    finder = DuplicateFinder(
        (i, str(m.get("minhash", "")), str(m.get("duplicate_of", "")))
        for i, m in catalog.items()
        if i not in changed_ids and m.get("state") == "ready"
    )
    found: dict[str, tuple[str, str]] = {}
    for article in changed:
        sig = signature(article.body)
        found[article.id] = (encode(sig), finder.add(article.id, sig))
    return found
