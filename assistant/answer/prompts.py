"""Prompt templates live in ``prompts/`` as plain files; this module loads and checks them.

The package ships them as ``assistant.prompt_files`` (``prompts/`` mapped into the package by
``pyproject.toml``), read with :mod:`importlib.resources`, so an installed wheel finds them
wherever it runs from; ``ASSISTANT_PROMPTS_DIR`` points at another folder instead.

Each chat prompt is a pair of files, ``<name>_system.txt`` and ``<name>_user.txt``, with
``{variable}`` placeholders. The set of variables each chain supplies is fixed here, so a
template that misses one or asks for an unknown one fails at start, naming the file.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

from assistant.errors import PromptError

# The variables each chain fills in. The system file stays free of variables so that it is
# a constant prefix the model server can keep cached between requests.
PROMPT_VARIABLES: dict[str, frozenset[str]] = {
    "qa": frozenset({"today", "context", "question"}),
    "check": frozenset({"today", "context", "question"}),
    "condense": frozenset({"history", "question"}),
    "summarize": frozenset({"title", "published", "source", "text", "length_instruction"}),
    "map": frozenset({"part", "title", "published", "text"}),
    "topic": frozenset({"today", "context", "topic", "length_instruction"}),
    "split": frozenset({"text"}),
    "judge": frozenset({"passage", "claim"}),
}

SHIPPED_PROMPTS = "assistant.prompt_files"


def shipped_prompts() -> Traversable:
    """The folder of templates that comes with the package."""
    return files(SHIPPED_PROMPTS)


def _variables(text: str, path: Traversable) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:
        raise PromptError(
            f"{path}: {exc}; write a literal brace as {{{{ or }}}} in a template"
        ) from exc


def _read(path: Traversable) -> str:
    if not path.is_file():
        raise PromptError(f"The prompt file {path} is missing; restore it from the repository.")
    return path.read_text(encoding="utf-8").strip()


def load_prompt(prompts_dir: Traversable, name: str) -> ChatPromptTemplate:
    expected = PROMPT_VARIABLES[name]
    system_path = prompts_dir / f"{name}_system.txt"
    user_path = prompts_dir / f"{name}_user.txt"
    system, user = _read(system_path), _read(user_path)
    if system_vars := _variables(system, system_path):
        raise PromptError(
            f"{system_path} uses {sorted(system_vars)}: keep the system prompt free of "
            f"variables and put them in {user_path.name}."
        )
    found = _variables(user, user_path)
    if unknown := found - expected:
        raise PromptError(
            f"{user_path} uses unknown variable(s) {sorted(unknown)}; "
            f"the available ones are {sorted(expected)}."
        )
    if missing := expected - found:
        raise PromptError(f"{user_path} does not use the variable(s) {sorted(missing)}.")
    return ChatPromptTemplate.from_messages([("system", system), ("human", user)])


@dataclass(frozen=True)
class PromptSet:
    qa: ChatPromptTemplate
    check: ChatPromptTemplate
    condense: ChatPromptTemplate
    summarize: ChatPromptTemplate
    map: ChatPromptTemplate
    topic: ChatPromptTemplate
    split: ChatPromptTemplate
    judge: ChatPromptTemplate


def load_prompts(prompts_dir: Path | None = None) -> PromptSet:
    """Load and check every prompt at start, so a broken file fails early and clearly;
    without a folder, the templates shipped with the package."""
    folder = prompts_dir if prompts_dir is not None else shipped_prompts()
    return PromptSet(**{name: load_prompt(folder, name) for name in PROMPT_VARIABLES})
