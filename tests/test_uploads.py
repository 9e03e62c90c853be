"""Uploads land inside the corpus folder under safe names and never overwrite a file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.app.compose import build_services
from assistant.config import Settings
from assistant.ingest.sync import ingest_paths
from assistant.ingest.uploads import remove_article, safe_name, save_uploads


@pytest.mark.parametrize(
    ("hostile", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.md", "win.ini.md"),
        ("/abs/path/story.html", "story.html"),
        (".bashrc.txt", "bashrc.txt"),
        ("..", "upload"),
        ("...txt", "upload.txt"),
        ("", "upload"),
        ("  . story .md. ", "story.md"),
        ("a\x00b\x1b[31m.txt", "ab_31m.txt"),
        ("CON.txt", "_CON.txt"),
        ("news; rm -rf ~ $(x).txt", "news_ rm -rf _ _x_.txt"),
        ("ｆｕｌｌｗｉｄｔｈ.txt", "fullwidth.txt"),
        ("Überschwemmung – Bericht.md", "Überschwemmung _ Bericht.md"),
        ("x" * 300 + ".jsonl", "x" * 114 + ".jsonl"),
    ],
)
def test_safe_name(hostile: str, safe: str) -> None:
    assert safe_name(hostile) == safe
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")


def _upload(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_hostile_file_names_stay_inside_the_corpus(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    corpus = tmp_path / "corpus"
    names = ["..\\..\\evil.txt", ".hidden.md", "..md", "a\x01b.txt", "report\\..\\..\\x.json"]
    files = [
        _upload(incoming, n, b'{"text": "t"}' if n.endswith("json") else b"T\n\nx") for n in names
    ]
    saved, problems = save_uploads(files, corpus)
    assert problems == []
    assert len(saved) == len(names)
    for path in saved:
        assert path.parent == corpus.resolve()
        assert not path.name.startswith(".")
    assert sorted(p.name for p in corpus.iterdir()) == sorted(p.name for p in saved)
    assert not (tmp_path / "evil.txt").exists()


def test_namesakes_get_a_suffix_and_repeats_are_not_copied(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "story.txt").write_text("Existing\n\nAn article already in the corpus.")
    first = _upload(tmp_path / "a", "story.txt", b"Upload one\n\nText one.")
    second = _upload(tmp_path / "b", "story.txt", b"Upload two\n\nText two.")
    saved, problems = save_uploads([first, second, first], corpus)
    assert problems == []
    assert [p.name for p in saved] == ["story-2.txt", "story-3.txt", "story-2.txt"]
    assert (corpus / "story.txt").read_text().startswith("Existing")
    assert (corpus / "story-3.txt").read_bytes() == b"Upload two\n\nText two."


def test_unsupported_symlinked_and_oversized_uploads_are_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    incoming = tmp_path / "in"
    exe = _upload(incoming, "tool.exe", b"MZ")
    secret = _upload(tmp_path / "private", "secret.txt", b"password")
    link = incoming / "innocent.txt"
    os.symlink(secret, link)
    big = _upload(incoming, "big.txt", b"x" * 2000)
    saved, problems = save_uploads([exe, link, big, incoming / "gone.txt"], corpus, max_bytes=1000)
    assert saved == []
    reasons = {Path(p.source).name: p.reason for p in problems}
    assert "unsupported" in reasons["tool.exe"]
    assert "not a regular file" in reasons["innocent.txt"]
    assert "upload limit" in reasons["big.txt"]
    assert "not a regular file" in reasons["gone.txt"]
    assert not corpus.exists() or list(corpus.iterdir()) == []


def test_remove_article_deletes_its_upload_only_when_nothing_else_uses_it(
    settings: Settings, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    outside = tmp_path / "outside.txt"
    outside.write_text("Outside\n\nNot in the corpus folder.")
    single = _upload(tmp_path / "in", "single.txt", b"Single\n\nOne article.")
    feed = _upload(
        tmp_path / "in",
        "two.jsonl",
        "\n".join(json.dumps({"id": f"t{n}", "text": f"Text {n}."}) for n in (1, 2)).encode(),
    )
    saved, _ = save_uploads([single, feed], corpus)
    store = build_services(settings).store
    ingest_paths(store, [corpus, outside], 1)
    by_origin = {a.origin: a.id for a in store.list_articles()}

    assert remove_article(store, by_origin[str(saved[0])], corpus)
    assert not saved[0].exists()  # the next ingest will not bring it back
    assert remove_article(store, "t1", corpus)
    assert saved[1].exists()  # t2 still comes from it
    assert remove_article(store, by_origin[str(outside)], corpus)
    assert outside.exists()  # outside the corpus folder: left alone
    assert not remove_article(store, "no-such-id", corpus)
    assert {a.id for a in store.list_articles()} == {"t2"}
