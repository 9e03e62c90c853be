"""Hostile and broken input: every loader reports problems as LoadError and never crashes.

The fuzz tests feed random bytes, random text and mutated copies of valid files to each
reader (chosen by file suffix) and accept nothing but a LoadResult whose problems are
LoadErrors: any other exception escaping a loader fails the test.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.errors import LoadError
from assistant.ingest.readers.base import LoadResult
from assistant.ingest.readers.files import SUPPORTED_SUFFIXES, load_file
from tests.samples import atom_feed, make_pdf, news_page, rss_feed

MB = 1_000_000

VALID_SAMPLES: dict[str, bytes] = {
    ".txt": b"date 2024-03-25\nHeadline here\n\nBody of the story. More text.",
    ".md": b"---\ntitle: T\ndate: 2024-01-02\n---\n# Heading\n\nText with *markup*.",
    ".json": json.dumps([{"title": "A", "text": "Body.", "date": "2024-01-01"}]).encode(),
    ".jsonl": b'{"id": "1", "text": "One."}\n{"id": "2", "text": "Two.", "date": "2024-02-02"}\n',
    ".html": news_page().encode(),
    ".pdf": make_pdf([["A line of text on page one."], ["Page two."]], title="T"),
    ".rss": rss_feed(
        [{"title": "T", "guid": "g", "date": "Thu, 02 May 2024 08:00:00 GMT", "description": "d"}]
    ).encode(),
    ".atom": atom_feed(
        [{"id": "u", "title": "T", "link": "https://x/1", "updated": "2024-05-03", "content": "c"}]
    ).encode(),
}
VALID_SAMPLES[".xml"] = VALID_SAMPLES[".rss"]


def _check(path: Path, data: bytes) -> LoadResult:
    path.write_bytes(data)
    result = load_file(path, MB)  # anything raised here fails the test
    assert isinstance(result, LoadResult)
    assert all(isinstance(p, LoadError) for p in result.problems)
    if result.problems:
        assert str(path.resolve()) in result.failed_origins
    for article in result.articles:
        assert article.body.strip()
    return result


@st.composite
def mutated(draw: st.DrawFn, sample: bytes) -> bytes:
    """A valid file with a few bytes changed, cut short or spliced: near-valid input finds
    deeper parser paths than pure noise."""
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        else:
            del data[at : at + draw(st.integers(1, 40))]
    return bytes(data)


def inputs(suffix: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
        mutated(VALID_SAMPLES[suffix]),
    )


FUZZED = sorted(VALID_SAMPLES)


def test_every_supported_suffix_is_fuzzed() -> None:
    text_like = {".text", ".markdown", ".ndjson", ".htm", ".xhtml"}  # same readers as above
    assert set(FUZZED) | text_like == SUPPORTED_SUFFIXES


@pytest.mark.parametrize("suffix", FUZZED)
def test_valid_samples_load(suffix: str, tmp_path: Path) -> None:
    result = _check(tmp_path / f"sample{suffix}", VALID_SAMPLES[suffix])
    assert result.articles and result.problems == []


@pytest.mark.parametrize("suffix", FUZZED)
def test_fuzz_loader_raises_nothing(suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"

        @settings(
            max_examples=500,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            database=None,
        )
        @given(data=inputs(suffix))
        def run(data: bytes) -> None:
            _check(path, data)

        run()


# ---- one by one: the bad files a newsroom folder really holds ---------------------------


@pytest.mark.parametrize("suffix", FUZZED)
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    result = _check(tmp_path / f"empty{suffix}", b"")
    assert "empty" in result.problems[0].reason


@pytest.mark.parametrize("suffix", [s for s in FUZZED if s != ".pdf"])
def test_binary_file(tmp_path: Path, suffix: str) -> None:
    result = _check(tmp_path / f"photo{suffix}", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    assert result.articles == []
    assert "binary" in result.problems[0].reason


def test_binary_file_named_pdf(tmp_path: Path) -> None:
    result = _check(tmp_path / "photo.pdf", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    assert result.articles == []
    assert "PDF" in result.problems[0].reason


@pytest.mark.parametrize("suffix", [".txt", ".md", ".jsonl", ".json"])
def test_invalid_utf8_falls_back_and_reports(tmp_path: Path, suffix: str) -> None:
    text = VALID_SAMPLES[suffix].decode()
    for word in ("Body", "One", "Text"):
        text = text.replace(word, "Café")
    result = _check(tmp_path / f"latin{suffix}", text.encode("latin-1"))
    assert result.articles
    assert any("Café" in a.body for a in result.articles)
    assert any("not valid UTF-8" in p.reason for p in result.problems)


def test_html_and_feed_in_a_declared_legacy_charset(tmp_path: Path) -> None:
    feed = rss_feed(
        [{"title": "Caf\u00e9", "guid": "g", "description": "Cr\u00e8me br\u00fbl\u00e9e"}]
    )
    feed = feed.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    result = _check(tmp_path / "legacy.rss", feed.encode("latin-1"))
    assert [a.body for a in result.articles] == ["Crème brûlée"]


def test_malformed_json_lines_keep_good_lines(tmp_path: Path) -> None:
    lines = [
        '{"id": "1", "text": "Good one."}',
        '{"id": "2", "text": "Cut off',
        "[1, 2, 3]",
        '{"id": "4", "text": "Good four.", "date": "not a date"}',
        '{"id": "5", "text": "Good five."}',
    ]
    result = _check(tmp_path / "wire.jsonl", "\n".join(lines).encode())
    assert [a.id for a in result.articles] == ["1", "5"]
    assert [p.line for p in result.problems] == [2, 3, 4]


@pytest.mark.parametrize("suffix", FUZZED)
def test_file_over_the_size_limit_names_the_limit(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"big{suffix}"
    path.write_bytes(VALID_SAMPLES[suffix] + b" " * MB)
    result = load_file(path, MB)
    assert result.articles == []
    assert "over the 1.0 MB limit" in result.problems[0].reason
    assert "ASSISTANT_MAX_FILE_MB" in result.problems[0].reason


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    from assistant.ingest.readers.files import load_paths

    result = load_paths([tmp_path / "nope.txt"], MB)
    assert "does not exist" in result.problems[0].reason
    folder = tmp_path / "dir.txt"
    folder.mkdir()
    (folder / "inner.txt").write_text("Inner\n\nText.")
    assert [a.title for a in load_paths([folder], MB).articles] == ["Inner"]
