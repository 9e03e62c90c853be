"""Files uploaded through the UI: copied into the corpus folder under a safe name.

Plain functions, no Gradio: the UI passes the temporary files it received. An upload's name
comes from the person's computer and is not trusted: whatever it holds (separators, ``..``,
control characters, a leading dot), the copy lands directly inside the corpus folder, and an
existing file is never overwritten: a different file of the same name gets a numbered name,
the same file again is recognised and not copied twice.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import LoadError
from assistant.ingest.readers.files import SUPPORTED_SUFFIXES

if TYPE_CHECKING:
    from assistant.index.store import ArticleStore

_MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.\- ]+")  # \w is Unicode-aware: letters of any script stay
# Names Windows refuses for files, whatever the suffix; a corpus folder may be shared.
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def safe_name(name: str) -> str:
    """A plain file name made from an untrusted one: no folders, no hidden or reserved name."""
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # controls, etc.
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name).rstrip(" .")  # no "..", no trailing dot
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem, suffix = stem.strip(" ."), suffix.strip()  # a leading dot would hide the file
    if not stem.strip("_-"):
        stem = "upload"
    if stem.lower() in _RESERVED:
        stem = f"_{stem}"
    suffix = suffix[:16]
    stem = stem[: _MAX_NAME_CHARS - len(suffix) - 1].rstrip(" .")
    return f"{stem}.{suffix}" if suffix else stem


def save_uploads(
    files: list[Path], corpus_dir: Path, max_bytes: int | None = None
) -> tuple[list[Path], list[LoadError]]:
    """Copy uploaded files into ``corpus_dir``; returns the stored paths and the problems."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    root = corpus_dir.resolve()
    saved: list[Path] = []
    problems: list[LoadError] = []
    for file in files:
        name = safe_name(file.name)
        try:
            saved.append(_save_one(file, root, name, max_bytes))
        except LoadError as exc:
            problems.append(exc)
        except OSError as exc:
            problems.append(LoadError(file.name, f"could not be saved ({exc.strerror or exc})"))
    return saved, problems


def _save_one(file: Path, root: Path, name: str, max_bytes: int | None) -> Path:
    # A symlink could point anywhere on the server; only a real uploaded file is copied.
    if file.is_symlink() or not file.is_file():
        raise LoadError(file.name, "is not a regular file")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(file.name, f"has an unsupported type '{suffix}' (supported: {supported})")
    size = file.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise LoadError(file.name, f"is over the {max_bytes / 1e6:.1f} MB upload limit")
    digest = _sha256(file)
    stem, ext = Path(name).stem, Path(name).suffix
    for attempt in range(1, 1000):
        target = root / (name if attempt == 1 else f"{stem}-{attempt}{ext}")
        if target.resolve().parent != root:  # belt and braces: safe_name allows no folders
            raise LoadError(file.name, "would be saved outside the corpus folder")
        try:
            # O_EXCL: never replace a file, even one created a moment ago by someone else.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if target.is_file() and not target.is_symlink() and _sha256(target) == digest:
                return target  # the same file uploaded again
            continue
        with os.fdopen(fd, "wb") as out, file.open("rb") as src:
            shutil.copyfileobj(src, out)
        return target
    raise LoadError(file.name, "has too many namesakes in the corpus folder")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def remove_article(store: ArticleStore, article_id: str, corpus_dir: Path | None = None) -> bool:
    """Remove an article from the store; with ``corpus_dir``, also delete its file there
    once no other stored article comes from it, so the next ingest does not bring it back.
    Files outside the corpus folder are never deleted."""
    infos = {a.id: a for a in store.list_articles()}
    removed = store.remove_article(article_id)
    info = infos.get(article_id)
    if not removed or info is None or corpus_dir is None or not info.origin:
        return removed
    origin = Path(info.origin)
    root = corpus_dir.resolve()
    others = [a for a in infos.values() if a.origin == info.origin and a.id != article_id]
    if not others and root in origin.resolve().parents and origin.is_file():
        origin.unlink()
    return removed
