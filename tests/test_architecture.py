"""The shape of the package, checked from its source: the import graph of
tracker/ has no cycle, Whoosh is imported only under tracker/index/, no
module imports another module's underscored names, and only cli.py imports
click. Every import statement counts, including those inside functions and
under `if TYPE_CHECKING:` (layers hold for types too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import statement."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, list[str], int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            out.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, [a.name for a in node.names], node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def _edges() -> dict[str, set[str]]:
    """Module -> the tracker modules it imports (a submodule named in a
    from-import counts as that submodule)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, names, _ in _imports(path):
            if not target.startswith("tracker"):
                continue
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            graph[name].update(subs or ([target] if target in MODULES else []))
            if names and len(subs) < len(names) and target in MODULES:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_graph_reader_sees_function_level_imports():
    graph = _edges()
    # cli imports the pipeline inside the crawl command, not at the top
    assert "tracker.pipeline" in graph["tracker.cli"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle():
    cycles = _cycles(_edges())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("library, home", [("whoosh", "tracker.index"), ("click", "tracker.cli")])
def test_library_imported_only_in_its_home(library, home):
    outside = [f"{name}:{line}" for name, path in MODULES.items()
               for target, _, line in _imports(path)
               if (target == library or target.startswith(library + "."))
               and not (name == home or name.startswith(home + "."))]
    assert not outside, f"{library} imported outside {home}: {', '.join(outside)}"


def test_no_underscored_name_imported_across_modules():
    found = []
    for name, path in MODULES.items():
        for target, names, line in _imports(path):
            if not target.startswith("tracker") or target == name:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            private += [part for part in target.split(".") if part.startswith("_") and part != "__init__"]
            if private:
                found.append(f"{name}:{line} imports {', '.join(private)} from {target}")
    assert not found, "\n".join(found)


# namedtuple's public API is spelt with a leading underscore
_NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make"}
# the one module that may read Whoosh's private members (its version range is pinned and tested)
_ADAPTER = "tracker.index.whoosh_adapter"
# the bulk segment writer fills whoosh's postings writer's block buffers itself (same pinned range)
_WRITER = "tracker.index.writer"


def _own_private_names(tree: ast.AST) -> set[str]:
    """Underscored names a module defines itself: functions, classes, and
    attributes it assigns (self._x = ...)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return {n for n in names if n.startswith("_")}


def _private_reads(tree: ast.AST) -> list[str]:
    """`x._name` reads of another object's underscored members."""
    own = _own_private_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        attr = node.attr
        if not attr.startswith("_") or attr.startswith("__") or attr in _NAMEDTUPLE_API or attr in own:
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            continue
        found.append(f"{node.lineno} reads .{attr}")
    return found


def test_private_reads_are_seen():
    code = "class A:\n    def f(self, m):\n        self._own = m._postfile\n        return self._own, m._own\n"
    assert _private_reads(ast.parse(code)) == ["3 reads ._postfile"]


def test_no_module_reaches_into_private_members_of_others():
    found = [f"{name}:{line}" for name, path in MODULES.items() if name not in (_ADAPTER, _WRITER)
             for line in _private_reads(ast.parse(path.read_text(encoding="utf-8"), str(path)))]
    assert not found, "\n".join(found)
