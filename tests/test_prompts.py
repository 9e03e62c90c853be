from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.answer.prompts import PROMPT_VARIABLES, load_prompt, load_prompts
from assistant.config import PROJECT_ROOT
from assistant.errors import PromptError

PROMPTS = PROJECT_ROOT / "prompts"


def test_shipped_prompts_load_with_their_variables() -> None:
    prompts = load_prompts(PROMPTS)
    assert set(prompts.qa.input_variables) == PROMPT_VARIABLES["qa"]
    assert set(prompts.condense.input_variables) == PROMPT_VARIABLES["condense"]
    messages = prompts.qa.format_messages(today="2024-03-26", context="<p>", question="Q?")
    assert messages[0].type == "system" and "only" in str(messages[0].content)
    assert "Q?" in str(messages[1].content) and "2024-03-26" in str(messages[1].content)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "prompts"
    shutil.copytree(PROMPTS, target)
    return target


def test_unknown_variable_is_named(copy: Path) -> None:
    path = copy / "qa_user.txt"
    path.write_text(path.read_text() + "\n{audience}")
    with pytest.raises(PromptError, match=r"qa_user.txt.*audience"):
        load_prompt(copy, "qa")


def test_missing_variable_is_named(copy: Path) -> None:
    path = copy / "qa_user.txt"
    path.write_text(path.read_text().replace("{context}", "nothing"))
    with pytest.raises(PromptError, match=r"qa_user.txt.*context"):
        load_prompt(copy, "qa")


def test_missing_file_is_named(copy: Path) -> None:
    (copy / "condense_system.txt").unlink()
    with pytest.raises(PromptError, match=r"condense_system\.txt is missing"):
        load_prompts(copy)


def test_system_prompt_must_be_constant(copy: Path) -> None:
    path = copy / "qa_system.txt"
    path.write_text(path.read_text() + "\nToday is {today}.")
    with pytest.raises(PromptError, match="free of variables"):
        load_prompt(copy, "qa")
