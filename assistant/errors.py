"""The assistant's own errors.

Modules raise these; only the edges (CLI, UI) turn them into messages for people.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error the assistant raises on purpose."""


class ConfigError(AssistantError):
    """A setting or a file the assistant needs is wrong or missing."""


class PromptError(ConfigError):
    """A prompt template is missing or uses variables the chain does not supply."""


class LoadError(AssistantError):
    """An input file (or one record in it) could not be turned into an article."""

    def __init__(self, source: str, reason: str, line: int | None = None) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {reason}")


class ModelUnavailableError(AssistantError):
    """No chat model could be reached or started."""


class ModelAssetError(ConfigError):
    """A bundled model file is missing or does not match its published hash."""


class StoreUnavailableError(AssistantError):
    """The Chroma server holding the store is down, unreachable or too slow."""


class StoreBusyError(AssistantError):
    """Another process is changing the store and did not finish in time."""


class EmbeddingsUnavailableError(AssistantError):
    """The embeddings server (ASSISTANT_EMBEDDINGS_URL) is down, slow or refuses."""
