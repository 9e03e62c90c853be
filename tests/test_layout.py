"""The package's shape: no import cycles, small modules, and a wheel that holds every
package (and nothing of the development tools)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from assistant.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "assistant"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's own modules that ``path`` imports, wherever the import stands (a
    deferred import inside a function still ties the two modules together)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    paths = {module_name(p): p for p in root.rglob("*.py")}
    modules = set(paths)
    return {name: imports_of(path, modules) - {name} for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path of module names, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_inside_the_package() -> None:
    cycle = find_cycle(import_graph(PACKAGE))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_is_too_long() -> None:
    long = {
        str(p.relative_to(PROJECT_ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_wheel_lists_every_package_and_no_tooling() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {module_name(p.parent) for p in PACKAGE.rglob("__init__.py")}
    assert listed == on_disk | {"assistant.prompt_files"}
    assert all(name.startswith("assistant") for name in listed)
    mapped = config["tool"]["setuptools"]["package-dir"]["assistant.prompt_files"]
    assert (PROJECT_ROOT / mapped / "qa_system.txt").is_file()
    dependencies = " ".join(config["project"]["dependencies"])
    assert "rouge" not in dependencies  # an evaluation's dependency, not the product's


def test_prompts_load_from_the_package_without_a_folder() -> None:
    from importlib.resources import files

    from assistant.answer.prompts import SHIPPED_PROMPTS, load_prompts

    shipped = files(SHIPPED_PROMPTS)
    assert (shipped / "qa_system.txt").is_file()
    prompts = load_prompts()  # no folder: the templates shipped with the package
    assert "context" in prompts.qa.input_variables


def test_ingest_commands_never_load_the_model_client() -> None:
    import subprocess
    import sys

    code = (
        "import sys, assistant.app.cli, assistant.app.compose, assistant.ingest.sync\n"
        "print('langchain_openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
