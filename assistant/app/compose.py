"""Building the assistant's parts from settings: the one place the web app and the CLI share.

Nothing here runs at import time; each builder is called by a composition root.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.answer.factcheck import FactCheckChain
from assistant.answer.prompts import PromptSet, load_prompts
from assistant.answer.qa import QAChain
from assistant.answer.stance import StanceJudge
from assistant.answer.summarize import SummarizeChain
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.index.embeddings import embedding_model_id, make_embeddings
from assistant.index.store import ArticleStore, open_store
from assistant.ingest.chunking import Chunker
from assistant.search.retriever import Retriever
from assistant.tokens import install_offline_encoding

if TYPE_CHECKING:
    from assistant.llm.backends import Backend
    from assistant.llm.local_server import EmbeddedServer

log = logging.getLogger(__name__)

# Article text read in one summarizing prompt; a longer article is summarized part by part.
# About 9 s of reading for the embedded 0.5B model on 2 cores, well inside its window.
_SUMMARY_ARTICLE_TOKENS = 1800
# Room for the fixed instructions, the question and the cl100k-vs-model token mismatch.
_PROMPT_OVERHEAD_TOKENS = 600


@dataclass
class Services:
    """What every command needs: the store and how to search it."""

    settings: Settings
    embeddings: Embeddings
    store: ArticleStore
    retriever: Retriever
    prompts: PromptSet


def build_services(settings: Settings) -> Services:
    install_offline_encoding(settings.cache_dir)
    prompts = load_prompts(settings.prompts_dir)
    embeddings = make_embeddings(settings)
    chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap)
    store = open_store(
        settings.vectorstore_dir,
        settings.chroma_url,
        settings.cache_dir,
        embeddings,
        embedding_model_id(settings),
        chunker,
        name=settings.collection,
        chroma_timeout=settings.chroma_timeout,
    )
    retriever = Retriever(store, embeddings, settings.top_k)
    return Services(settings, embeddings, store, retriever, prompts)


@dataclass(frozen=True)
class Chains:
    """The three things people come for, on one chat model."""

    llm: BaseChatModel
    qa: QAChain
    summarize: SummarizeChain
    factcheck: FactCheckChain


@dataclass
class ChatRuntime:
    """A chat model that answers, and the embedded server behind it if there is one."""

    backend: Backend
    chains: Chains
    server: EmbeddedServer | None = None
    # Builds the chains for a backend again, should a restarted server get a new address.
    rebuild: Callable[[Backend], Chains] | None = None

    @property
    def qa(self) -> QAChain:
        return self.chains.qa

    def current(self) -> Chains:
        """The chains to answer with; a dead embedded server is restarted first."""
        if self.server is not None and not self.server.is_alive():
            url = self.server.ensure_running()
            if url != self.backend.base_url and self.rebuild is not None:
                self.backend = replace(self.backend, base_url=url)
                self.chains = self.rebuild(self.backend)
        return self.chains

    def current_qa(self) -> QAChain:
        return self.current().qa

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


def check_budget(settings: Settings) -> None:
    needed = settings.context_tokens + settings.answer_tokens + _PROMPT_OVERHEAD_TOKENS
    if needed > settings.embedded_context:
        raise ConfigError(
            f"ASSISTANT_CONTEXT_TOKENS ({settings.context_tokens}) + ASSISTANT_ANSWER_TOKENS "
            f"({settings.answer_tokens}) + {_PROMPT_OVERHEAD_TOKENS} for instructions exceed "
            f"the model window ASSISTANT_EMBEDDED_CONTEXT ({settings.embedded_context}); "
            "lower the budgets or raise the window."
        )


def embedded_server(settings: Settings) -> EmbeddedServer:
    """The embedded llama.cpp server for the configured bundled model (not yet started);
    the model file is assembled and verified on first use."""
    from assistant.llm.bundled import BUNDLED_MODELS, assemble_model
    from assistant.llm.local_server import EmbeddedServer

    model = BUNDLED_MODELS[settings.embedded_model]
    return EmbeddedServer(
        assemble_model(model, settings.cache_dir),
        alias=model.alias,
        context=settings.embedded_context,
        threads=settings.embedded_threads,
        log_dir=settings.cache_dir,
    )


def start_chat(settings: Settings, services: Services) -> ChatRuntime:
    """Find (or start) the chat model and build the chains on it."""
    # Imported here: commands that only ingest never load the model client.
    from assistant.llm.backends import discover_backend, make_chat_model

    check_budget(settings)
    holder: dict[str, EmbeddedServer] = {}

    def start_embedded() -> tuple[str, str]:
        server = holder["server"] = embedded_server(settings)
        return server.start(), server.alias

    def build(backend: Backend) -> Chains:
        return build_chains(
            make_chat_model(backend, settings),
            settings,
            services,
            judge_llm=make_chat_model(backend, settings, logprobs=True),
        )

    backend = discover_backend(settings, start_embedded)
    log.info("Chat model: %s", backend.label)
    return ChatRuntime(backend, build(backend), holder.get("server"), rebuild=build)


def build_chains(
    llm: BaseChatModel,
    settings: Settings,
    services: Services,
    judge_llm: BaseChatModel | None = None,
) -> Chains:
    """The chains on one chat model. ``judge_llm`` is the same model asked for
    log-probabilities (``make_chat_model(..., logprobs=True)``); without it the fact check's
    judge asks ``llm``, and reads the answer word if the server gives no log-probabilities."""
    retrieve = services.retriever.retrieve
    prompts = services.prompts
    return Chains(
        llm=llm,
        qa=QAChain(
            llm,
            retrieve,
            prompts,
            settings.context_tokens,
            settings.min_relevance,
            settings.article_tokens,
            settings.second_reading,
        ),
        summarize=SummarizeChain(
            llm,
            services.store.article_passages,
            retrieve,
            prompts,
            article_tokens=_SUMMARY_ARTICLE_TOKENS,
            context_tokens=settings.context_tokens + 300,
            min_relevance=settings.min_relevance,
            embeddings=services.embeddings,
        ),
        factcheck=FactCheckChain(
            llm,
            retrieve,
            prompts,
            settings.min_relevance,
            judge=StanceJudge(judge_llm or llm, prompts.judge),
        ),
    )
