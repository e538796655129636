"""tracker's modules import each other without a cycle.

Every import statement counts: at the top, inside functions and under
TYPE_CHECKING alike, since each is a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports_graph() -> dict[str, set[str]]:
    mods = modules()

    def known(name: str) -> str | None:  # the module that `name` (maybe module.attribute) lives in
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                found = known(target)
                if found and found != name:
                    graph[name].add(found)
    return graph


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path a -> b -> ... -> a, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_graph_sees_imports_everywhere():
    graph = imports_graph()
    assert "tracker.sources" in graph["tracker.config"]          # a top-level import
    assert "tracker.fetch.stats" in graph["tracker.fetch.http"]
    assert "tracker.settings" in graph["tracker.sources.base"]   # under TYPE_CHECKING
    assert "tracker.extract.page.parse" in graph["tracker.sources.html"]  # inside a function


def test_cycle_finder_finds_one():
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles():
    found = cycle_in(imports_graph())
    assert found is None, " -> ".join(found or [])
