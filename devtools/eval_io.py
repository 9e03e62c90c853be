"""Reading benchmark files and writing result files for the ``assistant eval`` commands."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError


def read_jsonl(path: Path, what: str) -> list[tuple[int, Any]]:
    """(line number, record) for each non-blank line; a missing file or a line that is not
    JSON is a ConfigError naming the place."""
    if not path.is_file():
        raise ConfigError(f"{path} is missing: the data folder needs {path.name} ({what}).")
    records = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((lineno, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}, line {lineno}: not JSON ({exc.msg})") from exc
    return records


def results_path(cache_dir: Path, kind: str, data_dir: Path) -> Path:
    """A new file under the cache folder, named by the benchmark and the time."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return cache_dir / "eval-results" / f"{kind}-{data_dir.resolve().name}-{stamp}.json"


def write_results(results: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
