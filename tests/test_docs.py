"""The README cannot drift from the code: its settings table and its CLI commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from assistant.app.cli import main
from assistant.config import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _default(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, Path):
        try:
            return str(value.relative_to(PROJECT_ROOT)) or "."
        except ValueError:
            return str(value).replace(str(Path.home()), "~")
    return str(value)


def expected_rows() -> list[str]:
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        rows.append(f"| `ASSISTANT_{name.upper()}` | `{_default(default)}` | {field.description} |")
    return rows


def documented_rows() -> list[str]:
    return [line.strip() for line in README.splitlines() if line.startswith("| `ASSISTANT_")]


def test_every_setting_is_documented_exactly() -> None:
    expected = expected_rows()
    assert documented_rows() == expected, "README settings table should be:\n" + "\n".join(expected)


def test_every_setting_has_a_description() -> None:
    assert all(f.description for f in Settings.model_fields.values())


def test_readme_starts_with_the_two_commands() -> None:
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", README, flags=re.S)
    first = blocks[0].strip().splitlines()
    assert first[0].startswith("make run") and first[1].startswith("make test")
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_cli_commands_in_the_readme_exist() -> None:
    runner = CliRunner()
    help_text = runner.invoke(main, ["--help"]).output
    for command in set(re.findall(r"^assistant (\w+)", README, flags=re.M)):
        assert re.search(rf"^\s+{command}\b", help_text, flags=re.M), command


def layout_table() -> str:
    section = README.split("## Layout", 1)[1]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


def test_the_layout_table_matches_the_tree() -> None:
    table = layout_table()
    package = PROJECT_ROOT / "assistant"
    for sub in sorted(p for p in package.iterdir() if (p / "__init__.py").is_file()):
        assert f"| `assistant/{sub.name}/` |" in table, f"no row for assistant/{sub.name}/"
    for module in sorted({*package.rglob("*.py"), *(PROJECT_ROOT / "devtools").glob("*.py")}):
        if module.stem == "__init__":
            continue
        named = f"`{module.stem}`" in table or f"{module.name}`" in table
        assert named, f"{module.relative_to(PROJECT_ROOT)} is not in the README's layout table"
    for folder in ("devtools", "prompts", "seeds", "tests"):
        assert f"| `{folder}/` |" in table
