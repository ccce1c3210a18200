"""House rules a reviewer would otherwise check by eye: the floor plan's boundaries and the type-checker's escapes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

CORE = ROOT / "moderation"
STAGES = ("intake", "screening", "review", "publishing", "notify", "retention", "store")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules imported at the top of a file (not inside functions): what loading it loads."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def test_the_core_imports_neither_flask_nor_the_workers() -> None:
    bad = {(_module(p), name) for p in CORE.rglob("*.py") for name in _imports(p)
           if name.split(".")[0] in ("flask", "werkzeug", "workers", "service")}
    lazy = [str(p.relative_to(ROOT)) for p in CORE.rglob("*.py")
            if re.search(r"^\s+(from|import) (flask|workers|service)\b", p.read_text(encoding="utf-8"), re.M)]
    assert (bad, lazy) == (set(), [])


def test_the_core_has_no_import_cycles() -> None:
    modules = {_module(p): p for p in CORE.rglob("*.py")}
    graph = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        for nxt in graph[name]:
            if nxt in trail:
                cycles.append([*trail[trail.index(nxt):], nxt])
            elif len(trail) < len(graph):
                visit(nxt, [*trail, nxt])

    for start in graph:
        visit(start, [start])
    assert cycles == []


def test_each_stage_of_the_core_has_its_tests_beside_the_others_of_that_stage() -> None:
    for stage in STAGES:
        assert (CORE / stage).is_dir() or (CORE / f"{stage}.py").is_file(), stage
        assert list((ROOT / "tests" / stage).glob("test_*.py")), f"tests/{stage}/ holds no tests"


def test_every_type_ignore_names_its_error_and_says_why() -> None:
    silent = [f"{p.relative_to(ROOT)}:{n}" for folder in ("moderation", "service", "workers", "bench", "tests")
              for p in (ROOT / folder).rglob("*.py")
              for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
              if "type: ignore" in line and not re.search(r"# type: ignore\[[a-z-]+(,[a-z-]+)*\]  # \w", line)
              and p.name != "test_house.py"]
    assert silent == []
