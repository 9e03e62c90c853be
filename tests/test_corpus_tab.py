"""The Articles tab's handler: uploads land in the corpus folder, are ingested with progress,
bad files are listed with their reason, articles can be removed."""

from __future__ import annotations

import time
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.app.compose import build_services
from assistant.app.web.tools import CorpusHandler
from assistant.config import Settings


def test_upload_ingest_report_and_remove(settings: Settings, tmp_path: Path) -> None:
    services = build_services(settings)
    corpus = tmp_path / "corpus"
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = incoming / "tram.md"
    good.write_text("---\ntitle: Tram line opens\ndate: 2024-05-02\n---\nThe new tram line opened.")
    empty = incoming / "empty.txt"
    empty.write_text("")
    handler = CorpusHandler(services.store, corpus, 1.0)

    outputs = list(handler.add([str(good), str(empty)]))
    final = outputs[-1]
    assert "1 added" in final
    assert "Skipped:" in final and "empty.txt" in final and "is empty" in final
    assert (corpus / "tram.md").is_file()  # saved inside the corpus folder
    [(label, article_id)] = handler.choices()
    assert label.startswith("Tram line opens (2024-05-02")

    assert "Removed" in handler.remove(article_id)
    assert handler.choices() == [] and not (corpus / "tram.md").exists()
    assert "No article" in handler.remove(article_id)
    assert "Choose" in handler.remove(None)


def test_hostile_upload_name_stays_inside_the_corpus(settings: Settings, tmp_path: Path) -> None:
    services = build_services(settings)
    corpus = tmp_path / "corpus"
    weird = tmp_path / "in"
    weird.mkdir()
    upload = weird / "..%2F..%2Fescape.txt"
    upload.write_text("Escape attempt\n\nNothing to see.")
    list(CorpusHandler(services.store, corpus, 1.0).add([str(upload)]))
    stored = [p for p in corpus.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].parent == corpus
    assert not (tmp_path / "escape.txt").exists()


def test_nothing_dropped_is_a_clear_message(settings: Settings, tmp_path: Path) -> None:
    services = build_services(settings)
    [message] = CorpusHandler(services.store, tmp_path, 1.0).add(None)
    assert "Drop article files" in message


class SlowEmbeddings:
    """The real embedding model, slowed down so an ingest is still running when the test
    presses Cancel."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        time.sleep(0.3)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def long_article(folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.md"
    paragraphs = [
        f"Paragraph {n} of the {name} story. " + "More detail follows. " * 60 for n in range(8)
    ]
    path.write_text(
        f"---\ntitle: The {name} story\ndate: 2024-05-02\n---\n" + "\n\n".join(paragraphs)
    )
    return path


def test_cancel_stops_only_the_upload_of_the_session_that_asked(
    settings: Settings, tmp_path: Path
) -> None:
    services = build_services(settings)
    services.store.embeddings = SlowEmbeddings(services.store.embeddings)  # type: ignore[assignment]
    services.store.embed_batch = 1
    handler = CorpusHandler(services.store, tmp_path / "corpus", 5.0)

    reader_a = handler.add([str(long_article(tmp_path / "in", "harbour"))], session="reader-a")
    assert "embedding" in next(reader_a)  # reader A's ingest is under way
    # Reader B, in another browser, presses Cancel: it has nothing running.
    assert "Nothing is being added" in handler.cancel(session="reader-b")
    final_a = list(reader_a)[-1]
    assert "1 added" in final_a and "cancelled" not in final_a

    # Reader A's own Cancel stops reader A's upload.
    again = handler.add([str(long_article(tmp_path / "in2", "bridge"))], session="reader-a")
    assert "embedding" in next(again)
    assert "Cancelling" in handler.cancel(session="reader-a")
    assert "cancelled" in list(again)[-1]
