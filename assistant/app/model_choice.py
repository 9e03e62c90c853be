"""The chat models a reader may choose between, each started on first use.

The bundled models are always offered (the small default, and the larger one that reads
more carefully and takes longer); Ollama's models are offered when Ollama answers. The
model the app started with is the default. A chosen model is started once and shared by
every session that chooses it; all are stopped with the app.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from assistant.app.compose import ChatRuntime
from assistant.config import Settings
from assistant.llm.backends import OLLAMA_PROBE_TIMEOUT, list_models, settings_for_model

log = logging.getLogger(__name__)


class ModelChoice:
    def __init__(
        self,
        settings: Settings,
        default: ChatRuntime,
        start: Callable[[Settings], ChatRuntime],
        bundled: list[str],
    ) -> None:
        self.settings = settings
        self.default = default
        self.start = start
        self.bundled = bundled
        self._started: dict[str, ChatRuntime] = {}
        self._lock = threading.Lock()

    @property
    def default_name(self) -> str:
        backend = self.default.backend
        if backend.kind == "embedded":
            return self.settings.embedded_model
        return backend.model

    def names(self) -> list[str]:
        """The default first, then the bundled models, then Ollama's if it answers."""
        names = [self.default_name, *self.bundled]
        if self.settings.ollama_url:
            try:
                with httpx.Client() as http:
                    names += list_models(
                        http, self.settings.ollama_url.rstrip("/"), OLLAMA_PROBE_TIMEOUT
                    )
            except (httpx.HTTPError, ValueError, AttributeError) as exc:
                log.debug("No Ollama models to offer: %s", exc)
        return list(dict.fromkeys(names))

    def ready(self, name: str) -> bool:
        return name == self.default_name or name in self._started

    def runtime(self, name: str | None) -> ChatRuntime:
        """The chat runtime for a chosen model, started the first time it is chosen."""
        if not name or name == self.default_name:
            return self.default
        with self._lock:
            if name not in self._started:
                log.info("Starting the chat model %s", name)
                self._started[name] = self.start(settings_for_model(self.settings, name))
            return self._started[name]

    def close(self) -> None:
        with self._lock:
            for runtime in self._started.values():
                runtime.close()
            self._started.clear()
