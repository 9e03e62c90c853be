"""Embeddings from an OpenAI-compatible ``/v1/embeddings`` server (``ASSISTANT_EMBEDDINGS_URL``).

Sized for a server shared by several replicas: a request carries at most ``BATCH`` texts (the
store's own write step), a refused or failed request is retried with backoff by the
official client, and a server that stays down or slow ends in a message naming the setting,
never a traceback. Nothing stored is lost: an ingest cut off here is finished by the next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
import openai
from langchain_core.embeddings import Embeddings
from pydantic import SecretStr

from assistant.errors import EmbeddingsUnavailableError

# Texts per request: one write step of the store, small enough for any server's limits.
BATCH = 64
# Retries (with the client's exponential backoff) of a request that failed or was refused
# with 408, 409, 429 or 5xx: a busy server gets a few seconds to recover.
RETRIES = 3

T = TypeVar("T")


class RemoteEmbeddings(Embeddings):
    def __init__(self, url: str, model: str, api_key: str, timeout: float) -> None:
        from langchain_openai import OpenAIEmbeddings

        self.url, self.model, self.timeout = url, model, timeout
        self._client = OpenAIEmbeddings(
            openai_api_base=url,
            openai_api_key=SecretStr(api_key),
            model=model,
            # The length check downloads a tiktoken file per model name; servers chunk-check.
            check_embedding_ctx_length=False,
            chunk_size=BATCH,
            max_retries=RETRIES,
            request_timeout=timeout,
        )

    def _call(self, work: Callable[[], T]) -> T:
        where = f"The embeddings server at {self.url} (ASSISTANT_EMBEDDINGS_URL)"
        try:
            return work()
        except openai.APITimeoutError as exc:
            raise EmbeddingsUnavailableError(
                f"{where} did not answer within {self.timeout:g} s "
                "(ASSISTANT_REQUEST_TIMEOUT). Nothing stored was lost; try again."
            ) from exc
        except openai.APIConnectionError as exc:
            raise EmbeddingsUnavailableError(
                f"{where} cannot be reached. Start it or correct ASSISTANT_EMBEDDINGS_URL; "
                "nothing stored was lost, and the next ingest finishes the job."
            ) from exc
        except openai.NotFoundError as exc:
            raise EmbeddingsUnavailableError(
                f"{where} does not serve the model '{self.model}' (ASSISTANT_EMBEDDINGS_MODEL)."
            ) from exc
        except openai.APIStatusError as exc:
            raise EmbeddingsUnavailableError(
                f"{where} answered with an error ({exc.status_code}) after {RETRIES} retries: "
                f"{str(exc.message)[:200]}"
            ) from exc
        except httpx.HTTPError as exc:
            raise EmbeddingsUnavailableError(f"{where} failed: {exc}") from exc

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._call(lambda: self._client.embed_documents(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._call(lambda: self._client.embed_query(text))
