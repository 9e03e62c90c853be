"""An OpenAI-compatible ``/v1/embeddings`` server over the bundled all-MiniLM-L6-v2, so the
remote-embeddings path (``ASSISTANT_EMBEDDINGS_URL``) runs against a real HTTP server in
tests and benchmarks, offline.

    python -m devtools.embedding_server --port 8081   # then ASSISTANT_EMBEDDINGS_URL=http://127.0.0.1:8081/v1

It answers as OpenAI's API does (float or base64 vectors, ``usage``, ``GET /v1/models``).
``--fail-first N`` answers the first N embedding requests with 503, as a busy server does,
and ``GET /stats`` tells how many requests and texts it served.
"""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

import click

MODEL_NAME = "all-MiniLM-L6-v2"


def make_app(cache_dir: Path, fail_first: int = 0) -> Any:
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from assistant.index.embeddings import BundledMiniLM, prepare_minilm_folder

    model = BundledMiniLM(prepare_minilm_folder(cache_dir))
    app = FastAPI()
    stats: dict[str, Any] = {"requests": 0, "texts": 0, "batch_sizes": [], "refused": 0}
    lock = threading.Lock()

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model"}]}

    @app.get("/stats")
    def served() -> dict[str, Any]:
        return stats

    @app.post("/v1/embeddings")
    def embeddings(body: dict[str, Any]) -> Any:
        with lock:
            if stats["refused"] < fail_first:
                stats["refused"] += 1
                return JSONResponse({"error": {"message": "busy, try again"}}, status_code=503)
        texts = body.get("input", [])
        if isinstance(texts, str):
            texts = [texts]
        if not all(isinstance(t, str) for t in texts):
            return JSONResponse({"error": {"message": "input must be text"}}, status_code=400)
        vectors = model.embed_array(list(texts))
        as_base64 = body.get("encoding_format") == "base64"
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": base64.b64encode(row.astype("<f4").tobytes()).decode()
                if as_base64
                else row.tolist(),
            }
            for i, row in enumerate(vectors)
        ]
        with lock:
            stats["requests"] += 1
            stats["texts"] += len(texts)
            stats["batch_sizes"].append(len(texts))
        tokens = sum(len(t.split()) for t in texts)
        return {
            "object": "list",
            "data": data,
            "model": body.get("model", MODEL_NAME),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    return app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=Path.home() / ".cache" / "newsroom-assistant",
    show_default=True,
    help="Where the model folder is laid out (links into the installed packages).",
)
@click.option("--fail-first", default=0, type=int, help="Refuse the first N requests (503).")
def main(host: str, port: int, cache_dir: Path, fail_first: int) -> None:
    import uvicorn

    uvicorn.run(make_app(cache_dir, fail_first), host=host, port=port, log_level="warning")


if __name__ == "__main__":
    main()
