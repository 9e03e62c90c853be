"""Split articles into token-sized chunks with stable, content-derived ids."""

from __future__ import annotations

import hashlib

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.tokens import ENCODING_NAME
from assistant.types import Article, Chunk


def chunk_id(article_id: str, index: int, text: str) -> str:
    # The position is part of the id so that a paragraph repeated inside one article (a
    # boilerplate footer, say) still gets distinct ids.
    return hashlib.sha256(f"{article_id}\x1f{index}\x1f{text}".encode()).hexdigest()[:24]


class Chunker:
    """Paragraph- then sentence-aware splitting, measured in cl100k tokens."""

    def __init__(self, chunk_tokens: int, overlap_tokens: int) -> None:
        if overlap_tokens >= chunk_tokens:
            raise ValueError("chunk overlap must be smaller than the chunk size")
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens
        self._splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
            encoding_name=ENCODING_NAME,
            chunk_size=chunk_tokens,
            chunk_overlap=overlap_tokens,
            separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
            keep_separator="end",
        )

    @property
    def signature(self) -> str:
        """Part of each article's stored hash: new chunk settings re-chunk the corpus."""
        return f"cl100k:{self.chunk_tokens}:{self.overlap_tokens}"

    def split(self, article: Article) -> list[Chunk]:
        pieces = [p.strip() for p in self._splitter.split_text(article.body)]
        pieces = [p for p in pieces if p]
        return [
            Chunk(chunk_id(article.id, i, text), article.id, i, text)
            for i, text in enumerate(pieces)
        ]
